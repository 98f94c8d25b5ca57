"""The summary that opens every comparison, assembled from its findings.

Nothing here is written by hand about a medicine: every line is a finding's statement, a figure
counted from findings, or names and sections taken from the evidence, joined by the connective
phrases of :mod:`rxcompare.comparison.phrases`. The lines, in order:

- the answer: one sentence at the evidence's strength (it never ranks overall safety);
- notices: the two products share no indication; a name resolved through the other drug's
  indication; patient factors given;
- what differs: findings of kind ``differs`` (figures, a statement in one label only, quoted
  instructions), trial figures against each trial's own comparator, post-marketing head-to-head
  findings with a direction;
- what both share: one line per warning both address, with the label sections or other documents;
- what this comparison cannot tell: no head-to-head trial, different comparators, no
  post-marketing source;
- coverage: per drug, the label sections the pack does not hold and the commands that fill them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites
from rxcompare.models import (
    Citation,
    Dimension,
    Favours,
    Finding,
    Grade,
    Summary,
    SummaryLine,
)

# Label sections the comparison reads (BW = boxed warning), in label order.
SECTIONS = ("BW", "1", "2", "4", "5", "6", "8", "12")
MAX_DIFFERS = (
    6  # differences shown in the summary, the weightiest first; the rest in the full evidence
)
MAX_FIGURES = 4  # trial figures shown in the summary
MORE = "more"  # the topic of a line that counts what the summary leaves to the full evidence


def _line(f: Finding, text: str | None = None) -> SummaryLine:
    return SummaryLine(text or f.statement, f.citations, f.topic, f.favours, f.advice)


def _counted(dimensions: tuple[Dimension, ...]) -> list[Finding]:
    return [f for d in dimensions if d.key != "patient_factors" for f in d.findings]


def _answer(a: Evidence, b: Evidence, differs, shared, cannot, ranked) -> SummaryLine:
    """The bottom line; the counts it gives are the lengths of the lists shown under it (and,
    where the summary shows only the weightiest differences, how many there are in all, and how
    many of all of them favour each drug)."""
    fa = [line for line in ranked if line.favours is Favours.A]
    fb = [line for line in ranked if line.favours is Favours.B]
    shown = [line for line in differs if line.topic != MORE]
    nd = (
        ph.DIFFERENCES_SOME.format(n=len(shown), total=len(ranked))
        if len(ranked) > len(shown)
        else ph.DIFFERENCES_ALL.format(n=ph.counted(len(shown), ph.DIFFERENCE))
    )
    nc = ph.counted(len(cannot), ph.POINT)
    ns = ph.counted(len(shared), ph.WARNING_TOPIC)
    if not fa and not fb:
        favour = ph.verb(len(ranked), "favours", "favour")
        are = ph.verb(len(shared), "is", "are")
        return SummaryLine(ph.ANSWER_NONE.format(nd=nd, favour=favour, ns=ns, are=are, nc=nc))
    parts = [
        ph.ANSWER_FAVOURED.format(
            drug=ev.name, n=len(group), favour=ph.verb(len(group), "favours", "favour")
        )
        for ev, group in ((a, fa), (b, fb))
        if group
    ]
    caveat = ph.NOT_A_RANKING if len(ranked) > 1 else ph.NOT_A_RANKING_ONE
    text = ph.ANSWER_SOME.format(nd=nd, favoured=" and ".join(parts), caveat=caveat, ns=ns, nc=nc)
    return SummaryLine(text, cites(*(line.citations for line in fa + fb)))


def _shared_indication(a: Evidence, b: Evidence) -> bool:
    return bool(set(a.drug.product.indications) & set(b.drug.product.indications))


def _notices(
    a: Evidence, b: Evidence, factors: tuple[str, ...], patient: bool = False
) -> list[SummaryLine]:
    out = []
    if not _shared_indication(a, b):
        facts = a.topic("indication") + b.topic("indication")
        held = all("1" in ev.coverage or ev.topic("indication") for ev in (a, b))
        template = ph.NO_SHARED_INDICATION if held else ph.INDICATION_NOT_HELD
        out.append(
            SummaryLine(
                template.format(
                    a=a.name,
                    b=b.name,
                    ia=", ".join(a.drug.product.indications) or ph.NO_INDICATION,
                    ib=", ".join(b.drug.product.indications) or ph.NO_INDICATION,
                ),
                cites(facts),
                "indication",
            )
        )
    for ev, other in ((a, b), (b, a)):
        d = ev.drug
        if d.resolved_by or d.others:
            out.append(SummaryLine(_resolution(ev, other), topic="resolution"))
    for ev in (a, b):
        versions = _versions(ev)
        if len(versions) > 1:
            out.append(
                SummaryLine(
                    (ph.SEVERAL_VERSIONS_PATIENT if patient else ph.SEVERAL_VERSIONS).format(
                        drug=ev.name,
                        n=len(versions),
                        versions="; ".join(dict.fromkeys(v.split(" (", 1)[0] for v in versions)),
                    ),
                    cites([f for f in ev.facts if f.citation.version in versions]),
                    "version",
                )
            )
    for ev in (a, b):
        if ev.unread_tables:
            captions = "; ".join(f"“{cap}” ({sec})" for sec, cap in ev.unread_tables[:3])
            more = len(ev.unread_tables) - 3
            out.append(
                SummaryLine(
                    ph.UNREAD_TABLES.format(
                        drug=ev.name,
                        n=len(ev.unread_tables),
                        captions=captions + (f"; {more} more" if more > 0 else ""),
                    ),
                    (ev.label,),
                    "unread_tables",
                )
            )
    if factors:
        names = "; ".join(ph.FACTORS[k][0] for k in factors if k in ph.FACTORS)
        out.append(SummaryLine(ph.FACTORS_GIVEN.format(factors=names), topic="factors"))
    return out


def _versions(ev: Evidence) -> list[str]:
    """The label versions the drug's label-text facts show (a copy that shows none is not counted)."""
    return list(
        dict.fromkeys(
            f.citation.version
            for f in ev.facts
            if f.citation.kind == "label"
            and f.citation.is_label_text
            and f.citation.version
            and not f.citation.version.startswith("version not shown")
            and f.citation.source_class in ("label", "label-copy")
        )
    )


