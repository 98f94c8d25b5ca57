"""A parsed prescribing information document (from SPL XML or openFDA JSON): :class:`Label`, its
:class:`Section` tree, tables and products."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Label", "LabelProduct", "LabelTable", "Section"]


@dataclass(frozen=True)
class LabelTable:
    """A table of a label section, kept as a table."""

    caption: str
    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[str, ...], ...]
    footnotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A label section: LOINC code, number ("5.1"), title, text, tables and subsections."""

    code: str | None
    number: str | None
    title: str
    text: str
    tables: tuple[LabelTable, ...] = ()
    subsections: tuple[Section, ...] = ()

    def walk(self):
        yield self
        for s in self.subsections:
            yield from s.walk()


@dataclass(frozen=True)
class LabelProduct:
    name: str
    ingredients: tuple[tuple[str, str], ...] = ()  # (ingredient, strength)
    routes: tuple[str, ...] = ()
    dosage_form: str | None = None
    ndc: tuple[str, ...] = ()
    # identity codes where the source gives them (openFDA's ``openfda`` block): RxNorm concept
    # ids, FDA UNIIs of the substances, and the substance names as openFDA spells them
    rxcui: tuple[str, ...] = ()
    unii: tuple[str, ...] = ()
    substance_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Label:
    """A parsed prescribing information document (from SPL XML or openFDA JSON)."""

    set_id: str
    version: str
    effective_date: str  # ISO
    title: str
    document_type: str  # LOINC code, "34391-3" for human prescription labels
    products: tuple[LabelProduct, ...]
    sections: tuple[Section, ...]
    source: str  # "spl" or "openfda"
    highlights: bool = False
    # adverse-reaction tables of flattened text that could not be read unambiguously:
    # (section number, the table's caption), so that an answer says which figures it lacks
    unread_tables: tuple[tuple[str, str], ...] = ()

    def walk(self):
        for s in self.sections:
            yield from s.walk()

    def find(self, code: str | None = None, number: str | None = None) -> Section | None:
        for s in self.walk():
            if (code is None or s.code == code) and (number is None or s.number == number):
                return s
        return None


@dataclass(frozen=True)
class DocumentSection:
    """One section of a label as the pack holds it: its number ("BW", "1", "5.2", "8.1"), title,
    text, and ``held``: ``"full"`` (the label's whole section) or ``"part"`` (excerpts: a curated
    entry's quoted statements)."""

    number: str
    title: str
    text: str
    held: str  # "full" | "part"

    @property
    def top(self) -> str:
        """The top-level section it belongs to ("5" for "5.2")."""
        return self.number.split(".")[0]


@dataclass(frozen=True)
class LabelDocument:
    """A label read as one document: the sections the pack holds, in label order. A section not
    among them is not held at all; "the label states nothing" can only be said of a section held
    in full."""

    product: str
    sections: tuple[DocumentSection, ...] = ()

    def held(self, top: str) -> str:
        """How the top-level section ``top`` is held: "full", "part" or "none"."""
        states = {s.held for s in self.sections if s.top == top}
        return "full" if "full" in states else ("part" if states else "none")

    def outside(self, *tops: str) -> tuple[DocumentSection, ...]:
        """The sections not under the given top-level sections (e.g. outside "BW" and "5")."""
        return tuple(s for s in self.sections if s.top not in tops)
