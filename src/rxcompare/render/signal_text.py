"""Signal tables as rounded terminal tables.

Rounding happens here, never in the library: the tables' own columns keep every digit.
"""

from __future__ import annotations

import io
import math

from rich.console import Console
from rich.table import Table

HEADER = (
    "drug",
    "event",
    "a",
    "ROR (95% CI)",
    "PRR",
    "IC025",
    "EBGM (EB05-EB95)",
    "flagged by",
    "MDRR",
    "label",
)
UNLISTED_SIGNAL = "UNLISTED SIGNAL"
"""The label cell of a flagged pair whose event the product's label does not list."""
RICH_ROWS = 1000
"""Above this many pairs the rows are laid out as plain aligned text: rich measures every cell
(17,189 CAERS pairs took some 15 s), plain text takes a fraction of a second."""


def _rows(table) -> list[tuple[str, ...]]:
    def g(x: float) -> str:
        return "-" if math.isnan(x) else f"{x:.3g}"

    cols = table.columns
    return [
        (
            str(cols["drug"][i]),
            str(cols["event"][i]),
            str(cols["a"][i]),
            f"{g(cols['ror'][i])} ({g(cols['ror_lower'][i])}-{g(cols['ror_upper'][i])})",
            g(cols["prr"][i]),
            g(cols["ic025"][i]),
            "-"
            if math.isnan(cols["ebgm"][i])
            else f"{g(cols['ebgm'][i])} ({g(cols['eb05'][i])}-{g(cols['eb95'][i])})",
            str(cols["flags"][i]) or "-",
            _mdrr(cols["mdrr"][i]) if "mdrr" in cols else "-",
            _label(str(cols["flags"][i]), str(cols["listed"][i])) if "listed" in cols else "-",
        )
        for i in range(len(table))
    ]


def _mdrr(x: float) -> str:
    """The minimum detectable ROR of a pair without a signal: '-' for a flagged pair, 'none' when
    no ROR up to 1e6 was detectable."""
    if math.isnan(x):
        return "-"
    return "none" if math.isinf(x) else f"{x:.3g}"


def _label(flags: str, listed: str) -> str:
    return UNLISTED_SIGNAL if flags and listed == "unlisted" else listed


NAME_WIDTH = 40
"""Plain text cuts a longer drug or event name there, ending it with "…" (files keep it whole)."""


def _plain(title: str, rows: list[tuple[str, ...]]) -> str:
    """Aligned columns, two spaces apart: drug and event to the left (cut at :data:`NAME_WIDTH`),
    figures to the right."""

    def cut(name: str) -> str:
        return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"

    rows = [(cut(r[0]), cut(r[1]), *r[2:]) for r in rows]
    widths = [max([len(h), *(len(r[k]) for r in rows)]) for k, h in enumerate(HEADER)]

    def line(cells) -> str:
        return "  ".join(
            c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(HEADER), rule, *map(line, rows)]) + "\n"


def signals_text(table, width: int = 120) -> str:
    """A rounded, human-readable table (rounding happens here, never in the library)."""
    title = (
        f"{table.source}: {len(table)} pairs, counted in {table.counting_unit}s "
        f"(n = {table.n_reports})"
    )
    rows = _rows(table)
    console = Console(record=True, width=max(width, 120), file=io.StringIO())
    if len(rows) <= RICH_ROWS:
        t = Table(title=title, title_justify="left")
        for name in HEADER:
            t.add_column(
                name,
                justify="right" if name not in ("drug", "event") else "left",
                no_wrap=name in ("label", "flagged by"),
            )
        for row in rows:
            t.add_row(*row)
        console.print(t)
        head = ""
    else:
        head = _plain(title, rows)
    if table.prior is not None:
        p = table.prior
        console.print(
            f"MGPS prior: alpha1={p.alpha1:.4g} beta1={p.beta1:.4g} alpha2={p.alpha2:.4g} "
            f"beta2={p.beta2:.4g} p={p.p:.4g} ({p.method}; {p.n_pairs} pairs)",
            highlight=False,
        )
    if table.mgps_note:
        console.print(table.mgps_note, highlight=False)
    console.print(
        "rules: " + "; ".join(f"{k}: {v}" for k, v in table.rules.items()), highlight=False
    )
    if table.filters:
        console.print(
            "filters: " + "; ".join(f"{k}={v}" for k, v in table.filters), highlight=False
        )
    if getattr(table, "origin", None):
        console.print(source_line(table.origin), highlight=False)
    console.print(
        "MDRR: the smallest ROR a pair without a signal could have shown (alpha 0.05 two-sided, power 0.8; "
        "none: no ROR up to 1e6). label: whether the product's label (boxed warning, 5, 6) lists the "
        f"event, as the knowledge pack holds it; {UNLISTED_SIGNAL}: flagged and not listed",
        highlight=False,
    )
    return head + console.export_text()


def source_line(source: dict) -> str:
    """The ``source`` of a signals or study output (system, quarters or snapshot, counting unit,
    roles, indication, window) in one line."""
    quarters = source.get("quarters") or []
    held = (
        f"quarters {quarters[0]}-{quarters[-1]} ({len(quarters)})"
        if len(quarters) > 1
        else f"quarter {quarters[0]}"
        if quarters
        else ""
    )
    parts = [
        source.get("system", ""),
        held,
        f"snapshot {source['snapshot']}" if source.get("snapshot") else "",
        f"unit: {source.get('counting_unit')}",
        f"roles: {source.get('roles')}",
        f"indication: {source.get('indication') or 'any'}",
        f"window: {source.get('window')}",
    ]
    return "source: " + "; ".join(p for p in parts if p)