def _resolution(ev: Evidence, other: Evidence) -> str:
    """How a name of several products was taken, and the products it also names (said once)."""
    from rxcompare.comparison.resolve import describe

    d = ev.drug
    if d.resolved_by:
        text = ph.RESOLVED_AS.format(
            query=d.query,
            brand=ev.name,
            ingredient=d.ingredient,
            indication=d.resolved_by,
            other=other.name,
        )
    else:
        text = ph.RESOLVED_TO.format(query=d.query, product=describe(d.product))
    if d.others:
        text += " " + ph.OTHER_PRODUCTS.format(
            others="; ".join(describe(p) for p in d.others),
            ingredient=d.ingredient,
            verb="is" if len(d.others) == 1 else "are each",
        )
    return text


def _weight(line: SummaryLine, grade: Grade | None = None) -> int:
    """Clinical weight of a difference, heaviest first: a boxed warning, contraindications, a
    warning one label carries, trial figures, post-marketing findings, how it is given, the rest."""
    t = line.topic
    if t == "boxed_warning":
        return 0
    if t == "contraindication":
        return 1
    if t.startswith(("warning.", "subject.", "title.")):
        return 2
    if grade is Grade.TRIAL or t.startswith("trial"):
        return 3
    if grade is Grade.POSTMARKETING:
        return 4
    if t.startswith("admin."):
        return 5
    return 6


