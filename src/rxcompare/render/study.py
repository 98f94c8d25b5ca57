"""The disproportionality study report (READUS-PV structure) and the deduplication sensitivity table.

Renders the JSON-ready documents of :mod:`rxcompare.signals.study` (``rxcompare/study`` and
``rxcompare/dedup-sensitivity``) as terminal text, Markdown and one self-contained HTML file (inline
SVG charts, the house style sheet, no request to any host). Every figure printed is read from the
document; rounding happens here. The only fixed prose is about method: what a level, a measure or a
spontaneous-reporting database is. No sentence here is about a medicine.

Sections follow the items of the READUS-PV guideline for reporting disproportionality analyses
(Fusaroli et al., 2024): data source, case selection and deduplication, drug and event
identification, measures and thresholds, results, sensitivity analyses, limitations.

The sensitivity tables are drawn by :mod:`rxcompare.render.sensitivity` and the report's charts by
:mod:`rxcompare.render.study_charts`; this module assembles the report from them.
"""

from __future__ import annotations

from rxcompare.render.sensitivity import (
    fmt_estimate,
    fmt_g,
    level_rows,
    md_table,
    sensitivity_header,
    sensitivity_markdown,
    sensitivity_rows,
    sensitivity_text,
    shown_pairs,
    subject,
)
from rxcompare.render.study_charts import MAX_SERIES, cumulative_charts, sensitivity_chart

__all__ = [
    "render_study_html",
    "render_study_markdown",
    "sensitivity_chart",
    "sensitivity_markdown",
    "sensitivity_text",
    "shown_pairs",
    "study_sections",
]

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


# ---- the study report -------------------------------------------------------------------------------


def _table(caption: str, header: tuple[str, ...], rows) -> dict:
    return {
        "caption": caption,
        "header": tuple(header),
        "rows": [tuple(str(c) for c in r) for r in rows],
    }


def detectable_items(doc: dict) -> tuple[str, ...]:
    """What the pairs without a signal could have detected (their minimum detectable ROR)."""
    d = doc["results"].get("detectable")
    if not d or not d["pairs"]:
        return ()
    if d["median"] is None:
        spread = "none could detect any ROR up to 1e6"
    else:
        spread = (
            f"the smallest ROR each could have detected (MDRR, two-sided alpha {d['alpha']:g}, power {d['power']:g}, "
            f"the Wald test of ln ROR at the observed numbers of reports) ranged from {fmt_g(d['min'])} to "
            f"{fmt_g(d['max'])}, median {fmt_g(d['median'])}"
        )
        if d["none_detectable"]:
            spread += f"; {d['none_detectable']} could detect no ROR up to 1e6"
    return (
        f"A pair without a signal is not reassurance: of the {d['pairs']} pair(s) scored without a signal, {spread}. "
        "A true relative risk below a pair's MDRR would usually go undetected.",
    )


def _section(key: str, title: str, paras=(), tables=(), charts=(), items=()) -> dict:
    return {
        "key": key,
        "title": title,
        "paras": list(paras),
        "tables": list(tables),
        "charts": list(charts),
        "bullets": list(items),
    }


def _data_section(doc: dict) -> dict:
    src = doc["data_source"]
    qs = src["quarters"]
    span = f"{qs[0]['quarter']} to {qs[-1]['quarter']}" if qs else "none"
    paras = [
        f"FDA Adverse Event Reporting System (FAERS) quarterly data files, {len(qs)} quarter(s) ingested "
        f"({span}), read from warehouse {src['warehouse']} and counted on {doc['engine']}. Events are coded in "
        "MedDRA (preferred terms); drugs are reported as free text."
    ]
    if doc.get("source"):
        from rxcompare.render.signal_text import source_line

        paras.append(source_line(doc["source"]).replace("source: ", "Source counted: ", 1) + ".")
    if not any(q["downloaded"] for q in qs):
        paras.append(
            "Download dates: not recorded (no download checksum file beside the ingested files); the "
            "ingestion time of each file is given instead."
        )
    if src["damaged"] or src["stale"]:
        paras.append(
            "Warehouse problems: "
            + "; ".join(src["damaged"] + (["case tables stale"] if src["stale"] else []))
        )
    rows = [
        (
            q["quarter"],
            q["layout"],
            q["source"],
            q["sha256"],
            q["downloaded"] or "not recorded",
            q["ingested_at"],
            q["reports"],
            q["rejects"],
            q["deleted"],
            ", ".join(q["missing"]) or "-",
        )
        for q in qs
    ]
    return _section(
        "data-source",
        "Data source and version",
        paras,
        [
            _table(
                "Files ingested (from each quarter's manifest)",
                (
                    "quarter",
                    "layout",
                    "file",
                    "sha256",
                    "downloaded",
                    "ingested",
                    "DEMO rows",
                    "rejected lines",
                    "deleted case ids listed",
                    "tables missing",
                ),
                rows,
            )
        ],
    )


