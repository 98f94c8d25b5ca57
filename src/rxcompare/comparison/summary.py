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
# Dimensions whose shared topics are warnings ("what both share").
WARNING_DIMENSIONS = (
    "administration_reactions", "infections", "vaccinations", "malignancy", "immunoglobulins",
    "pregnancy", "other_warnings",
)
MAX_TRIAL_LINES = 6


def _line(f: Finding, text: str | None = None) -> SummaryLine:
    return SummaryLine(text or f.statement, f.citations, f.topic, f.favours)


def _counted(dimensions: tuple[Dimension, ...]) -> list[Finding]:
    return [f for d in dimensions if d.key != "patient_factors" for f in d.findings]


def _answer(a: Evidence, b: Evidence, findings: list[Finding]) -> SummaryLine:
    fa = [f for f in findings if f.favours is Favours.A]
    fb = [f for f in findings if f.favours is Favours.B]
    gaps = sum(1 for f in findings if f.kind == "gap")
    differs = sum(1 for f in findings if f.kind == "differs")
    shared = sum(1 for f in findings if f.kind == "shared")
    if not fa and not fb:
        text = ph.ANSWER_NONE.format(nd=differs, ns=shared, ng=gaps)
        return SummaryLine(text)
    parts = [
        ph.ANSWER_FAVOURED.format(drug=ev.name, n=len(group), grades=_grades(group))
        for ev, group in ((a, fa), (b, fb)) if group
    ]
    text = ph.ANSWER_SOME.format(favoured=" and ".join(parts), ng=gaps)
    return SummaryLine(text, cites(*(f.citations for f in fa + fb)))


def _grades(group: list[Finding]) -> str:
    words = dict.fromkeys(ph.GRADE_NAMES[f.grade.value] for f in group)
    return ", ".join(words)


def _shared_indication(a: Evidence, b: Evidence) -> bool:
    return bool(set(a.drug.product.indications) & set(b.drug.product.indications))


def _notices(a: Evidence, b: Evidence, factors: tuple[str, ...]) -> list[SummaryLine]:
    out = []
    if not _shared_indication(a, b):
        facts = a.topic("indication") + b.topic("indication")
        out.append(
            SummaryLine(
                ph.NO_SHARED_INDICATION.format(
                    a=a.name, b=b.name,
                    ia=", ".join(a.drug.product.indications) or ph.NO_INDICATION,
                    ib=", ".join(b.drug.product.indications) or ph.NO_INDICATION,
                ),
                cites(facts),
                "indication",
            )
        )
    for ev, other in ((a, b), (b, a)):
        d = ev.drug
        if d.resolved_by:
            out.append(
                SummaryLine(
                    ph.RESOLVED_AS.format(
                        query=d.query, brand=ev.name, ingredient=d.ingredient,
                        indication=d.resolved_by, other=other.name,
                    ),
                    topic="resolution",
                )
            )
    if factors:
        names = "; ".join(ph.FACTORS[k][0] for k in factors if k in ph.FACTORS)
        out.append(SummaryLine(ph.FACTORS_GIVEN.format(factors=names), topic="factors"))
    return out


def _differs(findings: list[Finding]) -> list[SummaryLine]:
    out, trials = [], 0
    for f in findings:
        if f.dimension == "mechanism":
            continue
        if f.grade is Grade.TRIAL and f.topic != "trial.no_head_to_head":
            trials += 1
            if trials <= MAX_TRIAL_LINES:
                out.append(_line(f))
        elif f.grade is Grade.POSTMARKETING and f.favours in (Favours.A, Favours.B):
            out.append(_line(f))
        elif f.kind == "differs":
            out.append(_line(f))
    if trials > MAX_TRIAL_LINES:
        out.append(SummaryLine(ph.MORE_TRIAL_FIGURES.format(n=trials - MAX_TRIAL_LINES), topic="trial"))
    return out


def _shared(a: Evidence, b: Evidence, dimensions: tuple[Dimension, ...]) -> list[SummaryLine]:
    out = []
    seen = set()
    for d in dimensions:
        if d.key not in WARNING_DIMENSIONS:
            continue
        for f in d.findings:
            if f.kind != "shared" or f.topic in seen:
                continue
            seen.add(f.topic)
            where = "; ".join(
                f"{ev.name} {place}" for ev, place in ((a, _cited_where(f, a)), (b, _cited_where(f, b)))
                if place
            )
            out.append(
                _line(f, ph.SHARED_LINE.format(topic=ph.cap(ph.topic_name(f.topic)), where=where))
            )
    return out