def _differs(findings: list[Finding], aligned) -> list[SummaryLine]:
    """The differences, ranked by clinical weight; each statement once."""
    out: list[tuple[int, SummaryLine]] = []
    for f in findings:
        if f.dimension == "mechanism" or f.topic.startswith(("warning.", "subject.", "title.")):
            continue  # warnings come from the alignment below, once each
        if f.grade is Grade.TRIAL and f.topic != "trial.no_head_to_head":
            # a figure of one drug against the other is a difference where its interval shows
            # one (it favours a drug); else it is a figure (said among the figures)
            if _head_to_head_trial(f) and f.favours in (Favours.A, Favours.B):
                out.append((_weight(_line(f), f.grade), _line(f)))
        elif f.grade is Grade.POSTMARKETING and f.favours in (Favours.A, Favours.B):
            out.append((4, _line(f)))
        elif f.kind == "differs":
            out.append((_weight(_line(f)), _line(f)))
    for t in aligned:
        if t.state in ("only_a", "only_b"):
            f = (
                next(x for x in findings if x.topic == t.key and x.kind == "differs")
                if any(x.topic == t.key and x.kind == "differs" for x in findings)
                else None
            )
            if f is not None:
                out.append((2, _line(f)))
    seen: set[str] = set()
    ranked = []
    for _w, line in sorted(out, key=lambda x: x[0]):
        if line.text not in seen:
            seen.add(line.text)
            ranked.append(line)
    return ranked


def _head_to_head_trial(f: Finding) -> bool:
    return f.statement.startswith(ph.TRIAL_H2H.split("{", 1)[0])


def _trial_figures(findings: list[Finding]) -> list[SummaryLine]:
    """Trial rows of one drug against its own trial's comparator, and rows of one drug against
    the other whose interval shows no difference: figures, not differences between the two."""
    return [
        _line(f)
        for f in findings
        if f.grade is Grade.TRIAL
        and f.topic != "trial.no_head_to_head"
        and not (_head_to_head_trial(f) and f.favours in (Favours.A, Favours.B))
    ]


def _capped(
    lines: list[SummaryLine], most: int, template: str, noun: tuple[str, str]
) -> list[SummaryLine]:
    """The first ``most`` lines, and one line counting the rest (left to the full evidence)."""
    if len(lines) <= most:
        return lines
    rest = lines[most:]  # the counting line cites what it counts, so its refs resolve
    text = template.format(
        n=ph.counted(len(rest), noun, more=True), are=ph.verb(len(rest), "is", "are")
    )
    return lines[:most] + [SummaryLine(text, cites(*(x.citations for x in rest)), topic=MORE)]


def _measure(f) -> str:
    """What a figure measures, in the fact's own qualifier words."""
    measure = f.qualifier("measure")
    if measure:
        return ph.cap(measure)
    words = [f.qualifier("type"), f.qualifier("kind")]
    base = ph.topic_name(f.topic)
    if f.qualifier("kind") and "reaction" in base:
        return ph.cap(" ".join(w for w in words if w) + " reactions")
    return ph.cap(base)


def head_to_head(comparator: str, other: Evidence) -> str:
    """How a trial's comparator is the other medicine: "brand" (named), "ingredient" (its active
    ingredient named), or "" (not the other medicine)."""
    low = comparator.lower()
    for how, name in (("brand", other.name), ("ingredient", other.drug.ingredient)):
        if name and re.search(rf"\b{re.escape(name.lower())}\b", low):
            return how
    return ""


def _figures(a: Evidence, b: Evidence) -> list[SummaryLine]:
    """Each label's percentages against its own trial's comparator, one line per figure; a trial
    whose comparator is the other medicine is said to be head-to-head."""
    out = []
    for ev, other in ((a, b), (b, a)):
        for f in ev.facts:
            comp, cpct = f.qualifier("comparator"), f.qualifier("comparator_percent")
            if f.value is None or f.unit != "%" or not comp or cpct is None:
                continue
            how = head_to_head(comp, other)
            template = {"brand": ph.FIGURE_H2H, "ingredient": ph.FIGURE_H2H_INGREDIENT}.get(
                how, ph.FIGURE
            )
            out.append(
                SummaryLine(
                    template.format(
                        drug=ev.name,
                        measure=_measure(f),
                        pct=f"{f.value:g}",
                        cpct=cpct,
                        comparator=comp,
                        trials=ph.FIGURE_TRIALS.format(trials=f.qualifier("trials"))
                        if f.qualifier("trials")
                        else "",
                        other=other.name,
                    ),
                    (f.citation,),
                    ("h2h." if head_to_head(comp, other) else "figure.") + f.topic,
                )
            )
    return out


