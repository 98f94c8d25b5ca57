"""SVG charts of a comparison, drawn in Python from the records: no JavaScript, no external file.

Each chart reads structured parts of a :class:`~rxcompare.models.Comparison` only:

- **forest plot**: findings ``postmarketing.<group>`` carrying ``Estimate("ror_h2h", ...)``, the
  head-to-head reporting odds ratio of A against B with its interval, on a log scale;
- **trial risk differences**: findings carrying ``Estimate("rd_newcombe", ...)``, each drug's arm
  minus its own trial's comparator arm (the drug is the side whose ``a_text``/``b_text`` holds the
  finding), one chart per drug, never one drug's trial against the other's;
- **administration burden**: findings ``burden.administrations`` and ``burden.visits`` (doses and
  clinic visits in years 1 and 2), read from their ``Estimate("burden:<a|b>:<year>", count)``;
- **reports per year**: the finding ``postmarketing.per_year`` with
  ``Estimate("reports_per_year:<product id>:<year>", count)``.

A chart whose data are absent is not drawn: :attr:`Chart.absent` says so instead. Every chart
carries a text alternative (a summary and a data table) and the citations of the findings it draws.
Every text placed in an SVG is escaped here.
"""

from __future__ import annotations

import math

from rxcompare.models import Citation, Comparison, Estimate, Finding, Grade
from rxcompare.render.svg import (
    COLOURS,
    ROW,
    WIDTH,
    Chart,
    axis_title,
    esc,
    line_el,
    linear_ticks,
    log_ticks,
    num,
    rect_el,
    short,
    svg_el,
    text_el,
    tick_label,
)

__all__ = [
    "Chart",
    "burden_chart",
    "charts_for",
    "forest_chart",
    "linear_ticks",
    "log_ticks",
    "per_year_chart",
    "trial_charts",
]


def _cites(findings: list[Finding]) -> tuple[Citation, ...]:
    out: dict[str, Citation] = {}
    for f in findings:
        for c in f.citations:
            out.setdefault(c.key, c)
    return tuple(out.values())


def _estimate(f: Finding, method: str) -> Estimate | None:
    for e in f.estimates:
        if e.method == method:
            return e
    return None


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _ci(e: Estimate) -> str:
    """ "lower to upper" (an unbounded limit shows as inf), or why there is no interval."""
    if e.lower is None or e.upper is None:
        return "no interval"
    if math.isnan(e.lower) or math.isnan(e.upper):
        return "not estimable"
    return f"{e.lower:.3g} to {e.upper:.3g}"


# --- forest plot of head-to-head RORs ----------------------------------------------------------


