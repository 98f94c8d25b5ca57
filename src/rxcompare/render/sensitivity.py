"""The deduplication sensitivity table (``rxcompare/dedup-sensitivity`` documents of
:mod:`rxcompare.signals.study`) as terminal text and Markdown, and the formatting the study report shares
with it. Every figure is read from the document; rounding happens here."""

from __future__ import annotations

import io
import math
from typing import Any

__all__ = [
    "fmt_estimate",
    "fmt_g",
    "level_rows",
    "md_table",
    "pair_label",
    "sensitivity_header",
    "sensitivity_markdown",
    "sensitivity_rows",
    "sensitivity_text",
    "shown_pairs",
    "subject",
]


def fmt_g(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def fmt_estimate(r: dict | None, col: str, lo: str, hi: str) -> str:
    if not r:
        return "-"
    if r.get(col) is None:
        return "not estimable"
    return f"{fmt_g(r[col])} ({fmt_g(r.get(lo))}-{fmt_g(r.get(hi))})"


def shown_pairs(sens: dict) -> tuple[list[dict], int]:
    """The sensitivity rows a table shows (every row when events were asked for, else those flagged at
    some level), and how many others there are."""
    if sens["events"]:
        return sens["rows"], 0
    shown = [r for r in sens["rows"] if any(v and v["flags"] for v in r["levels"].values())]
    return shown, len(sens["rows"]) - len(shown)


def pair_label(sens: dict, r: dict) -> str:
    return (
        r["event"]
        if not sens["comparator"]
        else f"{r['event']} ({sens['drug']} vs {sens['comparator']})"
    )


def level_rows(sens: dict) -> list[tuple[str, ...]]:
    out = []
    for lv in sens["levels"]:
        state = "counted" if lv["computed"] else f"not counted: {lv['why_not']}"
        notes = "; ".join(lv["notes"] + ([lv["mgps_note"]] if lv["mgps_note"] else []))
        out.append(
            (
                lv["name"],
                lv["rule"],
                fmt_g(lv["cases"]),
                fmt_g(lv["n"]),
                state + (f" ({notes})" if notes else ""),
            )
        )
    return out


def sensitivity_rows(sens: dict) -> list[tuple[str, ...]]:
    st = sens["statistic"]
    out = []
    shown, _ = shown_pairs(sens)
    for r in shown:
        for i, lv in enumerate(x for x in sens["levels"] if x["computed"]):
            v = r["levels"].get(lv["name"])
            out.append(
                (
                    pair_label(sens, r) if i == 0 else "",
                    lv["name"],
                    fmt_g(v["a"]) if v else "0",
                    fmt_estimate(v, st["column"], st["lower"], st["upper"]),
                    fmt_g(v["ic025"]) if v else "-",
                    fmt_g(v["eb05"]) if v else "-",
                    (v["flags"] or "-") if v else "-",
                    r["status"] if i == 0 else "",
                )
            )
    return out


def sensitivity_header(sens: dict) -> tuple[str, ...]:
    return (
        "pair",
        "level",
        "a",
        f"{sens['statistic']['name']} (95% CI)"
        if sens["statistic"]["key"] != "ebgm"
        else "EBGM (EB05-EB95)",
        "IC025",
        "EB05",
        "flags",
        "how the flag moves",
    )


def md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def subject(doc: dict) -> str:
    return doc["drug"] + (f" vs {doc['comparator']}" if doc.get("comparator") else "")


def sensitivity_text(sens: dict, width: int = 120) -> str:
    """The sensitivity document as terminal tables (rounded)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=max(width, 100), file=io.StringIO())
    t = Table(title=f"Deduplication levels ({sens['counting_unit']}s)", title_justify="left")
    for c in ("level", "rule", "cases", "n counted", "state"):
        t.add_column(c)
    for row in level_rows(sens):
        t.add_row(*row)
    console.print(t)
    s = Table(title=f"Sensitivity of {subject(sens)} to deduplication", title_justify="left")
    for c in sensitivity_header(sens):
        s.add_column(c, justify="right" if c in ("a", "IC025", "EB05") else "left")
    for row in sensitivity_rows(sens):
        s.add_row(*row)
    console.print(s)
    _, others = shown_pairs(sens)
    if others:
        console.print(
            f"{others} other pair(s) flagged at no level (all in --format json).", highlight=False
        )
    return console.export_text()


def sensitivity_markdown(sens: dict, heading: str = "##") -> str:
    """The sensitivity document as Markdown tables."""
    _, others = shown_pairs(sens)
    parts = [
        f"{heading} Deduplication levels",
        "",
        md_table(("level", "rule", "cases", "n counted", "state"), level_rows(sens)),
        "",
        f"{heading} Sensitivity of {subject(sens)} to deduplication",
        "",
        md_table(sensitivity_header(sens), sensitivity_rows(sens)),
    ]
    if others:
        parts += ["", f"{others} other pair(s) flagged at no level are not shown."]
    return "\n".join(parts) + "\n"
