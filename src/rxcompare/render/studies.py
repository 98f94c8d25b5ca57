"""What studies address the pair, in words every format shares: the one line of the compact answer,
the heading and the lines of the full answer, each publication's metadata and link.

Only metadata is shown (title quoted, journal, year, the design read from the publication types,
PMID/PMCID/DOI and a link): no sentence about a medicine comes from a publication. The words here
say where the list comes from and nothing about any medicine.
"""

from __future__ import annotations

from rxcompare.models import Comparison, Literature, Publication

__all__ = [
    "STUDIES_TITLE",
    "publication_link",
    "publication_meta",
    "studies_intro",
    "studies_line",
]

STUDIES_TITLE = "What studies address"
_INDEX = "the literature index"


def _index(lit: Literature) -> str:
    """The index the list was read from, as its request addresses show."""
    urls = " ".join(lit.urls)
    return "Europe PMC" if "europepmc" in urls else "PubMed" if urls or lit.online else _INDEX


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def studies_line(c: Comparison) -> str | None:
    """The compact answer's one line on the studies (short enough for 80 columns), or None when
    there is nothing to say (no publication offline, or a patient's answer)."""
    lit = c.studies
    if lit is None or c.audience == "patient":
        return None
    n = len(lit.publications)
    listed = _n(n, "publication")
    if lit.error:
        held = f"; {listed} in the pack" if n else ""
        return f"Studies: the index failed (--full says why){held}."
    if lit.online:
        pack = " and the pack" if any(p.origin == "curated" for p in lit.publications) else ""
        return f"Studies: {listed} listed ({_index(lit)}{pack}); --full lists them."
    if not n:
        return None
    return f"Studies: {listed} in the pack; --full lists them, --online adds PubMed."


def studies_intro(lit: Literature) -> str:
    """Where the list comes from, and what it is not."""
    curated = sum(1 for p in lit.publications if p.origin == "curated")
    found = len(lit.publications) - curated
    if lit.error:
        head = (
            f"The literature index could not be asked ({lit.error}). Listed: the "
            f"{_n(curated, 'publication')} the knowledge pack cites for these medicines."
        )
    elif lit.online:
        held = f" of the {lit.count} it holds" if lit.count is not None else ""
        head = (
            f"{_index(lit)} records for the search term {lit.query!r}: {found} listed{held}, "
            "strongest designs first"
            + (
                f"; then {_n(curated, 'publication')} of the knowledge pack not among them."
                if curated
                else "."
            )
        )
    elif lit.publications:
        head = (
            f"The {_n(curated, 'publication')} the knowledge pack cites for these medicines "
            "(offline; --online also searches PubMed)."
        )
    else:
        return (
            "The knowledge pack cites no publication for these medicines; --online searches PubMed."
        )
    if not lit.publications:
        return head
    return head + " Titles and metadata only: what a study reports is in the study itself."


def publication_meta(p: Publication) -> str:
    """Journal, year, design, identifiers and the medicines the pack cites it for."""
    parts = [x for x in (p.journal, str(p.year) if p.year else "") if x]
    if p.design:
        parts.append(f"design: {p.design}")
    parts += [f"{k} {v}" for k, v in (("PMID", p.pmid), ("PMCID", p.pmcid), ("DOI", p.doi)) if v]
    if p.cited_for:
        parts.append("cited in the pack for " + " and ".join(p.cited_for))
    return "; ".join(parts)


def publication_link(p: Publication) -> str | None:
    """The publication's page (PubMed, PubMed Central, Europe PMC or the DOI), when known."""
    if p.url and p.url.lower().startswith(("https://", "http://")):
        return p.url
    if p.doi:
        return f"https://doi.org/{p.doi}"
    return None
