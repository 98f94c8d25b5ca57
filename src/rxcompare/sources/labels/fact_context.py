"""What every fact of one label shares: the product it is about, its names and the citation.

:func:`product_from_label` reads the product a label is about; :class:`FactContext` builds the
citation of each record and the records themselves; :func:`section_texts` and
:func:`first_statement` walk a section's text the way every extractor reads it (openFDA's
inferred subsection titles kept in front of the text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rxcompare.errors import LabelError
from rxcompare.models import Citation, Fact, Label, Product, Section
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.text import (
    clean,
    first_sentence,
    is_heading_line,
)

LIMITATION = re.compile(r"limitations? of use", re.IGNORECASE)


# --- products --------------------------------------------------------------------------------


def slug(text: str) -> str:
    """ "Humira" -> "humira"; "OCREVUS ZUNOVO" -> "ocrevus-zunovo"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def product_from_label(label: Label) -> Product:
    """The product a label is about: id = slug of the first product's name (its brand),
    ingredient(s), routes, forms and strengths of all its products (lower-case), indications from
    the titles of the indication subsections, synonyms = brand and ingredient."""
    if not label.products or not label.products[0].name:
        raise LabelError(
            f"label {label.set_id} version {label.version} names no product (no product data); "
            "rxcompare cannot tell which medicine it is about"
        )
    first = label.products[0]
    ingredient = " and ".join(dict.fromkeys(name.lower() for name, _ in first.ingredients))
    routes = [r.lower() for p in label.products for r in p.routes]
    forms = [p.dosage_form.lower() for p in label.products if p.dosage_form]
    strengths = [s for p in label.products for _, s in p.ingredients if s]
    indications = []
    section = label.find(code=loinc.INDICATIONS)
    if section is not None:
        indications = [
            s.title.lower()
            for s in section.subsections
            if s.title and not LIMITATION.search(s.title)
        ]
    return Product(
        id=slug(first.name),
        brand=first.name,
        ingredient=ingredient,
        routes=tuple(dict.fromkeys(routes)),
        dosage_forms=tuple(dict.fromkeys(forms)),
        strengths=tuple(dict.fromkeys(strengths)),
        indications=tuple(dict.fromkeys(indications)),
        set_id=label.set_id,
        synonyms=tuple(dict.fromkeys(x for x in (first.name, ingredient) if x)),
        ndc=tuple(dict.fromkeys(n for p in label.products for n in p.ndc)),
        rxcui=tuple(dict.fromkeys(c for p in label.products for c in p.rxcui)),
        unii=tuple(dict.fromkeys(c for p in label.products for c in p.unii)),
    )


def matches_product(product: Product, name: str) -> bool:
    """Whether a name is the product's id, brand, ingredient or a synonym (case-insensitive)."""
    want = " ".join(name.lower().split())
    return want in {
        x.lower() for x in (product.id, product.brand, product.ingredient, *product.synonyms)
    }


# --- citations -------------------------------------------------------------------------------


class FactContext:
    """What every record of one label shares: the product, its names and the citation base."""

    def __init__(self, label: Label, product_id: str):
        self.label = label
        self.product_id = product_id
        brand = label.products[0].name if label.products else product_id
        kind = "prescribing information" if label.document_type == loinc.PRESCRIPTION else "label"
        self.title = f"{brand} {kind}"
        names = {brand.lower()} | {n.lower() for p in label.products for n, _ in p.ingredients}
        self.names = {n for n in names if n}
        self.name_words = {w for n in self.names for w in n.split() if len(w) > 3}
        # openFDA text is flattened: subsection titles are inferred, so facts keep them in front
        # of the text (a wrong guess must never cut words out of a sentence)
        self.flat = label.source == "openfda"

    def cite(self, section: Section | None) -> Citation:
        title = None
        if section is not None:
            title = section.title or (loinc.section_name(section.code) or "").capitalize() or None
        return Citation(
            kind="label",
            title=self.title,
            set_id=self.label.set_id,
            version=self.label.version,
            effective_date=self.label.effective_date,
            section=section.number if section is not None else None,
            section_title=title,
            curated=False,
        )

    def fact(
        self,
        topic: str,
        text: str,
        section: Section | None,
        value: float | None = None,
        unit: str | None = None,
        **qualifiers: str,
    ) -> Fact:
        return Fact(
            product=self.product_id,
            topic=topic,
            text=clean(text),
            citation=self.cite(section),
            value=value,
            unit=unit,
            qualifiers=tuple((k, str(v)) for k, v in qualifiers.items() if v not in (None, "")),
        )


def top_sections(label: Label, *codes: str) -> list[Section]:
    return [s for s in label.sections if s.code in codes]


def outermost(label: Label, *codes: str) -> list[Section]:
    """Sections with one of the codes, outermost only (a match's subsections are not repeated)."""
    out: list[Section] = []

    def visit(s: Section) -> None:
        if s.code in codes:
            out.append(s)
            return
        for sub in s.subsections:
            visit(sub)

    for s in label.sections:
        visit(s)
    return out


def section_texts(
    ctx: FactContext, section: Section, own: bool = True
) -> Iterator[tuple[Section, str]]:
    """Each section of a subtree with its own text, outermost first (``own=False`` leaves out
    the top section's own text when it has subsections)."""
    for s in section.walk():
        if s is section and not own and s.subsections:
            continue
        text = s.text
        if ctx.flat and s.title and s.number and "." in s.number:
            text = f"{s.title} {text}".strip()
        if text:
            yield s, text


def first_statement(ctx: FactContext, section: Section) -> str:
    """The first sentence of a subtree that is not a heading line ("Alpha-blockers")."""
    for _, text in section_texts(ctx, section):
        for line in text.splitlines():
            if not is_heading_line(line):
                first = first_sentence(line)
                if first:
                    return first
    return ""


__all__ = [
    "FactContext",
    "LIMITATION",
    "first_statement",
    "matches_product",
    "outermost",
    "product_from_label",
    "section_texts",
    "slug",
    "top_sections",
]
