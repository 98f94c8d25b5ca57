"""Listedness: is a drug-event pair's event already in the product's label?

The first question asked about any signal (EMA GVP Module IX; FDA's signal review). For a product
of the pack and an event (a MedDRA preferred term, or a group name), :func:`listedness` answers

- ``listed`` where the label's boxed warning, 5 Warnings and Precautions or 6 Adverse Reactions
  (text and table cells) prints the term (``match="term"``: the words of the term, in any case),
  or holds a boxed warning or warnings-and-precautions subsection on the term's
  topic (``match="topic"``: the topic vocabulary classifies both the term and the subsection's
  title, and they agree). The section and a citation of the label version are given.
- ``unlisted`` only when neither appears and the pack holds those sections of that label whole:
  the text of the boxed warning and of sections 5 and 6 (:meth:`Pack.safety_text_of`, kept for
  labels parsed in full) and the coverage of both sections (:meth:`Pack.coverage_of`).
- ``unknown`` otherwise, saying why: the product is not in the pack, the ingredient has several
  products, or the pack holds the label only in part (a curated entry holds extracted statements,
  not whole sections). "Unknown" never reads as "the label states nothing".

An unlisted event is unlisted *in these words*: a label may describe it in other words than the
MedDRA term (myocardial infarction as "heart attack"). Topics too broad to say an event is
described (nervous system, gastrointestinal, drug interactions, ...) are never matched by topic.

The topic source is swappable (:class:`TopicSource`): by default the warnings-and-precautions
topics of :mod:`rxcompare.sources.labels.warning_topics`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from rxcompare.models import Citation, Label, Listedness, Section
from rxcompare.sources.pack.record import SAFETY_SECTIONS, Pack, SectionText

__all__ = [
    "STATES",
    "TopicSource",
    "WarningTopics",
    "listed_columns",
    "listed_for_label",
    "label_text_from_label",
    "listedness",
    "safety_text_from_label",
]

STATES = ("listed", "unlisted", "unknown")

_BOXED = "34066-1"
_WARNINGS = (
    "43685-7",
    "34071-1",
    "42232-9",
)  # warnings and precautions; older warnings, precautions
_ADVERSE = "34084-4"

# topics too broad for a section on them to describe a given event
BROAD_TOPICS = frozenset(
    {
        "warning.other",
        "neurological",
        "psychiatric",
        "gastrointestinal",
        "metabolic",
        "immune",
        "musculoskeletal",
        "eye",
        "skin",
        "special_populations",
        "drug_interactions",
        "use_errors",
        "diagnostic",
        "monitoring",
        "resistance",
        "endocrine",
        "genitourinary",
        "cardiac",
        "renal",
        "pulmonary",
        "warning.infections",
    }
)


class TopicSource(Protocol):
    """Classifies an event term and a label section title into one topic vocabulary."""

    def term_topic(self, term: str) -> str | None: ...

    def section_topic(self, title: str, text: str = "") -> str | None: ...


class WarningTopics:
    """The warnings-and-precautions topics (:func:`~rxcompare.sources.labels.warning_topics.classify_warning`):
    a comparison topic (``warning.hbv``) or a subject (``bleeding``), None when no rule matches."""

    def term_topic(self, term: str) -> str | None:
        return self.section_topic(term)

    def section_topic(self, title: str, text: str = "") -> str | None:
        from rxcompare.sources.labels.warning_topics import classify_warning

        topic, subject = classify_warning(title, text)
        key = subject or topic
        return None if key == "warning.other" else key


# ---- the text kept in the pack ----------------------------------------------------------------


def _table_lines(section: Section) -> list[str]:
    return [" | ".join(row) for t in section.tables for row in (*t.header, *t.rows)] + [
        f for t in section.tables for f in (t.caption, *t.footnotes) if f
    ]


def label_text_from_label(label: Label) -> tuple[SectionText, ...]:
    """Every section and subsection of a parsed label, whole (text, then table cells), in label
    order: the boxed warning as "BW", the others by their number (a subsection without one under
    its section's number; a section with neither, such as the highlights, is left out)."""
    out: list[SectionText] = []
    for top in label.sections:
        if top.code == _BOXED:
            key = "BW"
        elif top.code in _WARNINGS:
            key = top.number or "5"
        elif top.code == _ADVERSE:
            key = top.number or "6"
        else:
            key = top.number
        if not key:
            continue
        for s in top.walk():
            number = "BW" if key == "BW" else (s.number or key)
            text = "\n".join([s.text, *_table_lines(s)]).strip()
            if text or s.title:
                out.append(SectionText(number, s.title, text))
    return tuple(out)


def safety_text_from_label(label: Label) -> tuple[SectionText, ...]:
    """The boxed warning and every section and subsection of 5 and 6 of a parsed label, whole."""
    return tuple(
        s for s in label_text_from_label(label) if s.section.split(".")[0] in SAFETY_SECTIONS
    )


# ---- matching ---------------------------------------------------------------------------------


_DIGRAPH = re.compile(
    r"(?<=[a-z])[ao]e|^oe|^ae"
)  # MedDRA's British haem-, oedema, diarrhoea, foetal
_ENDINGS = ("ations", "ation", "ating", "ated", "ings", "ing", "ions", "ion", "ed")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A word in one spelling and without its inflection: haemorrhages -> hemorrhag..., so that the
    term and the label's words meet (demyelination / demyelinating, infection / infections)."""
    word = _DIGRAPH.sub("e", word)
    if len(word) < 5:
        return word
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "is", "us")):
        word = word[:-1]
    for end in _ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 4:
            return word[: -len(end)]
    return word


