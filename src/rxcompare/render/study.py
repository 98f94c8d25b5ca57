"""The disproportionality study report (READUS-PV structure) and the deduplication sensitivity table.

Renders the JSON-ready documents of :mod:`rxcompare.study` (``rxcompare/study`` and
``rxcompare/dedup-sensitivity``) as terminal text, Markdown and one self-contained HTML file (inline
SVG charts, the house style sheet, no request to any host). Every figure printed is read from the
document; rounding happens here. The only fixed prose is about method: what a level, a measure or a
spontaneous-reporting database is. No sentence here is about a medicine.

Sections follow the items of the READUS-PV guideline for reporting disproportionality analyses
(Fusaroli et al., 2024): data source, case selection and deduplication, drug and event
identification, measures and thresholds, results, sensitivity analyses, limitations.
"""

from __future__ import annotations

import io
import math
from typing import Any

from rxcompare.render.charts import (
    WIDTH,
    Chart,
    _e,
    _line,
    _n,
    _rect,
    _short,
    _svg,
    _text,
    _tick_label,
    linear_ticks,
    log_ticks,
)

__all__ = ["render_study_html", "render_study_markdown", "sensitivity_chart", "sensitivity_markdown",
           "sensitivity_text", "shown_pairs"]

LEVEL_COLOURS = {"none": "#5f5f5f", "fda": "#1f5f9e", "fda+demographic": "#c25a00"}
MAX_PAIRS = 20
MAX_SERIES = 12

LIMITATIONS = (
    "Spontaneous reports are a selected, not a random, sample of adverse events: reporting depends on "
    "how serious and how expected an event is, on publicity, on the time since marketing and on who reports.",
    "The counts have no denominator of exposed patients: disproportionality compares the reporting of an "
    "event among reports of a drug with its reporting among other reports, not incidence.",
    "A disproportionality signal is a hypothesis for further assessment, not evidence of causation; its "
    "absence does not show that a drug is safe.",
    "Confounding by indication, co-medication and notoriety bias are not removed by these measures; "
    "stratification addresses only the factors named.",
    "Reports may be incomplete or miscoded; drug names are free text normalised by rules, and events are "
    "coded by reporters and FDA to MedDRA preferred terms.",
    "Duplicate reports of one event under different case ids remain after FDA's rule; the demographic "
    "match finds only those whose key fields agree (see the sensitivity analysis).",
)


# ---- formatting -------------------------------------------------------------------------------------


