"""Another jurisdiction's label statements (EU, UK, Swiss texts: class ``eu-label``) beside the US
findings, never merged into them.

A US comparison leads with the US labels. Each EU statement joins the finding of its topic as its
own line, opened by its jurisdiction ("EU: ..."), with its own citation; when the statement gives
a figure in the unit a US fact of the same topic gives a different figure in, the line says that
the texts differ. An EU statement whose topic no finding covers becomes a finding of its own in
the dimension of its topic.
"""

from __future__ import annotations

from dataclasses import replace

from rxcompare.comparison.evidence import Evidence, cites, finding
from rxcompare.models import Dimension, Fact, Favours, Finding, Grade
from rxcompare.sources.labels.topics import topic_dimension, topic_family

LINE = "{where}: {text}"
LINE_DIFFERS = "{where} (differs from the US text: {other} here, {us} in the US text): {text}"
APART = "Statements of another jurisdiction's label, shown apart from the US labels."
SIDE_NONE = "No statement of another jurisdiction held."


def _figure(f: Fact) -> str:
    return f"{f.value:g} {f.unit}"


def _line(fact: Fact, us: tuple[Fact, ...]) -> str:
    where = fact.citation.jurisdiction or "EU"
    if fact.value is not None and fact.unit:
        others = {
            _figure(u) for u in us
            if u.topic == fact.topic and u.unit == fact.unit and u.value is not None
        }
        if others and _figure(fact) not in others:
            return LINE_DIFFERS.format(
                where=where, other=_figure(fact), us=" / ".join(sorted(others)), text=fact.text
            )
    return LINE.format(where=where, text=fact.text)


def _covers(f: Finding, fact: Fact) -> bool:
    return fact.topic == f.topic or fact.topic in topic_family(f.topic)


def add_other_jurisdiction(dimensions: list[Dimension], a: Evidence, b: Evidence) -> list[Dimension]:
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
    for topic, facts in topics.items():
        fa = [_line(x, a.facts) for x in facts if x in a.other_jurisdiction]
        fb = [_line(x, b.facts) for x in facts if x in b.other_jurisdiction]
        new = finding(
            topic_dimension(topic), topic, APART, Favours.UNCLEAR, Grade.SECONDARY, cites(facts),
            a_text="\n".join(fa) or SIDE_NONE, b_text="\n".join(fb) or SIDE_NONE, kind="describes",
        )
        key = new.dimension
        for i, d in enumerate(out):
            if d.key == key:
                out[i] = replace(d, findings=(*d.findings, new))
                break
        else:
            for i, d in enumerate(out):
                if d.key == "other_warnings":
                    out[i] = replace(d, findings=(*d.findings, replace(new, dimension=d.key)))
                    break
    return out