def forest_chart(c: Comparison, key: str = "forest") -> Chart:
    """Head-to-head reporting odds ratios of A against B with their intervals, log scale."""
    title = f"Head-to-head reporting odds ratios, {c.a.name} vs {c.b.name} (log scale)"
    found = [
        (f.topic.split(".", 1)[1].replace("_", " "), e, f)
        for f in c.findings
        if f.topic.startswith("postmarketing.") and (e := _estimate(f, "ror_h2h")) is not None
    ]
    if not found:
        return Chart(
            key,
            title,
            absent="No head-to-head reporting odds ratios are in this comparison, "
            "so the forest plot is not drawn.",
        )
    drawn, skipped, rows = [], [], []
    for label, e, _f in found:
        rows.append((label, f"{e.value:.3g}" if _finite(e.value) else "not estimable", _ci(e)))
        if _finite(e.value) and e.value > 0:
            drawn.append((label, e))
        else:
            skipped.append(label)
    level = round(found[0][1].level * 100)
    notes = (f"Not drawn, no finite positive ratio: {', '.join(skipped)}.",) if skipped else ()
    summary = (
        f"{len(drawn)} of {len(found)} head-to-head reporting odds ratio(s) of {c.a.name} against {c.b.name} with "
        f"{level}% confidence intervals, on a log scale; a ratio above 1 means the event was reported "
        f"relatively more often with {c.a.name} than with {c.b.name}, below 1 with {c.b.name}."
    )
    columns = ("Event group", "ROR", f"{level}% CI")
    cites = _cites([f for _, _, f in found])
    if not drawn:
        return Chart(
            key,
            title,
            summary=summary,
            columns=columns,
            rows=tuple(rows),
            citations=cites,
            absent="None of the ratios is finite and positive, so the forest plot is not drawn.",
            notes=notes,
        )
    vals = [v for _, e in drawn for v in (e.value, e.lower, e.upper) if _finite(v) and v > 0]
    lo, hi = max(min(vals + [1.0]) / 1.25, 1e-3), min(max(vals + [1.0]) * 1.25, 1e3)
    left, right, top = 210.0, WIDTH - 150.0, 34.0
    bottom = top + ROW * len(drawn)

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return left + (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) * (right - left)

    body = [
        text_el(
            left, 14, f"← reported relatively more with {short(c.b.name, 18)}", cls="axis-note"
        ),
        text_el(right, 14, f"with {short(c.a.name, 18)} →", "end", "axis-note"),
    ]
    for t in log_ticks(lo, hi):
        body += [
            line_el(x(t), top - 6, x(t), bottom, "grid" if t != 1 else "ref"),
            text_el(x(t), bottom + 16, tick_label(t), "middle", "tick"),
        ]
    for i, (label, e) in enumerate(drawn):
        y = top + ROW * i + ROW / 2
        # no interval (None): the point only; an unbounded or off-scale end: an arrow at the edge
        lo_v = e.value if e.lower is None else e.lower if _finite(e.lower) else 0.0
        hi_v = e.value if e.upper is None else e.upper if _finite(e.upper) else math.inf
        ci = _ci(e)
        body.append(f"<g><title>{esc(label)}: {e.value:.3g} ({esc(ci)})</title>")
        body.append(text_el(left - 8, y + 4, short(label), "end", "label"))
        body.append(line_el(x(lo_v), y, x(hi_v), y, "ci"))
        if hi_v > hi:
            body.append(f'<path d="M{num(right)} {num(y)} l-7 -5 v10 z" class="mark"/>')
        if lo_v < lo:
            body.append(f'<path d="M{num(left)} {num(y)} l7 -5 v10 z" class="mark"/>')
        body.append(rect_el(x(e.value) - 5, y - 5, 10, 10, COLOURS[0], "mark"))
        body.append(text_el(right + 10, y + 4, f"{e.value:.3g} ({ci})", cls="value"))
        body.append("</g>")
    body.append(
        axis_title(left, right, bottom, "reporting odds ratio (log scale; 1 = no difference)")
    )
    svg = svg_el(key, bottom + 44, title, summary, body, desc=False)
    return Chart(key, title, svg, summary, columns, tuple(rows), cites, notes=notes)


# --- trial risk differences, each drug against its own comparator ------------------------------


def trial_charts(c: Comparison, dimension: str) -> list[Chart]:
    """One chart per drug of the risk differences (arm minus its trial's comparator) in a dimension."""
    dim = next((d for d in c.dimensions if d.key == dimension), None)
    if dim is None:
        return []
    out = []
    for side, drug in (("a", c.a), ("b", c.b)):
        found = [
            (f.topic.split(".", 1)[-1].replace("_", " "), e, f)
            for f in dim.findings
            if (e := _estimate(f, "rd_newcombe")) is not None
            and (f.a_text if side == "a" else f.b_text)
        ]
        found = [(label, e, f) for label, e, f in found if _finite(e.value)]
        if found:
            out.append(_trial_chart(f"trial-{dimension}-{side}", drug.name, found))
    return out