def _shared(a: Evidence, b: Evidence, aligned) -> list[SummaryLine]:
    """One line per warning topic both labels carry: the topic's name, cited to both."""
    from rxcompare.comparison.labels import aligned_name

    return [
        SummaryLine(ph.cap(aligned_name(t, titles=True)), cites(t.a, t.b), t.key)
        for t in aligned
        if t.state == "both"
    ]


def _comparators(ev: Evidence) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.arm for i in ev.incidences if i.is_comparator))


def _cannot_tell(
    a: Evidence, b: Evidence, findings: list[Finding], aligned=(), patient: bool = False
) -> list[SummaryLine]:
    out = []
    for f in findings:
        if f.topic == "trial.no_head_to_head" or f.kind == "limits":
            if f.topic not in {line.topic for line in out}:
                out.append(_line(f))
    if patient:  # the finding's words are a clinician's
        out = [
            replace(line, text=ph.NO_H2H_PATIENT.format(a=a.name, b=b.name))
            if line.topic == "trial.no_head_to_head"
            else line
            for line in out
        ]
    if not any(line.topic == "trial.no_head_to_head" for line in out) and not any(
        f.grade is Grade.TRIAL and f.favours in (Favours.A, Favours.B) for f in findings
    ):
        out.append(
            SummaryLine(
                (ph.NO_H2H_PATIENT if patient else ph.NO_H2H).format(a=a.name, b=b.name),
                (a.label, b.label),
                "trial.no_head_to_head",
            )
        )
    ca, cb = _comparators(a), _comparators(b)
    if ca and cb and set(ca) != set(cb):
        cited = cites([i for i in a.incidences + b.incidences if i.is_comparator])
        out.append(
            SummaryLine(
                ph.DIFFERENT_COMPARATORS.format(
                    a=a.name, ca=", ".join(ca), b=b.name, cb=", ".join(cb)
                ),
                cited,
                "trial.comparators",
            )
        )
    for f in findings:
        if f.dimension == "postmarketing" and f.grade is Grade.ABSENT:
            out.append(_line(f))
    out += _warning_gaps(a, b, aligned, patient)
    return out


def _warning_gaps(a: Evidence, b: Evidence, aligned, patient: bool = False) -> list[SummaryLine]:
    """Per drug, the warnings its label carries that cannot be compared because the other label's
    warnings and precautions are not held in full: one line each."""
    from rxcompare.comparison.labels import aligned_name

    out = []
    for has, lacks, state in ((a, b, "gap_b"), (b, a, "gap_a")):
        topics = [t for t in aligned if t.state == state]
        if topics:
            names = ", ".join(aligned_name(t) for t in topics)
            out.append(
                SummaryLine(
                    (ph.GAP_WARNINGS_PATIENT if patient else ph.GAP_WARNINGS).format(
                        has=has.name, lacks=lacks.name, topics=names
                    ),
                    cites(*(t.a + t.b for t in topics), [lacks.label]),
                    "warnings.not_held",
                )
            )
    return out


def coverage_record(ev: Evidence) -> Citation:
    """A citation of the pack's coverage record of a drug (which label sections it holds in full):
    what a statement about the pack's gaps rests on; it names no label section."""
    held = ", ".join(s for s in SECTIONS if s in ev.coverage) or ph.NONE_HELD
    return Citation(
        kind="pack",
        title=ph.COVERAGE_TITLE.format(drug=ev.name),
        set_id=ev.label.set_id,
        version=ev.label.version,
        detail=(("sections held in full", held),),
    )