def _selection_section(doc: dict) -> dict:
    cs, res = doc["case_selection"], doc["results"]
    paras = [
        f"Deduplication rule (FDA's recommendation): {cs['rule']}. Case tables built {cs['built_at']}."
    ]
    if cs["match"] is None:
        paras.append(
            "The demographic match (probable duplicates across case ids) has not been run on this "
            "warehouse; `rxcompare faers dedup --match demographic` runs it."
        )
    else:
        m = cs["match"]
        paras.append(
            f"Demographic match: {m['rule']}. {m['groups']} group(s) of {m['cases_in_groups']} cases, "
            f"{m['removed']} case(s) removed"
            + ("; the match is older than the case tables." if m["stale"] else ".")
        )
    paras.append(
        f"The main analysis counts {res['counting_unit']}s under FDA's rule. Cases counted (with a drug "
        f"row of the selected roles, under the filters below): {res['n_reports']}."
    )
    tables = [
        _table(
            "Case counts at each step",
            ("step", "count"),
            [(s["step"], fmt_g(s["count"])) for s in cs["steps"]],
        ),
        _table("Case selection", ("filter", "value"), list(doc["filters"].items())),
    ]
    orphans = {k: v for k, v in (cs["orphans"] or {}).items() if v}
    if orphans:
        tables.append(
            _table(
                "Rows without their DEMO row (not counted)",
                ("table", "rows"),
                list(orphans.items()),
            )
        )
    if cs["match"] is not None:
        fq = cs["match"]["fields_by_quarter"]
        names = sorted({f for v in fq.values() for f in v})
        tables.append(
            _table(
                "Share of cases with each match field, per quarter",
                ("quarter", *names),
                [(q, *(f"{v.get(f, 0):.1%}" for f in names)) for q, v in fq.items()],
            )
        )
    return _section("case-selection", "Case selection and deduplication", paras, tables)


def _identification_section(doc: dict) -> dict:
    ident, cs = doc["identification"], doc["case_selection"]
    paras = [
        "Drugs: the reported drug name and active ingredient (drugname, prod_ai) are cleaned by rule (upper "
        "case; text in brackets, strengths, dosage forms, routes, devices and a trailing salt word removed; "
        "combinations split and sorted) and mapped to an ingredient (and a product for a brand) by the synonym "
        f"table ({fmt_g(cs['synonyms'])} entries when the case tables were built). Names the table does not know "
        f"are kept as cleaned. Counting level: {ident['level']}; roles: {doc['filters'].get('roles', '')}.",
        f"Drug rows without any {ident['level']} label (no name reported): {ident['rows_without_label']} of "
        f"{ident['drug_rows']}.",
        "Events: MedDRA preferred terms as coded in the REAC file (field pt), upper-cased; no grouping above the "
        "preferred term and no translation between MedDRA versions.",
    ]
    tables = []
    for d in ident["drugs"]:
        paras.append(
            f"Label {d['label']}: {d['distinct_names']} distinct reported name(s) mapped to it"
            + (
                f"; labels close to it counted apart: {', '.join(d['close_labels'])}"
                if d["close_labels"]
                else "; no label close to it counted apart"
            )
            + "."
        )
        tables.append(
            _table(
                f"Reported names mapped to {d['label']} (most frequent {len(d['names'])})",
                ("reported name", "drug rows", "cases"),
                [(n["name"] or "(empty)", n["rows"], n["cases"]) for n in d["names"]],
            )
        )
    return _section("identification", "Drug and event identification", paras, tables)


