"""What the ``rxcompare pack`` commands print: the pack's summary and each update's line. Render sees
only models: the pack and its updates are taken as they come (their records live with the pack)."""

from __future__ import annotations

__all__ = ["SOURCE_NAMES", "pack_summary", "section_key", "update_line"]

SOURCE_NAMES = {  # where a pack entry was made from, as the summary words it
    "spl": "parsed SPL",
    "dailymed": "parsed SPL from DailyMed",
    "openfda": "parsed openFDA label",
    "curated": "curated",
}


def section_key(section: str) -> tuple:
    """Label order: the boxed warning, then sections 1, 2, ... 17 by number."""
    return (0, 0) if section == "BW" else (1, int(section)) if section.isdigit() else (2, section)


def pack_summary(pack, newer: dict[str, str] | None = None) -> str:
    """What ``pack build`` and ``pack info`` print: per product its source, label version and date,
    counts and the sections held in full; with ``newer`` (``pack info --online``), what DailyMed
    lists beside it. ``pack`` is a :class:`rxcompare.sources.pack.Pack`."""
    lines = [
        f"{pack.describe()}: {len(pack.products)} products, "
        f"{len(pack.facts)} facts, {len(pack.incidences)} incidences"
    ]
    for p in pack.products:
        held = pack.label_of(p.id)
        source = pack.source_of(p.id) or "unknown"
        fetched = f", fetched {held.fetched}" if held.fetched else ""
        lines.append(
            f"  {p.id}: {p.brand} ({p.ingredient}) - source {SOURCE_NAMES.get(source, source)}; "
            f"label set id {held.set_id or 'not shown'}, version {held.version or 'not cited'} of "
            f"{held.effective_date or 'unknown date'}{fetched}; {len(pack.facts_for(p.id))} facts, "
            f"{len(pack.incidences_for(p.id))} incidences; label sections held in full: "
            f"{', '.join(sorted(pack.coverage_of(p.id), key=section_key)) or 'none'}"
        )
        if newer is not None:
            lines.append(f"    online: {newer.get(p.id, 'DailyMed lists this version as current')}")
    return "\n".join(lines)


def update_line(u) -> str:
    """One line of ``pack update`` for an update (a :class:`rxcompare.sources.pack.update.ProductUpdate`):
    kept, current, added or updated, with versions, sections and counts."""

    def label(lab) -> str:
        return (
            f"version {lab.version or 'unknown'} of {lab.effective_date or 'unknown date'} "
            f"({SOURCE_NAMES.get(lab.source, lab.source)})"
        )

    if u.outcome in ("kept", "current"):
        return f"{u.product}: {u.outcome}, {label(u.before)}: " + "; ".join(u.reasons)
    if u.outcome == "added":
        return (
            f"{u.product}: added, {label(u.after)} from {u.after.url} ({'; '.join(u.reasons)}); sections "
            f"covered {', '.join(u.sections) or 'none'}; facts +{u.facts_added}; incidences +{u.incidences_added}"
        )
    tried = f" (after {'; '.join(u.reasons)})" if u.reasons else ""
    return (
        f"{u.product}: updated, {label(u.before)} -> {label(u.after)} from {u.after.url}{tried}; "
        f"sections now covered {', '.join(u.sections) or 'none'} (new: {', '.join(u.new_sections) or 'none'}); "
        f"facts +{u.facts_added} -{u.facts_removed}; incidences +{u.incidences_added} -{u.incidences_removed}"
    )
