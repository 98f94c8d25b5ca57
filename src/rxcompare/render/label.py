"""What ``rxcompare label show`` prints: a product's facts and incidences grouped by label section,
each with its citation (:func:`facts_outline`). Render sees only models."""

from __future__ import annotations

from collections.abc import Iterable

from rxcompare.models import Citation, Fact, Incidence, Product

__all__ = ["by_section", "facts_outline"]


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
