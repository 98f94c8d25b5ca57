"""The evidence of one drug, gathered from the sources, and the helpers dimensions share.

Dimensions never write a sentence about a medicine of their own: the statements they build quote
fact texts (the label's words, with their citation) or phrase figures (counts, percentages,
intervals) that come with citations. The only words of rxcompare's own are the connective phrases
of :mod:`rxcompare.comparison.phrases`, which say nothing about any medicine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rxcompare.models import (
    Citation,
    Drug,
    Fact,
    Favours,
    Finding,
    Grade,
    Incidence,
    LabelDocument,
)
from rxcompare.sources.labels.topics import TOPIC_MENTIONS, topic_family, topic_section
from rxcompare.sources.pack import Pack

# Label sections the pack turns into facts part by part (see Evidence.says_nothing).
ENUMERATED = ("BW", "4", "5")
# Sections outside the warnings where a label speaks of what happens to patients (not dosing,
# pharmacology, animal studies or the trials' efficacy)
CLINICAL_SECTIONS = ("4", "6", "7")  # 8 holds animal data beside patients' (pregnancy)


@dataclass(frozen=True)
class Evidence:
    """Everything rxcompare holds on one drug (one product)."""

    drug: Drug
    facts: tuple[Fact, ...]
    incidences: tuple[Incidence, ...]
    label: Citation  # the label as a whole (no section), for findings about what it lacks
    coverage: tuple[str, ...] = ()  # top-level label sections read in full
    registry: Any = (
        None  # sources.ctgov.Registry of the ingredient's registry trials, when gathered
    )
    event_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the pack's, for registry terms
    # another jurisdiction's label statements (EU/UK/Swiss, class eu-label): kept out of ``facts``
    # so that no dimension merges them into a US fact; shown apart as "EU:" lines
    other_jurisdiction: tuple[Fact, ...] = ()
    # the label as one document: each section the pack holds, whole or in part
    document: LabelDocument | None = None
    # adverse-reaction tables of the label that could not be read: ((section, caption), ...)
    unread_tables: tuple[tuple[str, str], ...] = ()

    def read(self, topic: str) -> bool:
        """True when the label section that would state ``topic`` was read in full."""
        return topic_section(topic) in self.coverage

    def says_nothing(self, topic: str) -> bool:
        """True when the pack's lack of a fact on ``topic`` shows the label states nothing on it:
        the section is held in full AND it is one whose every part the pack turns into a fact
        (:data:`ENUMERATED`: the boxed warning, each contraindication, each warnings-and-
        precautions subsection). Elsewhere (dosing, pregnancy, mechanism) the extractor reads only
        some statements, so no fact there is not the label's silence."""
        return topic_section(topic) in ENUMERATED and self.read(topic)

    @property
    def name(self) -> str:
        return self.drug.product.brand

    def topic(self, topic: str) -> tuple[Fact, ...]:
        """Facts with exactly this topic, or with this prefix when it ends in '.'."""
        if topic.endswith("."):
            return tuple(f for f in self.facts if f.topic.startswith(topic))
        return tuple(f for f in self.facts if f.topic == topic)

    def family(self, topic: str) -> tuple[Fact, ...]:
        """Facts of the topic and of its narrower topics (serious infections are infections)."""
        keys = topic_family(topic)
        return tuple(f for f in self.facts if f.topic in keys)

    def mentions(self, topic: str) -> tuple[Fact, ...]:
        """Facts filed under other topics whose text names this topic's subject (an HBV
        contraindication is hepatitis B evidence); see :data:`~rxcompare.sources.labels.topics.TOPIC_MENTIONS`."""
        words = TOPIC_MENTIONS.get(topic, ())
        keys = topic_family(topic)
        return tuple(
            f for f in self.facts if f.topic not in keys and any(w in f.text.lower() for w in words)
        )

    def mentioned_outside_warnings(self, topic: str) -> tuple[tuple[Citation, str], ...]:
        """Where the label, held whole, mentions a vocabulary topic outside its boxed warning and
        warnings and precautions, in a section that speaks of patients (:data:`CLINICAL_SECTIONS`:
        contraindications, adverse reactions, interactions): (the section's
        citation, the first sentence that mentions it), one per section; () when the label is
        not held whole or the topic is not the vocabulary's."""
        from dataclasses import replace

        from rxcompare.sources.labels.vocabulary import mentions

        if self.document is None or not topic:
            return ()
        out = []
        for s in self.document.outside("BW", "5"):
            if s.held != "full" or s.top not in CLINICAL_SECTIONS:
                continue
            said = dict(mentions(s.text)).get(topic)
            if said:
                out.append((replace(self.label, section=s.number, section_title=s.title), said))
        return tuple(out)

    def mentioning(self, *words: str) -> tuple[Fact, ...]:
        """Facts whose text mentions any of the words (case-insensitive)."""
        low = tuple(w.lower() for w in words)
        return tuple(f for f in self.facts if any(w in f.text.lower() for w in low))


