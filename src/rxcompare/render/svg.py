"""SVG drawing for every chart of rxcompare: the :class:`Chart` record, escaped primitives
(text, line, rectangle, the ``<svg>`` element with its title and description) and tick scales.

Every string placed in an SVG goes through :func:`esc`. No chart content is decided here: the
comparison's charts (:mod:`rxcompare.render.charts`) and the study report's
(:mod:`rxcompare.render.study_charts`) choose what to draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from rxcompare.models import Citation

__all__ = [
    "COLOURS",
    "ROW",
    "WIDTH",
    "Chart",
    "axis_title",
    "esc",
    "line_el",
    "linear_ticks",
    "log_ticks",
    "num",
    "rect_el",
    "short",
    "svg_el",
    "text_el",
    "tick_label",
]

WIDTH = 720
ROW = 26
COLOURS = (
    "#1f5f9e",
    "#c25a00",
    "#5f5f5f",
)  # drug A, drug B, anything else (colour-blind safe pair)


@dataclass(frozen=True)
class Chart:
    """One chart, or the sentence saying why it is absent."""

    key: str  # unique within a page, used for element ids
    title: str
    svg: str = ""  # a complete <svg> element; "" when absent
    summary: str = ""  # text alternative: what is drawn, in words
    columns: tuple[str, ...] = ()  # the data table under the chart
    rows: tuple[tuple[str, ...], ...] = ()
    citations: tuple[Citation, ...] = ()
    absent: str = ""
    notes: tuple[str, ...] = ()  # rows that could not be drawn, and why


# --- SVG primitives (every string escaped) ---------------------------------------------------


def esc(value: object) -> str:
    """The value as text safe inside an SVG element or attribute."""
    return escape(str(value), quote=True)


def num(x: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def text_el(x: float, y: float, s: str, anchor: str = "start", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{c}>{esc(s)}</text>'


def line_el(x1: float, y1: float, x2: float, y2: float, cls: str) -> str:
    return f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" class="{cls}"/>'


def rect_el(x: float, y: float, w: float, h: float, fill: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0))}" height="{num(h)}" fill="{fill}"{c}/>'


def svg_el(
    key: str, height: float, title: str, summary: str, body: list[str], desc: bool = True
) -> str:
    """An SVG chart labelled by its title and its summary: the summary in the SVG's own <desc>,
    or (``desc`` False) in the page's paragraph of id ``{key}-d`` that shows it, said once."""
    described = f'<desc id="{esc(key)}-d">{esc(summary)}</desc>' if desc else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {num(height)}" '
        f'class="chart-svg" role="img" aria-labelledby="{esc(key)}-t {esc(key)}-d" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{esc(key)}-t">{esc(title)}</title>{described}' + "".join(body) + "</svg>"
    )


def axis_title(left: float, right: float, bottom: float, title: str) -> str:
    return text_el((left + right) / 2, bottom + 34, title, "middle", "axis-title")


def short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


# --- scales ------------------------------------------------------------------------------------


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks within [lo, hi] (positive), always including 1 when it is inside."""
    ticks = []
    for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            t = m * 10.0**k
            if lo <= t <= hi:
                ticks.append(t)
    if len(ticks) > 9:  # wide ranges: powers of ten only
        ticks = [t for t in ticks if math.isclose(math.log10(t), round(math.log10(t)))]
    return ticks


def linear_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round-numbered ticks (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    span = hi - lo if hi > lo else 1.0
    raw = span / target
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [round(k * step, 10) for k in range(first, max(last, first + 1) + 1)]


def tick_label(t: float) -> str:
    return f"{t:g}"