def _g(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _est(r: dict | None, col: str, lo: str, hi: str) -> str:
    if not r:
        return "-"
    if r.get(col) is None:
        return "not estimable"
    return f"{_g(r[col])} ({_g(r.get(lo))}-{_g(r.get(hi))})"


def shown_pairs(sens: dict) -> tuple[list[dict], int]:
    """The sensitivity rows a table shows (every row when events were asked for, else those flagged at
    some level), and how many others there are."""
    if sens["events"]:
        return sens["rows"], 0
    shown = [r for r in sens["rows"] if any(v and v["flags"] for v in r["levels"].values())]
    return shown, len(sens["rows"]) - len(shown)


def _pair_label(sens: dict, r: dict) -> str:
    return r["event"] if not sens["comparator"] else f"{r['event']} ({sens['drug']} vs {sens['comparator']})"


def _level_rows(sens: dict) -> list[tuple[str, ...]]:
    out = []
    for lv in sens["levels"]:
        state = "counted" if lv["computed"] else f"not counted: {lv['why_not']}"
        notes = "; ".join(lv["notes"] + ([lv["mgps_note"]] if lv["mgps_note"] else []))
        out.append((lv["name"], lv["rule"], _g(lv["cases"]), _g(lv["n"]), state + (f" ({notes})" if notes else "")))
    return out


def _sens_rows(sens: dict) -> list[tuple[str, ...]]:
    st = sens["statistic"]
    out = []
    shown, _ = shown_pairs(sens)
    for r in shown:
        for i, lv in enumerate(x for x in sens["levels"] if x["computed"]):
            v = r["levels"].get(lv["name"])
            out.append((_pair_label(sens, r) if i == 0 else "", lv["name"], _g(v["a"]) if v else "0",
                        _est(v, st["column"], st["lower"], st["upper"]), _g(v["ic025"]) if v else "-",
                        _g(v["eb05"]) if v else "-", (v["flags"] or "-") if v else "-", r["status"] if i == 0 else ""))
    return out


def _sens_header(sens: dict) -> tuple[str, ...]:
    return ("pair", "level", "a", f"{sens['statistic']['name']} (95% CI)" if sens["statistic"]["key"] != "ebgm"
            else "EBGM (EB05-EB95)", "IC025", "EB05", "flags", "how the flag moves")


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _subject(doc: dict) -> str:
    return doc["drug"] + (f" vs {doc['comparator']}" if doc.get("comparator") else "")


def sensitivity_text(sens: dict, width: int = 120) -> str:
    """The sensitivity document as terminal tables (rounded)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=max(width, 100), file=io.StringIO())
    t = Table(title=f"Deduplication levels ({sens['counting_unit']}s)", title_justify="left")
    for c in ("level", "rule", "cases", "n counted", "state"):
        t.add_column(c)
    for row in _level_rows(sens):
        t.add_row(*row)
    console.print(t)
    s = Table(title=f"Sensitivity of {_subject(sens)} to deduplication", title_justify="left")
    for c in _sens_header(sens):
        s.add_column(c, justify="right" if c in ("a", "IC025", "EB05") else "left")
    for row in _sens_rows(sens):
        s.add_row(*row)
    console.print(s)
    _, others = shown_pairs(sens)
    if others:
        console.print(f"{others} other pair(s) flagged at no level (all in --format json).", highlight=False)
    return console.export_text()


def sensitivity_markdown(sens: dict, heading: str = "##") -> str:
    """The sensitivity document as Markdown tables."""
    _, others = shown_pairs(sens)
    parts = [f"{heading} Deduplication levels", "",
             _md_table(("level", "rule", "cases", "n counted", "state"), _level_rows(sens)), "",
             f"{heading} Sensitivity of {_subject(sens)} to deduplication", "",
             _md_table(_sens_header(sens), _sens_rows(sens))]
    if others:
        parts += ["", f"{others} other pair(s) flagged at no level are not shown."]
    return "\n".join(parts) + "\n"


# ---- charts -------------------------------------------------------------------------------------------


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
    title = f"{st['name']} of {_subject(sens)} at each deduplication level"
    shown, _ = shown_pairs(sens)
    levels = [lv["name"] for lv in sens["levels"] if lv["computed"]]
    items = [(r, lv, r["levels"].get(lv)) for r in shown[:MAX_PAIRS] for lv in levels]
    drawn = [(r, lv, v) for r, lv, v in items if v and v[st["column"]] is not None]
    notes = tuple(f"Not drawn: {_pair_label(sens, r)} at {lv} ({'no case' if not v else 'not estimable'})."
                  for r, lv, v in items if not (v and v[st["column"]] is not None))
    if len(shown) > MAX_PAIRS:
        notes += (f"{len(shown) - MAX_PAIRS} further pair(s) are in the table only.",)
    rows = tuple(r[:-1] for r in _sens_rows(sens))
    summary = (f"{len(drawn)} estimate(s) of {st['name']} with 95% intervals ({'log scale' if st['log'] else 'linear'}), "
               f"one line per pair and deduplication level ({', '.join(levels)}); filled marks are flagged.")
    if not drawn:
        return Chart(key, title, summary=summary, columns=_sens_header(sens)[:-1], rows=rows,
                     absent="No pair has an estimate at any level, so nothing is drawn.", notes=notes)
    ref = 1.0 if st["log"] else 0.0
    pos, ticks = _scale([x for _, _, v in drawn for x in (v[st["column"]], v[st["lower"]], v[st["upper"]])],
                        st["log"], ref)
    left, right, top, row = 250.0, WIDTH - 130.0, 34.0, 18.0
    bottom = top + row * len(drawn) + 6 * len(shown[:MAX_PAIRS])

    def x(v: float) -> float:
        return left + pos(v) * (right - left)

    body = [_text(left, 14, " ".join(f"■ {lv}" for lv in levels), cls="axis-note")]
    for t in ticks:
        body += [_line(x(t), top - 6, x(t), bottom, "ref" if t == ref else "grid"),
                 _text(x(t), bottom + 16, _tick_label(t), "middle", "tick")]
    y, last = top, None
    for r, lv, v in drawn:
        if last is not None and last is not r:
            y += 6
        first = last is not r
        last = r
        cy = y + row / 2
        colour = LEVEL_COLOURS.get(lv, "#5f5f5f")
        est, lo_v, hi_v = v[st["column"]], v[st["lower"]], v[st["upper"]]
        label = f"{_short(_pair_label(sens, r), 26)} · {lv}" if first else lv
        body.append(f"<g><title>{_e(_pair_label(sens, r))} at {_e(lv)}: {_g(est)} ({_g(lo_v)}-{_g(hi_v)}), "
                    f"a={v['a']}, flags {_e(v['flags'] or 'none')}</title>")
        body.append(_text(left - 8, cy + 4, label, "end", "label"))
        body.append(_line(x(lo_v if lo_v is not None else est), cy, x(hi_v if hi_v is not None else est), cy, "ci"))
        body.append(_rect(x(est) - 4, cy - 4, 8, 8, colour if v["flags"] else "#ffffff", "mark"))
        body.append(_text(right + 8, cy + 4, f"{_g(est)} a={v['a']}", cls="value"))
        body.append("</g>")
        y += row
    body.append(_text((left + right) / 2, bottom + 34, f"{st['name']} ({'log scale' if st['log'] else 'linear'})",
                      "middle", "axis-title"))
    return Chart(key, title, _svg(key, bottom + 44, title, summary, body), summary, _sens_header(sens)[:-1], rows,
                 notes=notes)


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
        rows = tuple((p["quarter"], str(p["a"]), _est(p, "value", "lower", "upper"), p["flags"] or "-") for p in s["points"])
        summary = (f"{st['name']} with its interval over the cases received up to each of {len(quarters)} quarter(s) "
                   f"({quarters[0] if quarters else ''} to {quarters[-1] if quarters else ''}); filled marks are "
                   "quarters at which the pair was flagged.")
        cols = ("received up to", "a", f"{st['name']} (interval)", "flags")
        if not pts:
            charts.append(Chart(key, title, summary=summary, columns=cols, rows=rows,
                                absent="No quarter has an estimate, so nothing is drawn."))
            continue
        ref = 1.0 if st["log"] else 0.0
        pos, ticks = _scale([v for p in pts for v in (p["value"], p["lower"], p["upper"])], st["log"], ref)
        left, right, top, bottom = 70.0, WIDTH - 30.0, 20.0, 200.0
        step = (right - left) / max(len(quarters) - 1, 1)
        xq = {q: left + step * k if len(quarters) > 1 else (left + right) / 2 for k, q in enumerate(quarters)}

        def y(v: float, pos=pos, top=top, bottom=bottom) -> float:
            return bottom - pos(v) * (bottom - top)

        body = []
        for t in ticks:
            body += [_line(left, y(t), right, y(t), "ref" if t == ref else "grid"),
                     _text(left - 6, y(t) + 4, _tick_label(t), "end", "tick")]
        every = max(1, math.ceil(len(quarters) / 10))
        for k, q in enumerate(quarters):
            if k % every == 0 or k == len(quarters) - 1:
                body.append(_text(xq[q], bottom + 16, q, "middle", "tick"))
        path = " ".join(f"{'M' if k == 0 else 'L'}{_n(xq[p['quarter']])} {_n(y(p['value']))}" for k, p in enumerate(pts))
        body.append(f'<path d="{path}" class="ci" fill="none"/>')
        for p in pts:
            px, py = xq[p["quarter"]], y(p["value"])
            lo_v = p["lower"] if p["lower"] is not None else p["value"]
            hi_v = p["upper"] if p["upper"] is not None else p["value"]
            body.append(f"<g><title>{_e(p['quarter'])}: {_e(_est(p, 'value', 'lower', 'upper'))}, a={p['a']}</title>")
            body.append(_line(px, y(lo_v), px, y(hi_v), "ci"))
            body.append(_rect(px - 4, py - 4, 8, 8, LEVEL_COLOURS["fda"] if p["flags"] else "#ffffff", "mark"))
            body.append("</g>")
        body.append(_text((left + right) / 2, bottom + 34, "quarter received (cumulative)", "middle", "axis-title"))
        charts.append(Chart(key, title, _svg(key, bottom + 44, title, summary, body), summary, cols, rows))
    return charts


# ---- the study report -------------------------------------------------------------------------------


def _table(caption: str, header: tuple[str, ...], rows) -> dict:
    return {"caption": caption, "header": tuple(header), "rows": [tuple(str(c) for c in r) for r in rows]}


def _section(key: str, title: str, paras=(), tables=(), charts=(), items=()) -> dict:
    return {"key": key, "title": title, "paras": list(paras), "tables": list(tables), "charts": list(charts),
            "bullets": list(items)}


def _data_section(doc: dict) -> dict:
    src = doc["data_source"]
    qs = src["quarters"]
    span = f"{qs[0]['quarter']} to {qs[-1]['quarter']}" if qs else "none"
    paras = [f"FDA Adverse Event Reporting System (FAERS) quarterly data files, {len(qs)} quarter(s) ingested "
             f"({span}), read from warehouse {src['warehouse']} and counted on {doc['engine']}. Events are coded in "
             "MedDRA (preferred terms); drugs are reported as free text."]
    if not any(q["downloaded"] for q in qs):
        paras.append("Download dates: not recorded (no download checksum file beside the ingested files); the "
                     "ingestion time of each file is given instead.")
    if src["damaged"] or src["stale"]:
        paras.append("Warehouse problems: " + "; ".join(src["damaged"] + (["case tables stale"] if src["stale"] else [])))
    rows = [(q["quarter"], q["layout"], q["source"], q["sha256"], q["downloaded"] or "not recorded", q["ingested_at"],
             q["reports"], q["rejects"], q["deleted"], ", ".join(q["missing"]) or "-") for q in qs]
    return _section("data-source", "Data source and version", paras, [_table(
        "Files ingested (from each quarter's manifest)",
        ("quarter", "layout", "file", "sha256", "downloaded", "ingested", "DEMO rows", "rejected lines",
         "deleted case ids listed", "tables missing"), rows)])


def _selection_section(doc: dict) -> dict:
    cs, res = doc["case_selection"], doc["results"]
    paras = [f"Deduplication rule (FDA's recommendation): {cs['rule']}. Case tables built {cs['built_at']}."]
    if cs["match"] is None:
        paras.append("The demographic match (probable duplicates across case ids) has not been run on this "
                     "warehouse; `rxcompare faers dedup --match demographic` runs it.")
    else:
        m = cs["match"]
        paras.append(f"Demographic match: {m['rule']}. {m['groups']} group(s) of {m['cases_in_groups']} cases, "
                     f"{m['removed']} case(s) removed" + ("; the match is older than the case tables." if m["stale"] else "."))
    paras.append(f"The main analysis counts {res['counting_unit']}s under FDA's rule. Cases counted (with a drug "
                 f"row of the selected roles, under the filters below): {res['n_reports']}.")
    tables = [_table("Case counts at each step", ("step", "count"), [(s["step"], _g(s["count"])) for s in cs["steps"]]),
              _table("Case selection", ("filter", "value"), list(doc["filters"].items()))]
    orphans = {k: v for k, v in (cs["orphans"] or {}).items() if v}
    if orphans:
        tables.append(_table("Rows without their DEMO row (not counted)", ("table", "rows"), list(orphans.items())))
    if cs["match"] is not None:
        fq = cs["match"]["fields_by_quarter"]
        names = sorted({f for v in fq.values() for f in v})
        tables.append(_table("Share of cases with each match field, per quarter", ("quarter", *names),
                             [(q, *(f"{v.get(f, 0):.1%}" for f in names)) for q, v in fq.items()]))
    return _section("case-selection", "Case selection and deduplication", paras, tables)


def _identification_section(doc: dict) -> dict:
    ident, cs = doc["identification"], doc["case_selection"]
    paras = [
        "Drugs: the reported drug name and active ingredient (drugname, prod_ai) are cleaned by rule (upper "
        "case; text in brackets, strengths, dosage forms, routes, devices and a trailing salt word removed; "
        "combinations split and sorted) and mapped to an ingredient (and a product for a brand) by the synonym "
        f"table ({_g(cs['synonyms'])} entries when the case tables were built). Names the table does not know "
        f"are kept as cleaned. Counting level: {ident['level']}; roles: {doc['filters'].get('roles', '')}.",
        f"Drug rows without any {ident['level']} label (no name reported): {ident['rows_without_label']} of "
        f"{ident['drug_rows']}.",
        "Events: MedDRA preferred terms as coded in the REAC file (field pt), upper-cased; no grouping above the "
        "preferred term and no translation between MedDRA versions.",
    ]
    tables = []
    for d in ident["drugs"]:
        paras.append(f"Label {d['label']}: {d['distinct_names']} distinct reported name(s) mapped to it"
                     + (f"; labels close to it counted apart: {', '.join(d['close_labels'])}" if d["close_labels"]
                        else "; no label close to it counted apart") + ".")
        tables.append(_table(f"Reported names mapped to {d['label']} (most frequent {len(d['names'])})",
                             ("reported name", "drug rows", "cases"), [(n["name"] or "(empty)", n["rows"], n["cases"])
                                                                       for n in d["names"]]))
    return _section("identification", "Drug and event identification", paras, tables)


def _measures_section(doc: dict) -> dict:
    m = doc["measures"]
    lvl = f"{m['level']:.0%}"
    rows = [("ROR", ", ".join(m["ror_method"]), f"{lvl} interval", m["thresholds"]["ror"]),
            ("PRR", ", ".join(m["prr_method"]), f"{lvl} interval", "reported, not used for flags"),
            ("chi-square", "Yates-corrected", "", "reported, not used for flags"),
            ("IC", "BCPNN information component", f"IC025-IC975 ({lvl})", m["thresholds"]["ic"])]
    if not m["head_to_head"]:
        rows.append(("EBGM", "MGPS, two-gamma prior by maximum likelihood", "EB05-EB95 (90%)", m["thresholds"]["ebgm"]))
    paras = ["Head to head: the drug's reports against the comparator's among cases naming either and not both."
             if m["head_to_head"] else "Each drug-event pair against every other report of the database (2x2 table)."]
    if doc["strata"]:
        paras.append(f"MGPS expected counts stratified by {', '.join(doc['strata'])} (Mantel-Haenszel).")
    p = m["prior"]
    if p:
        paras.append(f"MGPS prior fitted on {p['n_pairs']} pairs: alpha1={p['alpha1']:.4g}, beta1={p['beta1']:.4g}, "
                     f"alpha2={p['alpha2']:.4g}, beta2={p['beta2']:.4g}, p={p['p']:.4g} ({p['method']}).")
    if m["mgps_note"]:
        paras.append(m["mgps_note"])
    return _section("measures", "Measures and thresholds", paras,
                    [_table("Measures", ("measure", "method", "interval", "flag rule"), rows)])


def _results_section(doc: dict) -> dict:
    res = doc["results"]
    rows = [(r["event"], r["a"], r["b"], r["c"], r["d"], _g(r["e"]), _est(r, "ror", "ror_lower", "ror_upper"),
             _est(r, "prr", "prr_lower", "prr_upper"), _est(r, "ic", "ic025", "ic975"),
             _est(r, "ebgm", "eb05", "eb95"), r["flags"] or "-") for r in res["rows"]]
    paras = [f"{res['pairs_scored']} pair(s) of {_subject(doc)} scored, {res['pairs_flagged']} flagged by at least one "
             f"rule; shown: {res['shown']}. Counting unit: {res['counting_unit']}; n = {res['n_reports']}."]
    charts = cumulative_charts(doc)
    if not charts:
        paras.append("No pair is flagged, so no cumulative chart is drawn.")
    elif len(doc["cumulative"]["series"]) > MAX_SERIES:
        paras.append(f"Cumulative charts of the first {MAX_SERIES} of {len(doc['cumulative']['series'])} pairs.")
    return _section("results", "Results", paras, [_table(
        f"Results ({_subject(doc)})", ("event", "a", "b", "c", "d", "E", "ROR (CI)", "PRR (CI)", "IC (IC025-IC975)",
                                       "EBGM (EB05-EB95)", "flags"), rows)], charts)


def _sensitivity_section(doc: dict) -> dict:
    sens = doc["sensitivity"]
    shown, others = shown_pairs(sens)
    moved = sum(1 for r in shown if r["status"].startswith("flagged at ") and "; not at " in r["status"])
    paras = [f"The analysis repeated at each deduplication level, the MGPS prior refitted at each. Of {len(shown)} "
             f"pair(s) flagged at some level{' or asked for' if sens['events'] else ''}, the flag of {moved} depends on "
             "the deduplication level."]
    if others:
        paras.append(f"{others} other pair(s) flagged at no level are not shown.")
    tables = [_table("Deduplication levels", ("level", "rule", "cases", "n counted", "state"), _level_rows(sens)),
              _table("Estimates and flags at each level", _sens_header(sens), _sens_rows(sens))]
    return _section("sensitivity", "Sensitivity analyses", paras, tables, [sensitivity_chart(sens)])


def _design_section(doc: dict) -> dict:
    m, sens = doc["measures"], doc["sensitivity"]
    measures = "ROR, PRR, chi-square, IC" + ("" if m["head_to_head"] else " and EBGM")
    primary = (f"head-to-head comparison of {doc['drug']} with {doc['comparator']} among cases naming either and not both"
               if doc.get("comparator") else f"every event reported with {doc['drug']} against all other reports")
    return _section("design", "Study design", [
        "Disproportionality analysis of individual case safety reports (spontaneous reports) in the FDA Adverse "
        "Event Reporting System (FAERS; custodian: the US Food and Drug Administration; public quarterly data files).",
        f"Primary analysis: {primary}, counted in {doc['results']['counting_unit']}s under FDA's deduplication rule, "
        f"with {measures} and the thresholds below; the {STAT_NAMES.get(doc['statistic'], doc['statistic'])} of each "
        "flagged pair followed quarter by quarter over the cases received.",
        "Sensitivity analyses: the same analysis at each deduplication level ("
        + ", ".join(lv["name"] for lv in sens["levels"]) + ").",
        "No case-by-case review of the reports was performed by this tool; a flagged pair is a statistical "
        "signal to be assessed, not a confirmed adverse drug reaction.",
    ])


STAT_NAMES = {"ror": "ROR", "prr": "PRR", "ic": "IC", "ebgm": "EBGM"}


def study_sections(doc: dict) -> list[dict]:
    """The report's sections (title, paragraphs, tables, charts, items), in READUS-PV order."""
    return [
        _design_section(doc), _data_section(doc), _selection_section(doc), _identification_section(doc), _measures_section(doc),
        _results_section(doc), _sensitivity_section(doc),
        _section("limitations", "Limitations of spontaneous reporting", items=LIMITATIONS),
        _section("reproducibility", "Reproducibility", [
            f"rxcompare {doc['rxcompare']}, run {doc['generated']}" + (f": `{doc['command']}`" if doc["command"] else ".")]),
    ]


def _title(doc: dict) -> str:
    return f"Disproportionality analysis of {_subject(doc)}: FAERS individual case safety reports"


def render_study_markdown(doc: dict) -> str:
    """The study report as Markdown (the same sections, tables and figures as the HTML)."""
    out = [f"# {_title(doc)}", ""]
    for s in study_sections(doc):
        out += [f"## {s['title']}", ""]
        for p in s["paras"]:
            out += [p, ""]
        for t in s["tables"]:
            out += [f"**{t['caption']}**", "", _md_table(t["header"], t["rows"]), ""]
        for c in s["charts"]:
            out += [f"**{c.title}**", "", c.summary or c.absent, ""] + [f"{n}" for n in c.notes] + ([""] if c.notes else [])
            if c.rows and c.key.startswith("cumulative"):  # the sensitivity chart's data is the table above
                out += [_md_table(c.columns, list(c.rows)), ""]
        out += [f"- {i}" for i in s["bullets"]] + ([""] if s["bullets"] else [])
    return "\n".join(out).rstrip() + "\n"


def render_study_html(doc: dict) -> str:
    """The study report as one self-contained HTML file (inline SVG; nothing fetched from any host)."""
    from dataclasses import asdict

    from markupsafe import Markup

    from rxcompare.render.html import _base, _env, report_csp

    sections = []
    for s in study_sections(doc):
        charts = [{**asdict(c), "svg": Markup(c.svg), "cites": []} for c in s["charts"]]
        sections.append({**s, "charts": charts})
    ctx = {**_base(_title(doc), report_csp()), "title": _title(doc), "sections": sections, "generated": doc["generated"]}
    return _env().get_template("study.html").render(ctx)