def _trial_chart(key: str, name: str, found: list[tuple[str, Estimate, Finding]]) -> Chart:
    level = round(found[0][1].level * 100)
    title = f"{name}: its trial arm minus that trial's comparator arm (percentage points)"
    what = ", ".join(label for label, _, _ in found[:3]) + (", …" if len(found) > 3 else "")
    summary = (
        f"Risk differences in percentage points, with {level}% confidence intervals, for "
        f"{len(found)} adverse reaction(s) in {name}'s trials ({what}): {name}'s arm minus the "
        f"comparator arm of the same trial, above 0 where the reaction was more frequent in "
        f"{name}'s arm."
    )
    rows = tuple(
        (
            label,
            f"{100 * e.value:+.1f}",
            f"{100 * e.lower:+.1f} to {100 * e.upper:+.1f}"
            if _finite(e.lower) and _finite(e.upper)
            else "—",
            f.statement,
        )
        for label, e, f in found
    )
    vals = [100 * v for _, e, _ in found for v in (e.value, e.lower, e.upper) if _finite(v)] + [0.0]
    ticks = linear_ticks(min(vals), max(vals))
    lo, hi = ticks[0], ticks[-1]
    left, right, top = 210.0, WIDTH - 130.0, 14.0
    bottom = top + ROW * len(found)

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    body = []
    for t in ticks:
        body += [
            line_el(x(t), top - 6, x(t), bottom, "ref" if t == 0 else "grid"),
            text_el(x(t), bottom + 16, f"{t:+g}" if t else "0", "middle", "tick"),
        ]
    for i, (label, e, f) in enumerate(found):
        y = top + ROW * i + ROW / 2
        v = 100 * e.value
        body.append(f"<g><title>{esc(f.statement)}</title>")
        body.append(text_el(left - 8, y + 4, short(label), "end", "label"))
        if _finite(e.lower) and _finite(e.upper):
            body.append(line_el(x(100 * e.lower), y, x(100 * e.upper), y, "ci"))
        body.append(
            f'<circle cx="{num(x(v))}" cy="{num(y)}" r="5" fill="{COLOURS[0]}" class="mark"/>'
        )
        body.append(text_el(right + 10, y + 4, f"{v:+.1f} pp", cls="value"))
        body.append("</g>")
    body.append(
        axis_title(left, right, bottom, "risk difference, percentage points (0 = no difference)")
    )
    columns = ("Reaction", "Risk difference (pp)", f"{level}% CI (pp)", "Trial finding")
    return Chart(
        key,
        title,
        svg_el(key, bottom + 44, title, summary, body, desc=False),
        summary,
        columns,
        rows,
        _cites([f for _, _, f in found]),
    )


# --- bars: administration burden and reports per year ------------------------------------------