def gather(drug: Drug, pack: Pack, trials: Any = None) -> Evidence:
    """The pack's evidence for the drug's product, and its registry trials when ``trials`` (a
    :class:`~rxcompare.sources.ctgov.RegistrySource`) is given."""
    pid = drug.product.id
    held = pack.facts_for(pid)
    facts = tuple(f for f in held if f.citation.source_class != "eu-label")
    elsewhere = tuple(f for f in held if f.citation.source_class == "eu-label")
    incidences = pack.incidences_for(pid)
    if held or incidences:
        # the label the entry stands for (not the first fact's document, which may be a copy)
        lab = pack.label_of(pid)
        label = Citation(
            kind="label",
            title=f"{drug.product.brand} prescribing information",
            set_id=lab.set_id,
            version=lab.version or "version not shown",
            effective_date=lab.effective_date,
            url=lab.url,
            curated=lab.source == "curated",
        )
    else:
        label = Citation(kind="pack", title=f"knowledge pack entry {pid} (no label facts)")
    registry = None
    if trials is not None:
        siblings = [p for p in pack.products if p.ingredient == drug.ingredient] or [drug.product]
        registry = trials.for_drug(drug.ingredient, siblings)
    return Evidence(
        drug=drug,
        facts=facts,
        incidences=incidences,
        label=label,
        coverage=pack.coverage_of(pid),
        registry=registry,
        event_groups=pack.event_groups,
        other_jurisdiction=elsewhere,
        document=pack.document_of(pid),
        unread_tables=pack.unread_tables_of(pid),
    )


def cites(*groups) -> tuple[Citation, ...]:
    """The distinct citations of facts/incidences/citations, in order."""
    out: dict[str, Citation] = {}
    for group in groups:
        for item in group:
            c = item if isinstance(item, Citation) else item.citation
            out.setdefault(c.key, c)
    return tuple(out.values())


def texts(facts: tuple[Fact, ...]) -> str:
    """The label texts of facts, one per line, without repeats: a text that another of the
    facts' texts already contains whole is left out."""
    unique = list(dict.fromkeys(f.text.strip() for f in facts))
    kept = [t for t in unique if not any(t != u and t in u for u in unique)]
    return "\n".join(kept)


def grade_of(facts) -> Grade:
    """Label grade, or secondary when any fact rests on a secondary source (not label text)."""
    if any(not f.citation.is_label_text for f in facts):
        return Grade.SECONDARY
    return Grade.LABEL


def favour_lower(a: float | None, b: float | None) -> Favours:
    """A if a < b, B if b < a, NONE if equal, UNCLEAR if either is unknown."""
    if a is None or b is None:
        return Favours.UNCLEAR
    if a < b:
        return Favours.A
    if b < a:
        return Favours.B
    return Favours.NONE


def finding(
    dimension: str,
    topic: str,
    statement: str,
    favours: Favours,
    grade: Grade,
    citations: tuple[Citation, ...],
    **kw,
) -> Finding:
    return Finding(
        dimension=dimension,
        topic=topic,
        statement=statement,
        favours=favours,
        grade=grade,
        citations=citations,
        **kw,
    )
