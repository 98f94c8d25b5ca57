"""The study report's charts: each pair's statistic at every deduplication level
(:func:`sensitivity_chart`) and over the cases received up to each quarter
(:func:`cumulative_charts`), drawn with :mod:`rxcompare.render.svg`."""

from __future__ import annotations

import math

from rxcompare.render.sensitivity import (
    fmt_estimate,
    fmt_g,
    pair_label,
    sensitivity_header,
    sensitivity_rows,
    shown_pairs,
    subject,
)
from rxcompare.render.svg import (
    WIDTH,
    Chart,
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

__all__ = ["LEVEL_COLOURS", "MAX_PAIRS", "MAX_SERIES", "cumulative_charts", "sensitivity_chart"]

LEVEL_COLOURS = {"none": "#5f5f5f", "fda": "#1f5f9e", "fda+demographic": "#c25a00"}
MAX_PAIRS = 20
MAX_SERIES = 12


def _scale(values: list[float], log: bool, ref: float):
    if log:
        vals = [v for v in values if v is not None and math.isfinite(v) and v > 0] + [ref]
        lo, hi = max(min(vals) / 1.25, 1e-3), min(max(vals) * 1.25, 1e4)
        ticks = log_ticks(lo, hi)

        def pos(v: float) -> float:
            return (math.log(min(max(v, lo), hi)) - math.log(lo)) / (math.log(hi) - math.log(lo))
    else:
        vals = [v for v in values if v is not None and math.isfinite(v)] + [ref]
        lo, hi = min(vals) - 0.5, max(vals) + 0.5
        ticks = linear_ticks(lo, hi)

        def pos(v: float) -> float:
            return (min(max(v, lo), hi) - lo) / (hi - lo)

    return pos, [t for t in ticks if lo <= t <= hi]


def sensitivity_chart(sens: dict, key: str = "dedup-sensitivity") -> Chart:
    """Each shown pair's statistic with its interval at every level counted; a filled mark is a
    flagged estimate, an open one is not."""
    st = sens["statistic"]
    title = f"{st['name']} of {subject(sens)} at each deduplication level"
    shown, _ = shown_pairs(sens)
    levels = [lv["name"] for lv in sens["levels"] if lv["computed"]]
    items = [(r, lv, r["levels"].get(lv)) for r in shown[:MAX_PAIRS] for lv in levels]
    drawn = [(r, lv, v) for r, lv, v in items if v and v[st["column"]] is not None]
    notes = tuple(
        f"Not drawn: {pair_label(sens, r)} at {lv} ({'no case' if not v else 'not estimable'})."
        for r, lv, v in items
        if not (v and v[st["column"]] is not None)
    )
    if len(shown) > MAX_PAIRS:
        notes += (f"{len(shown) - MAX_PAIRS} further pair(s) are in the table only.",)
    rows = tuple(r[:-1] for r in sensitivity_rows(sens))
    summary = (
        f"{len(drawn)} estimate(s) of {st['name']} with 95% intervals ({'log scale' if st['log'] else 'linear'}), "
        f"one line per pair and deduplication level ({', '.join(levels)}); filled marks are flagged."
    )
    if not drawn:
        return Chart(
            key,
            title,
            summary=summary,
            columns=sensitivity_header(sens)[:-1],
            rows=rows,
            absent="No pair has an estimate at any level, so nothing is drawn.",
            notes=notes,
        )
    ref = 1.0 if st["log"] else 0.0
    pos, ticks = _scale(
        [x for _, _, v in drawn for x in (v[st["column"]], v[st["lower"]], v[st["upper"]])],
        st["log"],
        ref,
    )
    left, right, top, row = 250.0, WIDTH - 130.0, 34.0, 18.0
    bottom = top + row * len(drawn) + 6 * len(shown[:MAX_PAIRS])

    def x(v: float) -> float:
        return left + pos(v) * (right - left)

    body = [text_el(left, 14, " ".join(f"■ {lv}" for lv in levels), cls="axis-note")]
    for t in ticks:
        body += [
            line_el(x(t), top - 6, x(t), bottom, "ref" if t == ref else "grid"),
            text_el(x(t), bottom + 16, tick_label(t), "middle", "tick"),
        ]
    y, last = top, None
    for r, lv, v in drawn:
        if last is not None and last is not r:
            y += 6
        first = last is not r
        last = r
        cy = y + row / 2
        colour = LEVEL_COLOURS.get(lv, "#5f5f5f")
        est, lo_v, hi_v = v[st["column"]], v[st["lower"]], v[st["upper"]]
        label = f"{short(pair_label(sens, r), 26)} · {lv}" if first else lv
        body.append(
            f"<g><title>{esc(pair_label(sens, r))} at {esc(lv)}: {fmt_g(est)} ({fmt_g(lo_v)}-{fmt_g(hi_v)}), "
            f"a={v['a']}, flags {esc(v['flags'] or 'none')}</title>"
        )
        body.append(text_el(left - 8, cy + 4, label, "end", "label"))
        body.append(
            line_el(
                x(lo_v if lo_v is not None else est),
                cy,
                x(hi_v if hi_v is not None else est),
                cy,
                "ci",
            )
        )
        body.append(rect_el(x(est) - 4, cy - 4, 8, 8, colour if v["flags"] else "#ffffff", "mark"))
        body.append(text_el(right + 8, cy + 4, f"{fmt_g(est)} a={v['a']}", cls="value"))
        body.append("</g>")
        y += row
    body.append(
        text_el(
            (left + right) / 2,
            bottom + 34,
            f"{st['name']} ({'log scale' if st['log'] else 'linear'})",
            "middle",
            "axis-title",
        )
    )
    return Chart(
        key,
        title,
        svg_el(key, bottom + 44, title, summary, body),
        summary,
        sensitivity_header(sens)[:-1],
        rows,
        notes=notes,
    )


def cumulative_charts(doc: dict) -> list[Chart]:
    """One chart per pair flagged at the end (or asked for): the statistic with its interval over the
    cases received up to each quarter; a filled mark is a quarter at which the pair was flagged."""
    st = doc["sensitivity"]["statistic"]
    cum = doc["cumulative"]
    quarters = cum["quarters"]
    charts = []
    for i, s in enumerate(cum["series"][:MAX_SERIES]):
        key = f"cumulative-{i + 1}"
        title = f"Cumulative {st['name']} of {doc['drug']}{' vs ' + doc['comparator'] if doc.get('comparator') else ''}: {s['event']}"
        pts = [p for p in s["points"] if p["value"] is not None]
        rows = tuple(
            (
                p["quarter"],
                str(p["a"]),
                fmt_estimate(p, "value", "lower", "upper"),
                p["flags"] or "-",
            )
            for p in s["points"]
        )
        summary = (
            f"{st['name']} with its interval over the cases received up to each of {len(quarters)} quarter(s) "
            f"({quarters[0] if quarters else ''} to {quarters[-1] if quarters else ''}); filled marks are "
            "quarters at which the pair was flagged."
        )
        cols = ("received up to", "a", f"{st['name']} (interval)", "flags")
        if not pts:
            charts.append(
                Chart(
                    key,
                    title,
                    summary=summary,
                    columns=cols,
                    rows=rows,
                    absent="No quarter has an estimate, so nothing is drawn.",
                )
            )
            continue
        ref = 1.0 if st["log"] else 0.0
        pos, ticks = _scale(
            [v for p in pts for v in (p["value"], p["lower"], p["upper"])], st["log"], ref
        )
        left, right, top, bottom = 70.0, WIDTH - 30.0, 20.0, 200.0
        step = (right - left) / max(len(quarters) - 1, 1)
        xq = {
            q: left + step * k if len(quarters) > 1 else (left + right) / 2
            for k, q in enumerate(quarters)
        }

        def y(v: float, pos=pos, top=top, bottom=bottom) -> float:
            return bottom - pos(v) * (bottom - top)

        body = []
        for t in ticks:
            body += [
                line_el(left, y(t), right, y(t), "ref" if t == ref else "grid"),
                text_el(left - 6, y(t) + 4, tick_label(t), "end", "tick"),
            ]
        every = max(1, math.ceil(len(quarters) / 10))
        for k, q in enumerate(quarters):
            if k % every == 0 or k == len(quarters) - 1:
                body.append(text_el(xq[q], bottom + 16, q, "middle", "tick"))
        path = " ".join(
            f"{'M' if k == 0 else 'L'}{num(xq[p['quarter']])} {num(y(p['value']))}"
            for k, p in enumerate(pts)
        )
        body.append(f'<path d="{path}" class="ci" fill="none"/>')
        for p in pts:
            px, py = xq[p["quarter"]], y(p["value"])
            lo_v = p["lower"] if p["lower"] is not None else p["value"]
            hi_v = p["upper"] if p["upper"] is not None else p["value"]
            body.append(
                f"<g><title>{esc(p['quarter'])}: {esc(fmt_estimate(p, 'value', 'lower', 'upper'))}, a={p['a']}</title>"
            )
            body.append(line_el(px, y(lo_v), px, y(hi_v), "ci"))
            body.append(
                rect_el(
                    px - 4, py - 4, 8, 8, LEVEL_COLOURS["fda"] if p["flags"] else "#ffffff", "mark"
                )
            )
            body.append("</g>")
        body.append(
            text_el(
                (left + right) / 2,
                bottom + 34,
                "quarter received (cumulative)",
                "middle",
                "axis-title",
            )
        )
        charts.append(
            Chart(key, title, svg_el(key, bottom + 44, title, summary, body), summary, cols, rows)
        )
    return charts
