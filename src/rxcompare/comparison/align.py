"""Two labels' warnings aligned topic by topic: what both address, what only one addresses, and
what cannot be told because the other label's section is not held.

A label's warnings are its facts filed under ``warning.*`` (warnings and precautions, wherever the
pack read them). Each is given one alignment topic:

- the topic of the fact (``warning.hbv`` -> ``hbv``) when it names one;
- for ``warning.other``, its subject (``cardiac``, ``bleeding``, ... from
  :data:`~rxcompare.sources.labels.topics.WARNING_SUBJECTS`);
- failing both, the label's own subsection title ("Skeletal Muscle Effects"), so that a warning
  nobody has a word for still counts as itself, never lumped with every other warning.

Topics of one family meet: a label warning of serious infections and one warning of infections
both address infections (:data:`~rxcompare.sources.labels.topics.TOPIC_CHILDREN`).

That only one label warns of a topic is a difference only when the other label's warnings and
precautions (section 5) are held in full; otherwise it is something this comparison cannot tell.
Nothing here says anything about a medicine: the names of topics are the vocabulary's, the texts
are the facts' own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rxcompare.comparison.evidence import Evidence
from rxcompare.models import Fact
from rxcompare.sources.labels.topics import TOPIC_CHILDREN

# the section that states a label's warnings (see Evidence.coverage)
WARNINGS_SECTION = "5"

# topics shown in dimensions of their own (infections, malignancy, ...); the rest are "other warnings"
OWN_DIMENSION = {
    "warning.infections", "warning.serious_infections", "warning.herpes", "warning.hbv",
    "warning.pml", "warning.administration_reactions", "warning.immunoglobulins",
    "warning.malignancy", "warning.fetal_risk",
}

_PARENT = {child: parent for parent, kids in TOPIC_CHILDREN.items() for child in kids}


@dataclass(frozen=True)
class AlignedTopic:
    """One warning topic of the two labels.

    ``state``: ``both`` (each label warns of it), ``only_a`` / ``only_b`` (one label warns of it
    and the other's section 5 is held in full: a difference), ``gap_a`` / ``gap_b`` (one label
    warns of it and the *other* label's section 5 is not held in full: cannot tell).
    ``family``: set when the two labels meet through a broader topic (serious infections /
    infections).
    """

    key: str
    name: str
    a: tuple[Fact, ...]
    b: tuple[Fact, ...]
    state: str
    own_dimension: bool = False
    family: str = ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def topic_of(f: Fact) -> tuple[str, str]:
    """A warning fact's alignment topic: (key, name)."""
    if f.topic != "warning.other":
        return f.topic, ""
    subject = f.qualifier("subject")
    if subject:
        return f"subject.{subject}", subject.replace("_", " ")
    title = re.sub(r"^\s*\d+(\.\d+)*\s*", "", f.citation.section_title or "").strip()
    if title:
        return f"title.{_slug(title)}", title
    return "warning.other", ""


def warnings_of(ev: Evidence) -> dict[str, tuple[str, list[Fact]]]:
    """The label's warnings by alignment topic: key -> (name, facts), in label order."""
    out: dict[str, tuple[str, list[Fact]]] = {}
    for f in ev.facts:
        if not f.topic.startswith("warning."):
            continue
        key, name = topic_of(f)
        out.setdefault(key, (name, []))[1].append(f)
    return out


def held(ev: Evidence) -> bool:
    """Whether the label's warnings and precautions are held in full."""
    return WARNINGS_SECTION in ev.coverage


def align(a: Evidence, b: Evidence) -> tuple[AlignedTopic, ...]:
    """The two labels' warnings, topic by topic: shared first, then differences, then what
    cannot be told, each in label order."""
    wa, wb = warnings_of(a), warnings_of(b)
    out: list[AlignedTopic] = []
    met: set[str] = set()
    for key in list(wa) + [k for k in wb if k not in wa]:
        if key in met:
            continue
        name = wa.get(key, wb.get(key))[0]
        fa = tuple(wa.get(key, ("", []))[1])
        fb = tuple(wb.get(key, ("", []))[1])
        family = ""
        if not (fa and fb):
            # a broader or narrower topic of the same family in the other label
            parent = _PARENT.get(key, key)
            kin = {parent, *TOPIC_CHILDREN.get(parent, ())} - {key}
            other = wb if fa else wa
            found = [k for k in kin if k in other and k not in met]
            if parent in TOPIC_CHILDREN and found:
                family = parent
                extra = tuple(f for k in found for f in other[k][1])
                met.update(found)
                fa, fb = (fa, fb + extra) if fa else (fa + extra, fb)
        met.add(key)
        if fa and fb:
            state = "both"
        elif fa:
            state = "only_a" if held(b) else "gap_b"
        else:
            state = "only_b" if held(a) else "gap_a"
        out.append(AlignedTopic(key, name, fa, fb, state, key in OWN_DIMENSION or family in OWN_DIMENSION, family))
    order = {"both": 0, "only_a": 1, "only_b": 1, "gap_a": 2, "gap_b": 2}
    return tuple(sorted(out, key=lambda t: order[t.state]))


__all__ = ["AlignedTopic", "align", "held", "topic_of", "warnings_of"]