def _coverage(evs: tuple[Evidence, ...], audience: str = "clinician") -> list[SummaryLine]:
    """Per drug, the label sections the pack does not hold in full (one line for both drugs when
    they miss the same sections)."""
    missing = [[s for s in SECTIONS if s not in ev.coverage] for ev in evs]
    if len(evs) == 2 and missing[0] and missing[0] == missing[1]:
        a, b = evs
        names = _section_names(missing[0])
        ids = f"{a.drug.product.id} {b.drug.product.id}"
        drugs = f"{a.name} and {b.name}"
        if audience == "patient":
            text = ph.COVERAGE_MISSING_PATIENT_BOTH.format(drugs=drugs, missing=names)
            advice = ""
        else:
            verb = " is" if len(missing[0]) == 1 else " are"
            text = ph.COVERAGE_MISSING.format(drug=drugs, missing=names + verb)
            advice = ph.COVERAGE_ADVICE.format(id=ids)
        cited = (coverage_record(a), coverage_record(b))
        return [SummaryLine(text, cited, "coverage", advice=advice)]
    out = []
    for ev in evs:
        advice = ""
        missing = [s for s in SECTIONS if s not in ev.coverage]
        if not missing:
            text = ph.COVERAGE_FULL.format(drug=ev.name)
        else:
            names = _section_names(missing)
            names += " is" if len(missing) == 1 else " are"
            if audience == "patient":
                text = ph.COVERAGE_MISSING_PATIENT.format(
                    drug=ev.name, missing=names.rsplit(" ", 1)[0]
                )
            else:
                text = ph.COVERAGE_MISSING.format(drug=ev.name, missing=names)
                advice = ph.COVERAGE_ADVICE.format(id=ev.drug.product.id)
        out.append(SummaryLine(text, (coverage_record(ev),), "coverage", advice=advice))
    return out


def _section_names(missing: list[str]) -> str:
    """'boxed warning, sections 1, 2, 5': the sections a pack entry misses, named."""
    numbered = [s for s in missing if s not in ph.SECTION_NAMES]
    named = [ph.SECTION_NAMES[s] for s in missing if s in ph.SECTION_NAMES]
    if numbered:
        named.append(("sections " if len(numbered) > 1 else "section ") + ", ".join(numbered))
    return ", ".join(named)


def build_summary(
    a: Evidence,
    b: Evidence,
    dimensions: tuple[Dimension, ...],
    factors: tuple[str, ...] = (),
    audience: str = "clinician",
) -> Summary:
    from rxcompare.comparison.align import align

    findings = _counted(dimensions)
    aligned = align(a, b)
    ranked = _differs(findings, aligned)
    patient = audience == "patient"  # no command-line option named to a patient
    differs = _capped(
        ranked,
        MAX_DIFFERS,
        ph.MORE_DIFFERENCES_PATIENT if patient else ph.MORE_DIFFERENCES,
        ph.DIFFERENCE,
    )
    shared = _shared(a, b, aligned)
    figures = _capped(
        _figures(a, b) + _trial_figures(findings),
        MAX_FIGURES,
        ph.MORE_FIGURES_PATIENT if patient else ph.MORE_FIGURES,
        ph.NUMBER_NOUN if patient else ph.FIGURE_NOUN,
    )
    cannot = _cannot_tell(a, b, findings, aligned, patient)
    if any(line.topic.startswith("h2h.") for line in figures):
        cannot = [line for line in cannot if line.topic != "trial.no_head_to_head"]
    summary = Summary(
        answer=_answer(a, b, differs, shared, cannot, ranked),
        notices=tuple(_notices(a, b, factors, patient)),
        differs=tuple(differs),
        figures=tuple(figures),
        shared=tuple(shared),
        cannot_tell=tuple(cannot),
        coverage=tuple(_coverage((a, b), audience)),
    )
    return _in_plain_words(summary) if patient else summary


def _in_plain_words(s: Summary) -> Summary:
    """A patient's summary: every line's connective words in plain words (ph.PATIENT_WORDS)."""

    def plain(line: SummaryLine) -> SummaryLine:
        text = line.text
        for said, plainly in ph.PATIENT_WORDS:
            text = text.replace(said, plainly)
        return replace(line, text=text) if text != line.text else line

    groups = ("notices", "differs", "figures", "shared", "cannot_tell", "coverage")
    return replace(
        s, answer=plain(s.answer), **{g: tuple(plain(x) for x in getattr(s, g)) for g in groups}
    )