def _cited_where(f: Finding, ev: Evidence) -> str:
    """Where a finding was read for the drug: its label's sections ("label 5.1, 2.1"; a copy of
    the label counts as the label) and the other kinds of document it cites ("and a secondary
    summary"), never another document's headings beside the label's section numbers."""
    own = [c for c in f.citations if c.set_id == ev.label.set_id]
    secs = [c.section for c in own if c.section and c.source_class in ("label", "label-copy")]
    parts = [ph.WHERE_LABEL.format(sections=", ".join(dict.fromkeys(secs)))] if secs else []
    for cls, (one, several) in ph.WHERE_OTHER.items():
        docs = {c.url or c.title for c in own if c.source_class == cls}
        if docs:
            parts.append(one if len(docs) == 1 else several)
    return ph.WHERE_AND.join(parts)


def _comparators(ev: Evidence) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.arm for i in ev.incidences if i.is_comparator))


def _cannot_tell(a: Evidence, b: Evidence, findings: list[Finding]) -> list[SummaryLine]:
    out = []
    for f in findings:
        if f.topic == "trial.no_head_to_head" or f.kind == "limits":
            if f.topic not in {line.topic for line in out}:
                out.append(_line(f))
    if not any(line.topic == "trial.no_head_to_head" for line in out) and not any(
        f.grade is Grade.TRIAL and f.favours in (Favours.A, Favours.B) for f in findings
    ):
        out.append(
            SummaryLine(ph.NO_H2H.format(a=a.name, b=b.name), (a.label, b.label), "trial.no_head_to_head")
        )
    ca, cb = _comparators(a), _comparators(b)
    if ca and cb and set(ca) != set(cb):
        cited = cites([i for i in a.incidences + b.incidences if i.is_comparator])
        out.append(
            SummaryLine(
                ph.DIFFERENT_COMPARATORS.format(a=a.name, ca=", ".join(ca), b=b.name, cb=", ".join(cb)),
                cited, "trial.comparators",
            )
        )
    for f in findings:
        if f.dimension == "postmarketing" and f.grade is Grade.ABSENT:
            out.append(_line(f))
    return out


def coverage_record(ev: Evidence) -> Citation:
    """A citation of the pack's coverage record of a drug (which label sections it holds in full):
    what a statement about the pack's gaps rests on; it names no label section."""
    held = ", ".join(s for s in SECTIONS if s in ev.coverage) or ph.NONE_HELD
    return Citation(
        kind="pack", title=ph.COVERAGE_TITLE.format(drug=ev.name),
        set_id=ev.label.set_id, version=ev.label.version,
        detail=(("sections held in full", held),),
    )


def _coverage(evs: tuple[Evidence, ...]) -> list[SummaryLine]:
    out = []
    for ev in evs:
        missing = [s for s in SECTIONS if s not in ev.coverage]
        if not missing:
            text = ph.COVERAGE_FULL.format(drug=ev.name)
        else:
            numbered = [s for s in missing if s not in ph.SECTION_NAMES]
            named = [ph.SECTION_NAMES[s] for s in missing if s in ph.SECTION_NAMES]
            names = ", ".join(
                named + ([("sections " if len(numbered) > 1 else "section ") + ", ".join(numbered)] if numbered else [])
            )
            names += " is" if len(missing) == 1 else " are"
            text = ph.COVERAGE_MISSING.format(drug=ev.name, missing=names, id=ev.drug.product.id)
        out.append(SummaryLine(text, (coverage_record(ev),), "coverage"))
    return out


def build_summary(
    a: Evidence, b: Evidence, dimensions: tuple[Dimension, ...], factors: tuple[str, ...] = ()
) -> Summary:
    findings = _counted(dimensions)
    return Summary(
        answer=_answer(a, b, findings),
        notices=tuple(_notices(a, b, factors)),
        differs=tuple(_differs(findings)),
        shared=tuple(_shared(a, b, dimensions)),
        cannot_tell=tuple(_cannot_tell(a, b, findings)),
        coverage=tuple(_coverage((a, b))),
    )
