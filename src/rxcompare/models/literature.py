"""What the literature holds on a pair: :class:`Publication` (one paper's metadata, never its
words about a medicine) and :class:`Literature` (the publications found for a pair, and how)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Literature", "Publication"]


@dataclass(frozen=True)
class Publication:
    """One publication as its index describes it: title, journal, year, the publication types the
    index gives and the design read from them, identifiers and a link.

    ``origin`` is ``pubmed`` (an ESummary record) or ``curated`` (a publication document of the
    knowledge pack). Nothing here is a sentence about a medicine: the title is the paper's own,
    quoted; no abstract is read.
    """

    title: str
    journal: str = ""
    year: int | None = None
    design: str = ""  # from the publication types, e.g. "systematic review", "comparative study"
    publication_types: tuple[str, ...] = ()
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    url: str | None = None  # the publication's page (PubMed, PMC, the journal)
    origin: str = "pubmed"
    source_url: str | None = None  # the query answer it was read from (ESummary URL), when online
    cited_for: tuple[str, ...] = ()  # the medicines whose pack facts cite it (origin "curated")


@dataclass(frozen=True)
class Literature:
    """The publications found for a pair of medicines.

    ``query`` is the search term sent (online) or "" (offline: the pack's curated publications);
    ``count`` how many records the index holds for it (may exceed those listed); ``urls`` the
    requests made, in order; ``online`` whether an index was asked; ``error`` why an index that
    was to be asked could not be (the publications are then the pack's curated ones only).
    """

    names: tuple[str, str]
    publications: tuple[Publication, ...]
    query: str = ""
    count: int | None = None
    urls: tuple[str, ...] = ()
    online: bool = False
    error: str = ""
