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

from rxcompare.models import Fact, Incidence, Label
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


def in_section(number: str | None, wanted: str) -> bool:
    """Whether a cited section number is ``wanted`` or one of its subsections ("5.1" in "5")."""
    return number is not None and (number == wanted or number.startswith(wanted + "."))


__all__ = [
    "extract_facts",
    "in_section",
]
