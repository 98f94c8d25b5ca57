"""Another jurisdiction's label statements (EU, UK, Swiss texts: class ``eu-label``) beside the US
findings, never merged into them.

A US comparison leads with the US labels. Each EU statement joins the finding of its topic as its
own line, opened by its jurisdiction ("EU: ..."), with its own citation. When the statement is a
rule (weeks before a vaccine, months of contraception, a dose: :data:`RULES`) whose figure differs
from a US fact's of the same topic, unit and measure, its line says so and the difference becomes
a finding of its own (for the fictional test pair: "Betanib, contraception after the last dose: EU
text 6 months, US text 12 months"), so that the summary lists it; the US figure stays the one the dimension compares. A
percentage is never set against another text's percentage. An EU statement whose topic no
finding covers becomes a finding of its own in the dimension of its topic.
"""

from __future__ import annotations

from dataclasses import replace

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites, finding
from rxcompare.models import Dimension, Fact, Favours, Finding, Grade
from rxcompare.sources.labels.topics import topic_dimension, topic_family

# Only rules are compared figure to figure (weeks before a vaccine, months of contraception, a
# dose): a percentage of one text's trials is not the same measure as another's.
RULES = ("vaccination.", "pregnancy.", "admin.", "lactation")
MEASURE_KEYS = ("measure", "type", "kind", "arm", "phase")

LINE = "{where}: {text}"
LINE_DIFFERS = "{where} (differs from the US text: {other} here, {us} in the US text): {text}"
APART = "Statements of another jurisdiction's label, shown apart from the US labels."
# a figure of another jurisdiction's text that differs from the US text's: a difference of its own
DIFFERS = "{drug}, {topic}: {where} text {other}, US text {us}."
SIDE_NONE = "No statement of another jurisdiction held."


def _figure(f: Fact) -> str:
    return f"{f.value:g} {f.unit}"


def _line(fact: Fact, us: tuple[Fact, ...]) -> str:
    where = fact.citation.jurisdiction or "EU"
    pair = _differing(fact, us)
    if pair:
        return LINE_DIFFERS.format(where=where, other=pair[0], us=pair[1], text=fact.text)
    return LINE.format(where=where, text=fact.text)


def _differing(fact: Fact, us: tuple[Fact, ...]) -> tuple[str, str] | None:
    """(EU figure, US figures) when the EU fact's figure differs from the US facts' of its topic
    and unit; None otherwise."""
    if fact.value is None or not fact.unit or not fact.topic.startswith(RULES):
        return None
    others = {
        _figure(u)
        for u in us
        if u.topic == fact.topic
        and u.unit == fact.unit
        and u.value is not None
        and _same_measure(u, fact)
    }
    if others and _figure(fact) not in others:
        return _figure(fact), " / ".join(sorted(others))
    return None


def _same_measure(us: Fact, eu: Fact) -> bool:
    """Whether two facts' figures measure the same thing: no qualifier that names what is
    measured differs between them (one fact lacking it counts as different)."""
    return all(us.qualifier(k) == eu.qualifier(k) for k in MEASURE_KEYS)


def _covers(f: Finding, fact: Fact) -> bool:
    return fact.topic == f.topic or fact.topic in topic_family(f.topic)


def add_other_jurisdiction(
    dimensions: list[Dimension], a: Evidence, b: Evidence
) -> list[Dimension]:
    """The dimensions with each drug's EU statements beside the findings of their topic."""
    placed: set[int] = set()
    out = []
    for d in dimensions:
        fs = []
        for f in d.findings:
            lines = {"a": [], "b": []}
            extra = []
            for side, ev in (("a", a), ("b", b)):
                for fact in ev.other_jurisdiction:
                    if _covers(f, fact):
                        lines[side].append(_line(fact, ev.facts))
                        extra.append(fact)
                        placed.add(id(fact))
            if extra:
                f = replace(
                    f,
                    a_text="\n".join(x for x in (f.a_text, *lines["a"]) if x),
                    b_text="\n".join(x for x in (f.b_text, *lines["b"]) if x),
                    citations=cites(f.citations, extra),
                )
            fs.append(f)
        out.append(replace(d, findings=tuple(fs)))
    # statements of a topic no finding covers: a finding of their own, in their topic's dimension
    topics: dict[str, list[Fact]] = {}
    for ev in (a, b):
        for fact in ev.other_jurisdiction:
            if id(fact) not in placed:
                topics.setdefault(fact.topic, []).append(fact)
    out = _with_differences(out, a, b)
    for topic, facts in topics.items():
        fa = [_line(x, a.facts) for x in facts if x in a.other_jurisdiction]
        fb = [_line(x, b.facts) for x in facts if x in b.other_jurisdiction]
        new = finding(
            topic_dimension(topic),
            topic,
            APART,
            Favours.UNCLEAR,
            Grade.SECONDARY,
            cites(facts),
            a_text="\n".join(fa) or SIDE_NONE,
            b_text="\n".join(fb) or SIDE_NONE,
            kind="describes",
        )
        key = new.dimension
        for i, d in enumerate(out):
            if d.key == key:
                out[i] = replace(d, findings=(*d.findings, new))
                break
        else:  # the dimension held nothing for either drug's US texts: it opens for this one
            out.append(Dimension(key, ph.title(key), (new,)))
    return out


def _with_differences(dimensions: list[Dimension], a: Evidence, b: Evidence) -> list[Dimension]:
    """Each EU figure that differs from its US text, as a difference of its own after the finding
    of its topic (same topic: the side-by-side table keeps the US finding's row)."""
    out = []
    for d in dimensions:
        fs = []
        for f in d.findings:
            fs.append(f)
            if f.topic in {x.topic for x in fs[:-1]}:
                continue
            for ev in (a, b):
                for fact in ev.other_jurisdiction:
                    pair = _differing(fact, ev.facts)
                    if pair is None or fact.topic != f.topic:
                        continue
                    us = tuple(u for u in ev.facts if u.topic == fact.topic and u.unit == fact.unit)
                    # no cell texts: the EU line stands in the US finding's cell already
                    fs.append(
                        finding(
                            d.key,
                            f.topic,
                            DIFFERS.format(
                                drug=ev.name,
                                topic=ph.topic_name(fact.topic),
                                where=fact.citation.jurisdiction or "EU",
                                other=pair[0],
                                us=pair[1],
                            ),
                            Favours.NONE,
                            Grade.SECONDARY,
                            cites(us, [fact]),
                            kind="differs",
                        )
                    )
        out.append(replace(d, findings=tuple(fs)))
    return out
