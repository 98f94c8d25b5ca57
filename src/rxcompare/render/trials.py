"""What ``rxcompare trials`` prints: the trials of a registry answer, arm by arm, with their mapping,
counts and what is not counted (:func:`trials_outline`). Render sees only models: the registry
answer is taken as it comes (its record lives with the ClinicalTrials.gov stream)."""

from __future__ import annotations

from collections.abc import Sequence

from rxcompare.models import Product

__all__ = ["trials_outline"]


def _n(pair: tuple[int | None, int | None]) -> str:
    x, n = pair
    return "not given" if x is None or n is None else f"{x} of {n}"


def trials_outline(reg, products: Sequence[Product] = ()) -> str:
    """The trials of a registry answer (a :class:`rxcompare.sources.ctgov.Registry`) as text: arms,
    mapping, counts, and what is not counted."""
    brands = ", ".join(p.brand for p in products) or "none in the knowledge pack"
    when = reg.fetched_at.isoformat(timespec="seconds") if reg.fetched_at else "unknown"
    how = f"read from the trials cache (fetched {when})" if reg.from_store else f"fetched {when}"
    lines = [f"{reg.name} (products: {brands}): ClinicalTrials.gov, {how}"]
    if reg.total is not None:
        lines.append(f"registry total for the search: {reg.total} studies")
    if reg.queries:
        lines.append("queries:")
        lines += [f"  {q}" for q in reg.queries]
    if reg.error:
        lines.append(f"! {reg.error}")
    lines += [f"! {n}" for n in reg.notes]
    if not reg.trials:
        lines.append("no trials")
    by_id = {p.id: p.brand for p in products}
    for t in reg.trials:
        lines.append("")
        lines.append(f"{t.name}: {t.title}")
        lines.append(
            f"  {', '.join(t.phases) or 'phase not given'}; {t.allocation or 'allocation not given'}, "
            f"{t.model or 'model not given'}; conditions: {'; '.join(t.conditions) or 'not given'}"
        )
        lines.append(
            f"  results first posted {t.results_first_posted or 'not given'}, last update posted "
            f"{t.last_update_posted or 'not given'}; {t.url}"
        )
        counted = by_id.get(t.product, t.product) if t.product else "no product"
        lines.append(
            f"  counted for: {counted}; randomised comparison: {'yes' if t.usable else 'no'}"
        )
        for g in t.groups:
            state = f"kept apart ({g.kept_apart})" if g.kept_apart else "randomised comparison"
            lines.append(
                f"  {g.id} {g.title}: {g.role}{f' ({g.intervention})' if g.intervention else ''}, {g.how}; "
                f"{state}; serious {_n(g.serious)}, other {_n(g.other)}, deaths {_n(g.deaths)}"
            )
        if t.groups:
            serious = len({i.event for i in t.incidences if i.serious})
            other = len({i.event for i in t.incidences if i.serious is False})
            threshold = "not given" if t.threshold is None else f"{t.threshold:g}%"
            lines.append(
                f"  events: {serious} serious and {other} other terms counted; frequency threshold "
                f"{threshold} (other events are listed only above it); time frame: {t.time_frame or 'not given'}"
            )
        lines += [f"  ! {p}" for p in t.problems]
    return "\n".join(lines)
