"""Two labels' warnings aligned topic by topic: what both address, what only one addresses, and
what cannot be told because the other label's section is not held.

A label's warnings are its facts filed under ``warning.*`` (warnings and precautions, wherever the
pack read them). Each is given one alignment topic:

- a fact parsed from a label: the general vocabulary's topics of its subsection
  (:mod:`rxcompare.sources.labels.vocabulary`; a denial or counselling warns of nothing);
- a fact entered by hand: the topic it was filed under;
- failing both, its W&P subject (``cardiac``, ``bleeding``, ...) or the label's own subsection
  title ("Skeletal Muscle Effects"), so that a warning nobody has a word for still counts as
  itself, never lumped with every other warning.

Topics of one family meet: a label warning of serious infections and one warning of infections
both address infections (:data:`~rxcompare.sources.labels.topics.TOPIC_CHILDREN`).

That only one label warns of a topic is a difference only when the other label's warnings and
precautions (section 5) are held in full; otherwise it is something this comparison cannot tell.
Nothing here says anything about a medicine: the names of topics are the vocabulary's, the texts
are the facts' own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rxcompare.comparison.evidence import Evidence
from rxcompare.models import Fact
from rxcompare.sources.labels.topics import TOPIC_CHILDREN
from rxcompare.sources.labels.warning_topics import classify_warning

# the section that states a label's warnings (see Evidence.coverage)
WARNINGS_SECTION = "5"

# topics shown in dimensions of their own (infections, malignancy, ...); the rest are "other warnings"
OWN_DIMENSION = {
    "warning.infections",
    "warning.serious_infections",
    "warning.herpes",
    "warning.hbv",
    "warning.pml",
    "warning.administration_reactions",
    "warning.immunoglobulins",
    "warning.malignancy",
    "warning.fetal_risk",
}


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
    titles: str = ""  # the labels' own subsection titles, for a reader to see what was paired


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# the general vocabulary's topics that have a dimension of their own, by that dimension's key
_OWN_KEYS = {
    "infections": "warning.infections",
    "infections.serious": "warning.serious_infections",
    "infections.pml": "warning.pml",
    "infections.hepatitis_b": "warning.hbv",
    "infections.herpes": "warning.herpes",
    "malignancy": "warning.malignancy",
    "hepatotoxicity": "warning.liver_injury",
    "embryo_fetal_toxicity": "warning.fetal_risk",
    "administration_reactions": "warning.administration_reactions",
}
# older topic keys the general vocabulary has no topic for: kept as they are
_KEPT = {"warning.immunoglobulins", "warning.colitis"}


def vocabulary_key(key: str) -> str:
    """The general vocabulary's topic of an alignment key ("warning.pml" -> "infections.pml",
    "vocab.bleeding" -> "bleeding"); "" for a W&P subject or a label's own title."""
    if key.startswith("vocab."):
        return key.removeprefix("vocab.")
    return next((k for k, own in _OWN_KEYS.items() if own == key), "")


def _title(f: Fact) -> str:
    if f.topic == "boxed_warning":
        return f.qualifier("heading") or ""
    return re.sub(r"^\s*\d+(\.\d+)*\s*", "", f.citation.section_title or "").strip()


def topics_of(f: Fact) -> tuple[tuple[str, str], ...]:
    """A warning fact's alignment topics: ((key, name), ...), none when it warns of nothing.

    A fact entered by hand keeps the topic it was filed under (a curator chose it). A fact parsed
    from a label takes the general vocabulary's topics of its subsection
    (:func:`~rxcompare.sources.labels.vocabulary.assign_topics`: title first, text second; a
    denial or a counselling sentence, "offers no protection against ...", warns of nothing); a
    topic with a dimension of its own keeps that dimension's key. Where the vocabulary has no word
    for the subsection ("Flushing"), the older rules: its W&P subject, else its own title."""
    if not f.citation.curated:
        from rxcompare.sources.labels.vocabulary import assign_topics, topic_label

        found = assign_topics(_title(f), f.text)
        if found:
            return tuple(
                (_OWN_KEYS[k], "") if k in _OWN_KEYS else (f"vocab.{k}", topic_label(k))
                for k in found
            )
        if f.topic != "warning.other" and f.topic not in _KEPT and f.topic != "boxed_warning":
            return ()  # the older rules saw a topic the vocabulary reads as a denial or counselling
    old = _older_topic(f)
    return (old,) if old else ()