def _words(text: str) -> str:
    """Lower-case words, one spelling, no inflection, single spaces (see :func:`_stem`)."""
    return " ".join(_stem(w) for w in re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    words = _words(term)
    if len(words) < 3:  # "AE", "HIV": too short to find as words reliably
        return None
    return re.compile(r"(?<![0-9a-z])" + re.escape(words) + r"(?![0-9a-z])")


_MINOR = frozenset(
    {"of", "and", "or", "the", "in", "with", "nos", "to", "a", "an", "use", "risk", "reaction"}
)


@dataclass(frozen=True)
class _Passage:
    section: str
    title: str
    text: str  # normalised words
    topic: str | None  # of a boxed warning or W&P section, by its title
    citation: Citation

    text_raw: str = ""

    @property
    def sentences(self) -> tuple[frozenset[str], ...]:
        return _sentences(self.text_raw) if self.text_raw else ()

    @property
    def words(self) -> frozenset[str]:
        """Every word of the passage (a phrase or a sentence can hold a term only if this holds its words)."""
        return _word_set(self.text)


@lru_cache(maxsize=2048)
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


@lru_cache(maxsize=2048)
def _sentences(raw: str) -> tuple[frozenset[str], ...]:
    parts = re.split(r"[.;:\n|()\[\]]+", raw)
    return tuple(frozenset(_words(p).split()) for p in parts if p.strip())


def _match(p: _Passage, term: str, pattern: re.Pattern[str] | None) -> str:
    """How ``term`` appears in the passage: ``term`` (the phrase), ``term words`` (every word of it
    in one sentence), ``title`` (a warning whose title's words are all in the term, as "Hearing
    Loss" in "SUDDEN HEARING LOSS"), or ''."""
    if pattern is None:
        return ""
    words = _term_words(term)
    if words <= p.words and pattern.search(p.text):
        return "term"
    stems = words - _MINOR
    if len(stems) > 1 and stems <= p.words and any(stems <= sentence for sentence in p.sentences):
        return "term words"
    if _top(p.section) in ("BW", "5") and p.title:
        title = set(_words(p.title).split()) - _MINOR
        if len(title) > 1 and title <= stems:
            return "title"
    return ""


@lru_cache(maxsize=4096)
def _term_words(term: str) -> frozenset[str]:
    return frozenset(_words(term).split())


def _top(section: str) -> str:
    return section.split(".")[0]


def _label_cite(pack: Pack, product: str, section: str, title: str, lab: Any = None) -> Citation:
    lab = pack.label_of(product) if lab is None else lab
    brand = next((p.brand for p in pack.products if p.id == product), product)
    return Citation(
        kind="label",
        title=f"{brand} prescribing information",
        set_id=lab.set_id,
        version=lab.version,
        effective_date=lab.effective_date,
        section=section,
        section_title=title,
        url=lab.url,
    )


def _passages(pack: Pack, product: str, topics: TopicSource) -> tuple[tuple[_Passage, ...], bool]:
    """What the pack holds of the product's safety sections, and whether it is held whole."""
    held = pack.safety_text_of(product)
    cover = set(pack.coverage_of(product))
    if held:
        lab = pack.label_of(product)
        out = tuple(
            _Passage(
                s.section,
                s.title,
                _words(f"{s.title}\n{s.text}"),
                topics.section_topic(s.title, s.text) if _top(s.section) in ("BW", "5") else None,
                _label_cite(pack, product, s.section, s.title, lab),
                f"{s.title}\n{s.text}",
            )
            for s in held
        )
        return out, {"BW", "5", "6"} <= cover
    out = []
    for f in pack.facts_for(product):
        section = "BW" if f.topic == "boxed_warning" else (f.citation.section or "")
        if _top(section) not in ("BW", "5", "6"):
            continue
        title = f.citation.section_title or ""
        subject = dict(f.qualifiers).get("subject")
        topic = subject or (
            f.topic if f.topic.startswith("warning.") and f.topic != "warning.other" else None
        )
        if section == "BW":
            topic = topics.section_topic(dict(f.qualifiers).get("heading", "") or title)
        out.append(
            _Passage(
                section,
                title,
                _words(f"{title}\n{f.text}"),
                topic,
                f.citation,
                f"{title}\n{f.text}",
            )
        )
    for i in pack.incidences_for(product):
        section = i.citation.section or ""
        if _top(section) == "6":
            out.append(
                _Passage(
                    section,
                    i.citation.section_title or "",
                    _words(i.event),
                    None,
                    i.citation,
                    i.event,
                )
            )
    return tuple(out), False


_ORDER = {"BW": 0, "5": 1, "6": 2}


def listedness(
    pack: Pack, product: str, event: str, topics: TopicSource | None = None
) -> Listedness:
    """Whether ``event`` (a MedDRA preferred term or a group name) is in the label of the pack's
    ``product`` (see the module doc for the three states)."""
    topics = WarningTopics() if topics is None else topics
    if product not in {p.id for p in pack.products}:
        return Listedness(
            "unknown", product, event, why=f"{product!r} is not in the knowledge pack"
        )
    return _listedness(pack, product, event, topics, *_ordered_passages(pack, product, topics))


def _ordered_passages(
    pack: Pack, product: str, topics: TopicSource
) -> tuple[tuple[_Passage, ...], bool, Any]:
    """The product's passages in the order searched (boxed warning, 5, 6), whether they are its
    sections whole, and its label record."""
    passages, whole = _passages(pack, product, topics)
    order = tuple(sorted(passages, key=lambda p: _ORDER.get(_top(p.section), 3)))
    return order, whole, pack.label_of(product)


def _listedness(
    pack: Pack,
    product: str,
    event: str,
    topics: TopicSource,
    passages: tuple[_Passage, ...],
    whole: bool,
    lab: Any,
) -> Listedness:
    pattern = _term_pattern(event)
    topic = topics.term_topic(event) or ""
    for p in passages:
        how = _match(p, event, pattern)
        if how:
            return Listedness("listed", product, event, how, topic, p.section, p.title, p.citation)
    if topic and topic not in BROAD_TOPICS:
        for p in passages:
            if p.topic == topic:
                return Listedness(
                    "listed", product, event, "topic", topic, p.section, p.title, p.citation
                )
    if whole:
        return Listedness(
            "unlisted",
            product,
            event,
            topic=topic,
            citation=_label_cite(pack, product, "", "", lab),
            why=(
                f"the term does not appear in the boxed warning, 5 or 6 of the label (version "
                f"{lab.version or 'not shown'}, {lab.effective_date or 'date not shown'}), held whole"
                + (f", nor a warning on {topic}" if topic and topic not in BROAD_TOPICS else "")
                + "; the label may word the event otherwise"
            ),
        )
    cover = pack.coverage_of(product)
    missing = [s for s in ("BW", "5", "6") if s not in cover]
    why = (
        f"the pack holds {', '.join(missing)} of this label only in part"
        if missing
        else "the pack holds statements extracted from these sections, not their whole text"
    )
    return Listedness(
        "unknown",
        product,
        event,
        topic=topic,
        why=why + "; `rxcompare pack update` can fetch the label",
    )


def listed_for_label(
    pack: Pack,
    label: str,
    events: Iterable[str],
    level: str = "ingredient",
    topics: TopicSource | None = None,
) -> dict[str, Listedness]:
    """:func:`listedness` of each event for a warehouse drug label: a product id with ``level``
    ``product``, else an ingredient, answered through its one product in the pack (an ingredient
    with several products, whose labels differ, is ``unknown``)."""
    events = tuple(dict.fromkeys(events))
    label = label.strip().lower()
    if level == "product":
        product: str | None = label
        why = ""
    else:
        ids = sorted(p.id for p in pack.products if p.ingredient.lower() == label)
        product = ids[0] if len(ids) == 1 else None
        why = (
            f"{label!r} is no product's ingredient in the knowledge pack"
            if not ids
            else f"{label!r} has several products in the pack ({', '.join(ids)}) whose labels differ; "
            "count by product (--level product)"
        )
    if product is None:
        return {e: Listedness("unknown", None, e, why=why) for e in events}
    topics = WarningTopics() if topics is None else topics
    if product not in {p.id for p in pack.products}:
        return {e: listedness(pack, product, e, topics) for e in events}
    held = _ordered_passages(pack, product, topics)  # the label's words read once for every event
    return {e: _listedness(pack, product, e, topics, *held) for e in events}


def listed_columns(
    pack: Pack | None,
    drugs,
    events,
    level: str = "ingredient",
    topics: TopicSource | None = None,
):
    """Listedness of many (drug label, event) pairs as two object arrays: the state and where
    (``term in 5.2 Malignancies``) or why (``unknown: ...``). Each distinct drug is resolved once,
    each distinct pair matched once; drugs with no product in the pack are ``unknown`` at once.
    Without a pack (it could not be loaded) every pair is ``unknown``."""
    import numpy as np

    drugs = np.asarray(drugs, dtype=object)
    events = np.asarray(events, dtype=object)
    state = np.full(drugs.shape, "unknown", dtype=object)
    if pack is None or not drugs.size:
        return state, np.full(drugs.shape, "the knowledge pack could not be loaded", dtype=object)
    known = (
        {p.id for p in pack.products}
        if level == "product"
        else {p.ingredient.lower() for p in pack.products}
    )
    kind = "product" if level == "product" else "ingredient"
    index: dict[str, int] = {}  # drug -> its number, in order of appearance (no sort of 1M strings)
    inverse = np.fromiter(
        (index.setdefault(str(x), len(index)) for x in drugs.tolist()),
        dtype=np.intp,
        count=drugs.size,
    )
    labels = [x.strip().lower() for x in index]
    where = np.array([f"{x!r} is no {kind} of the knowledge pack" for x in labels], dtype=object)[
        inverse
    ]
    for k, label in enumerate(labels):
        if label not in known:
            continue
        rows = np.flatnonzero(inverse == k)
        got = listed_for_label(pack, label, events[rows].tolist(), level, topics)
        for i in rows:
            item = got[events[i]]
            state[i] = item.state
            text = item.describe()
            where[i] = text.split(": ", 1)[1] if ": " in text else ""
    return state, where