def _measures_section(doc: dict) -> dict:
    m = doc["measures"]
    lvl = f"{m['level']:.0%}"
    rows = [
        ("ROR", ", ".join(m["ror_method"]), f"{lvl} interval", m["thresholds"]["ror"]),
        ("PRR", ", ".join(m["prr_method"]), f"{lvl} interval", "reported, not used for flags"),
        ("chi-square", "Yates-corrected", "", "reported, not used for flags"),
        ("IC", "BCPNN information component", f"IC025-IC975 ({lvl})", m["thresholds"]["ic"]),
    ]
    if not m["head_to_head"]:
        rows.append(
            (
                "EBGM",
                "MGPS, two-gamma prior by maximum likelihood",
                "EB05-EB95 (90%)",
                m["thresholds"]["ebgm"],
            )
        )
    paras = [
        "Head to head: the drug's reports against the comparator's among cases naming either and not both."
        if m["head_to_head"]
        else "Each drug-event pair against every other report of the database (2x2 table)."
    ]
    if doc["strata"]:
        paras.append(
            f"MGPS expected counts stratified by {', '.join(doc['strata'])} (Mantel-Haenszel)."
        )
    p = m["prior"]
    if p:
        paras.append(
            f"MGPS prior fitted on {p['n_pairs']} pairs: alpha1={p['alpha1']:.4g}, beta1={p['beta1']:.4g}, "
            f"alpha2={p['alpha2']:.4g}, beta2={p['beta2']:.4g}, p={p['p']:.4g} ({p['method']})."
        )
    if m["mgps_note"]:
        paras.append(m["mgps_note"])
    return _section(
        "measures",
        "Measures and thresholds",
        paras,
        [_table("Measures", ("measure", "method", "interval", "flag rule"), rows)],
    )


def _results_section(doc: dict) -> dict:
    res = doc["results"]
    rows = [
        (
            r["event"],
            r["a"],
            r["b"],
            r["c"],
            r["d"],
            fmt_g(r["e"]),
            fmt_estimate(r, "ror", "ror_lower", "ror_upper"),
            fmt_estimate(r, "prr", "prr_lower", "prr_upper"),
            fmt_estimate(r, "ic", "ic025", "ic975"),
            fmt_estimate(r, "ebgm", "eb05", "eb95"),
            r["flags"] or "-",
            "-" if r["flags"] else fmt_g(r["mdrr"]) if r.get("mdrr") is not None else "none",
            _label(r),
        )
        for r in res["rows"]
    ]
    paras = [
        f"{res['pairs_scored']} pair(s) of {subject(doc)} scored, {res['pairs_flagged']} flagged by at least one "
        f"rule; shown: {res['shown']}. Counting unit: {res['counting_unit']}; n = {res['n_reports']}."
    ]
    if "unlisted_signals" in res:
        paras.append(
            f"Label: whether the product's label (boxed warning, warnings and precautions, adverse reactions) "
            f"lists the event, as the knowledge pack holds it; {res['unlisted_signals']} flagged pair(s) are "
            "unlisted signals (the label may word an event otherwise; 'unknown' where the pack cannot tell)."
        )
    charts = cumulative_charts(doc)
    if not charts:
        paras.append("No pair is flagged, so no cumulative chart is drawn.")
    elif len(doc["cumulative"]["series"]) > MAX_SERIES:
        paras.append(
            f"Cumulative charts of the first {MAX_SERIES} of {len(doc['cumulative']['series'])} pairs."
        )
    return _section(
        "results",
        "Results",
        paras,
        [
            _table(
                f"Results ({subject(doc)})",
                (
                    "event",
                    "a",
                    "b",
                    "c",
                    "d",
                    "E",
                    "ROR (CI)",
                    "PRR (CI)",
                    "IC (IC025-IC975)",
                    "EBGM (EB05-EB95)",
                    "flags",
                    "MDRR",
                    "label",
                ),
                rows,
            )
        ],
        charts,
    )


def _label(r: dict) -> str:
    listed = r.get("listed") or "-"
    return "UNLISTED SIGNAL" if r.get("flags") and listed == "unlisted" else listed