def _older_topic(f: Fact) -> tuple[str, str] | None:
    if f.topic == "boxed_warning":
        topic, subject = classify_warning(f.qualifier("heading") or "", f.text)
        if topic == "warning.other" and not subject:
            return None
        f = replace(f, topic=topic, qualifiers=(("subject", subject),) if subject else ())
    if f.topic != "warning.other":
        return f.topic, ""
    subject = f.qualifier("subject")
    title = _title(f)
    if subject:  # matched by its subject key, named by the label's own title where it has one
        return f"subject.{subject}", title or subject.replace("_", " ")
    if title:
        return f"title.{_slug(title)}", title
    return "warning.other", ""


def warnings_of(ev: Evidence) -> dict[str, tuple[str, list[Fact]]]:
    """The label's warnings by alignment topic: key -> (name, facts), in label order."""
    out: dict[str, tuple[str, list[Fact]]] = {}
    for f in ev.facts:
        if not f.topic.startswith("warning.") and f.topic != "boxed_warning":
            continue
        for key, name in topics_of(f):
            out.setdefault(key, (name, []))[1].append(f)
    return out


def held(ev: Evidence) -> bool:
    """Whether the label's warnings and precautions are held in full."""
    return WARNINGS_SECTION in ev.coverage


def _titles(facts) -> str:
    """The labels' own subsection titles of the facts, each once ("Risk of Thyroid C-cell Tumors")."""
    out = []
    for f in facts:
        # a numbered warnings-and-precautions subsection's own title, read in the label or a copy
        c = f.citation
        if not re.fullmatch(r"5\.\d+", c.section or "") or c.curated or not c.is_label_text:
            continue
        title = re.sub(r"^\s*\d+(\.\d+)*\s*", "", f.citation.section_title or "").strip()
        if title and title.lower() not in (t.lower() for t in out):
            out.append(title)
    return " / ".join(out)


def align(a: Evidence, b: Evidence) -> tuple[AlignedTopic, ...]:
    """The two labels' warnings, topic by topic: shared first, then differences, then what
    cannot be told, each in label order. Topics both labels name are paired first; a topic left
    on one side then meets a broader or narrower topic of its family left on the other."""
    wa, wb = warnings_of(a), warnings_of(b)
    pairs: list[tuple[str, str, tuple[Fact, ...], tuple[Fact, ...], str]] = []
    for key in [k for k in wa if k in wb]:
        pairs.append((key, wa[key][0], tuple(wa[key][1]), tuple(wb[key][1]), ""))
    left_a = {k: v for k, v in wa.items() if k not in wb}
    left_b = {k: v for k, v in wb.items() if k not in wa}
    for mine, other, whole, first in ((left_a, left_b, wb, True), (left_b, left_a, wa, False)):
        for key in list(mine):
            if key not in mine:
                continue
            name, facts = mine.pop(key)
            # a general warning (infections) meets the narrower ones (serious infections, PML)
            # the other label carries and that were not paired already, else those it carries
            # and that were paired (a label warning of serious infections does warn of
            # infections); a narrower warning alone stays itself: "only A warns of PML" is not
            # "both warn of infections"
            kin = [k for k in TOPIC_CHILDREN.get(key, ()) if k in other]
            extra: tuple[Fact, ...] = ()
            family = ""
            if kin:
                family = key
                extra = tuple(f for k in kin for f in other.pop(k)[1])
            else:
                paired = [k for k in TOPIC_CHILDREN.get(key, ()) if k in whole]
                if paired:
                    family = key
                    extra = tuple(f for k in paired for f in whole[k][1])
            fa, fb = (tuple(facts), extra) if first else (extra, tuple(facts))
            pairs.append((family or key, name, fa, fb, family))
    out = []
    for key, name, fa, fb, family in pairs:
        if fa and fb:
            state = "both"
        elif fa:
            state = "only_a" if held(b) else "gap_b"
        else:
            state = "only_b" if held(a) else "gap_a"
        titles = _titles(fa + fb)
        out.append(AlignedTopic(key, name, fa, fb, state, key in OWN_DIMENSION, family, titles))
    order = {"both": 0, "only_a": 1, "only_b": 1, "gap_a": 2, "gap_b": 2}
    return tuple(sorted(out, key=lambda t: order[t.state]))


__all__ = ["AlignedTopic", "align", "held", "topics_of", "vocabulary_key", "warnings_of"]