def _bars(
    key: str,
    title: str,
    summary: str,
    series: list[str],
    groups: list[tuple[str, list[float | None]]],
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series (None: no value)."""
    left, right, top, bar = 170.0, WIDTH - 70.0, 34.0, 14.0
    gap = 12.0
    vmax = max([v for _, vs in groups for v in vs if v is not None] + [1.0])
    ticks = linear_ticks(0.0, vmax, 5)
    hi = ticks[-1]
    body, lx = [], left
    for s, name in enumerate(series):
        body.append(rect_el(lx, 8, 12, 12, COLOURS[min(s, 2)]))
        body.append(text_el(lx + 18, 18, short(name, 24), cls="legend"))
        lx += 30 + 8 * min(len(name), 24)
    y = top
    for label, values in groups:
        body.append(
            text_el(left - 8, y + bar * len(values) / 2 + 4, short(label, 26), "end", "label")
        )
        for s, v in enumerate(values):
            if v is not None:
                w = v / hi * (right - left)
                body.append(f"<g><title>{esc(series[s])}, {esc(label)}: {v:g}</title>")
                body.append(rect_el(left, y, w, bar - 2, COLOURS[min(s, 2)], "bar"))
                body.append(text_el(left + w + 4, y + bar - 4, f"{v:g}", cls="value"))
                body.append("</g>")
            y += bar
        y += gap
    for t in ticks:
        px = left + t / hi * (right - left)
        body += [
            line_el(px, top - 4, px, y - gap + 2, "grid"),
            text_el(px, y + 8, f"{t:g}", "middle", "tick"),
        ]
    return svg_el(key, y + 16, title, summary, body, desc=False)


def _two_years(f: Finding, side: str) -> tuple[int, int] | None:
    """Counts for years 1 and 2 from the finding's ``burden:<side>:<year>`` estimates."""
    by = {e.method: e.value for e in f.estimates}
    y1, y2 = by.get(f"burden:{side}:1"), by.get(f"burden:{side}:2")
    if y1 is None or y2 is None:
        return None
    return int(y1), int(y2)


def burden_chart(c: Comparison, key: str = "burden") -> Chart:
    """Doses (and clinic visits, when known for both) in years 1 and 2 of each drug's schedule."""
    title = "Administration burden over the first two years"
    groups: list[tuple[str, list[float | None]]] = []
    used: list[Finding] = []
    for topic, what in (("burden.administrations", "Doses"), ("burden.visits", "Clinic visits")):
        f = next((f for f in c.findings if f.topic == topic and f.grade is not Grade.ABSENT), None)
        if f is None:
            continue
        a, b = _two_years(f, "a"), _two_years(f, "b")
        if a is None or b is None:
            continue
        used.append(f)
        groups += [(f"{what}, year 1", [a[0], b[0]]), (f"{what}, year 2", [a[1], b[1]])]
    if not used:
        return Chart(
            key,
            title,
            absent="The dosing schedule of at least one drug is not complete in the "
            "evidence, so the administration burden chart is not drawn.",
        )
    what = " and ".join(label.split(",")[0].lower() for label, _ in groups[::2])
    summary = (
        f"{what.capitalize()} in year 1 and year 2 for {c.a.name} and {c.b.name}, counted from the "
        "labelled dosing schedules: "
        + "; ".join(f"{label}: {c.a.name} {v[0]:g}, {c.b.name} {v[1]:g}" for label, v in groups)
        + "."
    )
    rows = tuple((label, f"{v[0]:g}", f"{v[1]:g}") for label, v in groups)
    svg = _bars(key, title, summary, [c.a.name, c.b.name], groups)
    return Chart(key, title, svg, summary, ("", c.a.name, c.b.name), rows, _cites(used))


def per_year_chart(c: Comparison, key: str = "per-year") -> Chart:
    """Reports per year of each drug, from the ``postmarketing.per_year`` finding."""
    title = "Post-marketing reports per year"
    f = next((f for f in c.findings if f.topic == "postmarketing.per_year"), None)
    counts: dict[str, dict[int, float]] = {}
    for e in f.estimates if f else ():
        parts = e.method.split(":")
        if len(parts) == 3 and parts[0] == "reports_per_year" and parts[2].isdigit():
            counts.setdefault(parts[1], {})[int(parts[2])] = e.value
    if not counts:
        return Chart(
            key,
            title,
            absent="No counts of reports per year are in this comparison, so this "
            "chart is not drawn.",
        )
    names = {c.a.product.id: c.a.name, c.b.product.id: c.b.name}
    order = sorted(counts, key=lambda d: (d not in names, d != c.a.product.id, d))
    series = [names.get(d, d) for d in order]
    years = sorted({y for per in counts.values() for y in per})
    groups = [(str(y), [counts[d].get(y) for d in order]) for y in years]
    summary = (
        f"Reports per year, {years[0]} to {years[-1]}: "
        + "; ".join(
            f"{y}: " + ", ".join(f"{s} {v:g}" for s, v in zip(series, vals) if v is not None)
            for y, vals in groups
        )
        + "."
    )
    rows = tuple((str(y), *("" if v is None else f"{v:g}" for v in vals)) for y, vals in groups)
    svg = _bars(key, title, summary, series, [(y, list(v)) for y, v in groups])
    return Chart(key, title, svg, summary, ("Year", *series), rows, _cites([f]))


def charts_for(c: Comparison) -> dict[str, list[Chart]]:
    """The charts of a comparison, by the dimension they belong under."""
    out: dict[str, list[Chart]] = {}
    keys = {d.key for d in c.dimensions}
    if "administration" in keys:
        out["administration"] = [burden_chart(c)]
    for d in c.dimensions:
        drawn = trial_charts(c, d.key)
        if drawn:
            out.setdefault(d.key, []).extend(drawn)
    if "trial_reactions" in keys and not out.get("trial_reactions"):
        out["trial_reactions"] = [
            Chart(
                "trial-none",
                "Trial adverse reactions",
                absent=(
                    "No trial risk differences are in this comparison, so the trial chart is not drawn."
                ),
            )
        ]
    if "postmarketing" in keys:
        out["postmarketing"] = [forest_chart(c), per_year_chart(c)]
    return out


__all__ = ["Chart", "burden_chart", "charts_for", "forest_chart", "per_year_chart", "trial_charts"]
