"""The pack as a record: :class:`Pack` (products, facts, incidences, coverage, labels held) and
:class:`PackLabel` (the label an entry was made from)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rxcompare.errors import PackError
from rxcompare.models import DocumentSection, Fact, Incidence, LabelDocument, Product

__all__ = ["SAFETY_SECTIONS", "SCHEMA", "VERSION", "Pack", "PackLabel", "SectionText"]

SCHEMA = "rxcompare/pack"
VERSION = 1


@dataclass(frozen=True)
class PackLabel:
    """The label a pack entry was made from: which document, which version, from where."""

    product: str
    set_id: str | None
    version: str | None
    effective_date: str | None
    source: str  # "spl" | "dailymed" | "openfda" | "curated"
    url: str | None = None
    fetched: str | None = None  # ISO date the document was fetched (updated entries only)


@dataclass(frozen=True)
class SectionText:
    """The whole text of one section or subsection of a label parsed in full (the boxed warning,
    "1", "5.2", "6.1", "8.1", ...), its tables' cells as lines of ``|``-separated cells: what
    listedness reads (:mod:`.listed`) and the label document a comparison reads
    (:meth:`Pack.document_of`)."""

    section: str  # "BW", "1", "5", "5.2", "6.1", "8.1"
    title: str
    text: str


SAFETY_SECTIONS = ("BW", "5", "6")  # the sections listedness reads


@dataclass(frozen=True)
class Pack:
    """Products, facts and incidences, indexed by product id."""

    version: int
    built: str
    products: tuple[Product, ...]
    facts: tuple[Fact, ...]
    incidences: tuple[Incidence, ...]
    event_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # product id -> "spl" | "curated"
    # product id -> top-level label sections read in full ("1", "2", "5", "BW", ...). Silence on a
    # topic means "the label states nothing" only inside these sections; elsewhere it means "not
    # curated". Labels parsed from SPL are read in full.
    coverage: tuple[tuple[str, tuple[str, ...]], ...] = ()
    labels: tuple[PackLabel, ...] = ()  # recorded by `pack update`; else derived from the citations
    # product id -> the whole text of its label, section by section, for labels parsed in full
    # (SPL, openFDA); curated entries have none (their facts are excerpts: see document_of)
    label_text: tuple[tuple[str, tuple[SectionText, ...]], ...] = ()
    # product id -> the adverse-reaction tables of its label's flattened text that could not be
    # read unambiguously: ((section, caption), ...)
    unread_tables: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    origin: str = "embedded"  # "embedded" | "user" | "file"
    path: str | None = None  # the file read (user pack or --pack file)

    def product(self, product_id: str) -> Product:
        for p in self.products:
            if p.id == product_id:
                return p
        raise PackError(f"the knowledge pack has no product {product_id!r}")

    def facts_for(self, product_id: str, topic_prefix: str = "") -> tuple[Fact, ...]:
        return tuple(
            f for f in self.facts if f.product == product_id and f.topic.startswith(topic_prefix)
        )

    def incidences_for(self, product_id: str) -> tuple[Incidence, ...]:
        return tuple(i for i in self.incidences if i.product == product_id)

    def source_of(self, product_id: str) -> str | None:
        return dict(self.sources).get(product_id)

    def coverage_of(self, product_id: str) -> tuple[str, ...]:
        return dict(self.coverage).get(product_id, ())

    def label_text_of(self, product_id: str) -> tuple[SectionText, ...]:
        """The whole text of the product's label, section by section (labels parsed in full)."""
        return dict(self.label_text).get(product_id, ())

    def unread_tables_of(self, product_id: str) -> tuple[tuple[str, str], ...]:
        return dict(self.unread_tables).get(product_id, ())

    def safety_text_of(self, product_id: str) -> tuple[SectionText, ...]:
        """The boxed warning and sections 5 and 6 of :meth:`label_text_of`."""
        return tuple(
            s for s in self.label_text_of(product_id) if s.section.split(".")[0] in SAFETY_SECTIONS
        )

    def document_of(self, product_id: str) -> LabelDocument:
        """The product's label as one document: each section the pack holds, with its text and
        whether it is held in full (a label parsed whole: its text; a section of the coverage) or
        in part (a curated entry: the excerpts its facts quote, section by section)."""
        full = set(self.coverage_of(product_id))
        whole = self.label_text_of(product_id)
        if whole:
            return LabelDocument(
                product_id,
                tuple(
                    DocumentSection(
                        s.section,
                        s.title,
                        s.text,
                        "full" if s.section.split(".")[0] in full else "part",
                    )
                    for s in whole
                ),
            )
        parts: dict[str, list[str]] = {}
        titles: dict[str, str] = {}
        for f in self.facts_for(product_id):
            c = f.citation
            if not c.section or not c.is_label_text or c.source_class == "eu-label":
                continue
            parts.setdefault(c.section, [])
            if f.text not in parts[c.section]:
                parts[c.section].append(f.text)
            titles.setdefault(c.section, c.section_title or "")
        return LabelDocument(
            product_id,
            tuple(
                DocumentSection(
                    k, titles[k], "\n".join(v), "full" if k.split(".")[0] in full else "part"
                )
                for k, v in parts.items()
            ),
        )

    def label_of(self, product_id: str) -> PackLabel:
        """The label the entry holds: as recorded by ``pack update``, else the version most of the
        entry's label-document citations name (curated facts from other documents left out)."""
        for lab in self.labels:
            if lab.product == product_id:
                return lab
        cites = [
            x.citation
            for x in (*self.facts_for(product_id), *self.incidences_for(product_id))
            if x.citation.kind == "label" and x.citation.source_class == "label"
        ]
        counts: dict[tuple, int] = {}
        for c in cites:
            key = (c.set_id, c.version, c.effective_date, c.url)
            counts[key] = counts.get(key, 0) + 1
        set_id, version, date, url = max(counts, key=counts.__getitem__) if counts else (None,) * 4
        if set_id is None:
            set_id = next((p.set_id for p in self.products if p.id == product_id), None)
        return PackLabel(
            product_id, set_id, version, date, self.source_of(product_id) or "curated", url
        )

    def describe(self) -> str:
        """Which pack this is, in one line (a comparison's ``("pack", ...)`` provenance)."""
        when = "updated" if self.origin == "user" else "built"
        what = {"embedded": "the embedded pack", "user": "the user pack"}.get(self.origin)
        if what is None:
            what = f"pack file {Path(self.path).name}" if self.path else "a pack file"
        fetched = sorted({f"{lab.product} {lab.fetched}" for lab in self.labels if lab.fetched})
        fresh = f"; labels fetched: {', '.join(fetched)}" if fetched else ""
        return f"knowledge pack version {self.version}, {when} {self.built}: {what}{fresh}"
