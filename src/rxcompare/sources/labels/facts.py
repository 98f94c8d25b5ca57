"""Facts and trial incidences extracted from a parsed label.

:func:`extract_facts` turns a :class:`~rxcompare.models.Label` (from SPL XML or openFDA JSON) into
:class:`~rxcompare.models.Fact` records (topics from :mod:`rxcompare.sources.labels.topics`) and
:class:`~rxcompare.models.Incidence` records (adverse-reaction tables). Every record cites the
label version and the section it comes from, and every fact carries the label's own words (one
sentence or a short clause, whitespace normalised).

The rule: extract only what the text says. Values come from regular expressions over the label
text; when an expression does not match, nothing is extracted. Sentences that state a condition
("may be increased to", "if", "maximum") are not read as the recommended dosing.
"""

from __future__ import annotations

from collections.abc import Iterable

from rxcompare.models import Citation, Fact, Incidence, Label, Product
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.dosing import dose_facts, route_facts
from rxcompare.sources.labels.fact_context import FactContext, outermost, top_sections
from rxcompare.sources.labels.incidences import reaction_incidences
from rxcompare.sources.labels.statements import (
    boxed_facts,
    contraindication_facts,
    indication_facts,
    mechanism_facts,
    timing_facts,
    warning_facts,
)

# The extractors live by concept (product and citation: fact_context; statements in words:
# statements; dosing; adverse-reaction tables: incidences); this module joins them and groups
# their records.

# --- all together ----------------------------------------------------------------------------


def extract_facts(label: Label, product_id: str) -> tuple[list[Fact], list[Incidence]]:
    """Facts and incidences of a label, each citing the label version and its section.

    Extracts: indications (section 1), the boxed warning (per heading), contraindications, each
    warnings-and-precautions subsection (topic from its title), routes (product data), doses and
    intervals (dosage and administration), vaccination timing, contraception after the last dose,
    mechanism of action and target, antibody type, and adverse-reaction table incidences.
    """
    ctx = FactContext(label, product_id)
    facts: list[Fact] = []
    for s in top_sections(label, loinc.INDICATIONS):
        facts += indication_facts(ctx, s)
    for s in top_sections(label, loinc.BOXED_WARNING):
        # openFDA lists every section coded as a box, also boxes nested in other sections (dosing
        # charts, package notices); its true boxed warning opens with "WARNING"
        if not ctx.flat or f"{s.title} {s.text}".strip().upper().startswith("WARNING"):
            facts += boxed_facts(ctx, s)
    for s in outermost(label, loinc.CONTRAINDICATIONS):
        facts += contraindication_facts(ctx, s)
    for s in outermost(label, loinc.WARNINGS_AND_PRECAUTIONS, loinc.WARNINGS):
        facts += warning_facts(ctx, s)
    facts += route_facts(ctx)
    for s in outermost(label, loinc.DOSAGE_AND_ADMINISTRATION):
        facts += dose_facts(ctx, s)
    facts += timing_facts(
        ctx,
        outermost(
            label,
            loinc.DOSAGE_AND_ADMINISTRATION,
            loinc.WARNINGS_AND_PRECAUTIONS,
            loinc.WARNINGS,
            loinc.DRUG_INTERACTIONS,
            loinc.SPECIFIC_POPULATIONS,
        ),
    )
    facts += mechanism_facts(ctx)
    incidences: list[Incidence] = []
    for top in outermost(label, loinc.ADVERSE_REACTIONS):
        for s in top.walk():
            for table in s.tables:
                incidences += reaction_incidences(ctx, table, s)
    return facts, incidences


def _number_key(number: str | None) -> tuple:
    """Numbered sections ("5.1") in number order after the unnumbered ones ("Boxed Warning",
    "Medication Guide", none), which keep the order they were met in."""
    parts = (number or "").split(".")
    if not all(x.isdigit() for x in parts):
        return (0, ())
    return (1, tuple(int(x) for x in parts))


def by_section(
    facts: Iterable[Fact], incidences: Iterable[Incidence] = ()
) -> list[tuple[tuple[str | None, str | None], list[Fact], list[Incidence]]]:
    """Group facts and incidences by cited section (number, title), in section-number order;
    unnumbered sections (boxed warning, product data) come first in the order met."""
    groups: dict[tuple[str | None, str | None], tuple[list[Fact], list[Incidence]]] = {}
    for f in facts:
        groups.setdefault((f.citation.section, f.citation.section_title), ([], []))[0].append(f)
    for i in incidences:
        groups.setdefault((i.citation.section, i.citation.section_title), ([], []))[1].append(i)
    order = sorted(groups, key=lambda k: _number_key(k[0]))
    return [(k, *groups[k]) for k in order]


def in_section(number: str | None, wanted: str) -> bool:
    """Whether a cited section number is ``wanted`` or one of its subsections ("5.1" in "5")."""
    return number is not None and (number == wanted or number.startswith(wanted + "."))


def _cite_line(c: Citation) -> str:
    where = c.heading or "label"
    made = "curated by hand" if c.curated else "extracted"
    version = c.version or "version not shown"
    if not version.startswith("version"):  # a number or a date; "version not shown" stays as it is
        version = f"version {version}"
    date = f" ({c.effective_date})" if c.effective_date else ""
    return f"{c.title}, {version}{date}, {where}; {made}"


def facts_outline(
    product: Product, facts: Iterable[Fact], incidences: Iterable[Incidence] = ()
) -> str:
    """Plain text: the product, then its facts and incidences grouped by label section, each
    with its citation (what ``rxcompare label show`` prints)."""
    lines = [f"{product.brand} ({product.ingredient or 'ingredient not stated'}) [{product.id}]"]
    for (number, title), group, incs in by_section(facts, incidences):
        lines.append("")
        lines.append(
            Citation("label", "", section=number, section_title=title).heading or "(no section)"
        )
        for f in group:
            value = f" = {f.value:g} {f.unit or ''}".rstrip() if f.value is not None else ""
            quals = ", ".join(f"{k} {v}" for k, v in f.qualifiers)
            lines.append(f"  - [{f.topic}{value}] {f.text}" + (f" ({quals})" if quals else ""))
            lines.append(f"      cite: {_cite_line(f.citation)}")
        if incs:
            lines.append(f"  incidences ({len(incs)}), cite: {_cite_line(incs[0].citation)}")
            for i in incs:
                role = "comparator" if i.is_comparator else "product"
                lines.append(
                    f"  - {i.event} | {i.trial} | {i.arm} (N={i.n}, {role}): {i.percent:g}%"
                )
    return "\n".join(lines)


__all__ = [
    "by_section",
    "extract_facts",
    "facts_outline",
    "in_section",
]
