"""Time-to-onset summaries (:class:`~rxcompare.models.OnsetSummary`) for people: a rounded
terminal table (:func:`onset_text`) and CSV text (:func:`onset_csv`). The JSON document is the
signals wing's (:func:`rxcompare.signals.onset.onset_json`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from rxcompare.models import ONSET_COLUMNS, OnsetSummary, csv_cell, json_value

__all__ = ["onset_csv", "onset_text"]


def onset_text(summaries, source: str, width: int = 120) -> str:
    """Time-to-onset summaries as a rounded table."""
    t = Table(
        title=f"{source}: time to onset (days), counted in deduplicated cases", title_justify="left"
    )
    for name in (
        "drug",
        "event",
        "cases",
        "usable (share)",
        "median (Q1-Q3)",
        "min-max",
        "too coarse",
        "missing",
        "negative",
    ):
        t.add_column(name, justify="left" if name in ("drug", "event") else "right")
    for s in summaries:
        spread = (
            "-" if math.isnan(s.median_days) else f"{s.median_days:g} ({s.q1_days:g}-{s.q3_days:g})"
        )
        rng = "-" if math.isnan(s.min_days) else f"{s.min_days:g}-{s.max_days:g}"
        t.add_row(
            s.drug,
            s.event,
            str(s.cases),
            f"{s.usable} ({s.share_usable:.0%})",
            spread,
            rng,
            str(s.too_coarse),
            str(s.missing + s.invalid),
            str(s.negative),
        )
    console = Console(record=True, width=max(width, 120), file=io.StringIO())
    console.print(t)
    console.print(
        "onset = event date - earliest full therapy start of the drug; dates given only as "
        "YYYY or YYYYMM are counted as too coarse, never given invented days",
        highlight=False,
    )
    return console.export_text()


def onset_csv(summaries: Sequence[OnsetSummary]) -> str:
    """CSV text, one row per pair: :data:`~rxcompare.models.ONSET_COLUMNS` at full precision
    (``repr`` of a float; nan and infinity as an empty cell), then the counting unit; a text cell
    that a spreadsheet would read as a formula is quoted (:func:`~rxcompare.models.csv_cell`)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ONSET_COLUMNS + ("counting_unit",))
    for s in summaries:
        values = [json_value(getattr(s, k)) for k in ONSET_COLUMNS]
        w.writerow(
            ["" if v is None else repr(v) if isinstance(v, float) else csv_cell(v) for v in values]
            + [s.counting_unit]
        )
    return buf.getvalue()