def _sensitivity_section(doc: dict) -> dict:
    sens = doc["sensitivity"]
    shown, others = shown_pairs(sens)
    moved = sum(
        1 for r in shown if r["status"].startswith("flagged at ") and "; not at " in r["status"]
    )
    paras = [
        f"The analysis repeated at each deduplication level, the MGPS prior refitted at each. Of {len(shown)} "
        f"pair(s) flagged at some level{' or asked for' if sens['events'] else ''}, the flag of {moved} depends on "
        "the deduplication level."
    ]
    if others:
        paras.append(f"{others} other pair(s) flagged at no level are not shown.")
    tables = [
        _table(
            "Deduplication levels",
            ("level", "rule", "cases", "n counted", "state"),
            level_rows(sens),
        ),
        _table(
            "Estimates and flags at each level", sensitivity_header(sens), sensitivity_rows(sens)
        ),
    ]
    return _section("sensitivity", "Sensitivity analyses", paras, tables, [sensitivity_chart(sens)])


def _design_section(doc: dict) -> dict:
    m, sens = doc["measures"], doc["sensitivity"]
    measures = "ROR, PRR, chi-square, IC" + ("" if m["head_to_head"] else " and EBGM")
    primary = (
        f"head-to-head comparison of {doc['drug']} with {doc['comparator']} among cases naming either and not both"
        if doc.get("comparator")
        else f"every event reported with {doc['drug']} against all other reports"
    )
    return _section(
        "design",
        "Study design",
        [
            "Disproportionality analysis of individual case safety reports (spontaneous reports) in the FDA Adverse "
            "Event Reporting System (FAERS; custodian: the US Food and Drug Administration; public quarterly data files).",
            f"Primary analysis: {primary}, counted in {doc['results']['counting_unit']}s under FDA's deduplication rule, "
            f"with {measures} and the thresholds below; the {STAT_NAMES.get(doc['statistic'], doc['statistic'])} of each "
            "flagged pair followed quarter by quarter over the cases received.",
            "Sensitivity analyses: the same analysis at each deduplication level ("
            + ", ".join(lv["name"] for lv in sens["levels"])
            + ").",
            "No case-by-case review of the reports was performed by this tool; a flagged pair is a statistical "
            "signal to be assessed, not a confirmed adverse drug reaction.",
        ],
    )


STAT_NAMES = {"ror": "ROR", "prr": "PRR", "ic": "IC", "ebgm": "EBGM"}


def study_sections(doc: dict) -> list[dict]:
    """The report's sections (title, paragraphs, tables, charts, items), in READUS-PV order."""
    return [
        _design_section(doc),
        _data_section(doc),
        _selection_section(doc),
        _identification_section(doc),
        _measures_section(doc),
        _results_section(doc),
        _sensitivity_section(doc),
        _section(
            "limitations",
            "Limitations of spontaneous reporting",
            items=LIMITATIONS + detectable_items(doc),
        ),
        _section(
            "reproducibility",
            "Reproducibility",
            [
                f"rxcompare {doc['rxcompare']}, run {doc['generated']}"
                + (f": `{doc['command']}`" if doc["command"] else ".")
            ],
        ),
    ]


def _title(doc: dict) -> str:
    return f"Disproportionality analysis of {subject(doc)}: FAERS individual case safety reports"


def render_study_markdown(doc: dict) -> str:
    """The study report as Markdown (the same sections, tables and figures as the HTML)."""
    out = [f"# {_title(doc)}", ""]
    for s in study_sections(doc):
        out += [f"## {s['title']}", ""]
        for p in s["paras"]:
            out += [p, ""]
        for t in s["tables"]:
            out += [f"**{t['caption']}**", "", md_table(t["header"], t["rows"]), ""]
        for c in s["charts"]:
            out += (
                [f"**{c.title}**", "", c.summary or c.absent, ""]
                + [f"{n}" for n in c.notes]
                + ([""] if c.notes else [])
            )
            if c.rows and c.key.startswith(
                "cumulative"
            ):  # the sensitivity chart's data is the table above
                out += [md_table(c.columns, list(c.rows)), ""]
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
    ctx = {
        **_base(_title(doc), report_csp()),
        "title": _title(doc),
        "sections": sections,
        "generated": doc["generated"],
    }
    return _env().get_template("study.html").render(ctx)
