"""The disproportionality study around a signals query: deduplication sensitivity and the READUS-PV
report's content, as JSON-ready documents the renderers (:mod:`rxcompare.render.study`) draw.

:func:`dedup_sensitivity` scores the query under each deduplication level
(:mod:`rxcompare.signals.sensitivity`): the counts are the engine's, the statistics
:func:`rxcompare.signals.warehouse.signals_from_warehouse`'s (the MGPS prior refitted on every pair of each
level), so each estimate and flag can be set side by side. A level that cannot be counted is listed
with why. :func:`build_study` gathers what the report states -- every figure read from the
warehouse's own records (manifests, ``dedup.json``, ``match/match.json``) or computed by this run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rxcompare.errors import ConfigError, FaersError, UnknownDrugError
from rxcompare.models import SignalTable, envelope, json_value, prior_dict
from rxcompare.signals.files import signals_json
from rxcompare.signals.score import MDRR_NOTE
from rxcompare.signals.sensitivity import DEDUP_LEVELS, dedup_levels
from rxcompare.signals.warehouse import signals_by_quarter, signals_from_warehouse
from rxcompare.sources.faers.counts import COUNTING_UNIT, CountQuery
from rxcompare.stats.thresholds import Thresholds

__all__ = ["STATISTICS", "build_study", "dedup_sensitivity"]

# statistic -> (estimate column, lower, upper, name, log scale)
STATISTICS = {
    "ror": ("ror", "ror_lower", "ror_upper", "ROR", True),
    "prr": ("prr", "prr_lower", "prr_upper", "PRR", True),
    "ic": ("ic", "ic025", "ic975", "IC", False),
    "ebgm": ("ebgm", "eb05", "eb95", "EBGM", True),
}
_KEEP = (
    "a",
    "b",
    "c",
    "d",
    "ror",
    "ror_lower",
    "ror_upper",
    "prr",
    "prr_lower",
    "prr_upper",
    "chi2",
    "ic",
    "ic025",
    "ic975",
    "e",
    "ebgm",
    "eb05",
    "eb95",
    "flags",
)


def _check_statistic(statistic: str, vs: str | None) -> None:
    if statistic not in STATISTICS:
        raise ConfigError(f"--statistic {statistic!r} is not one of {', '.join(STATISTICS)}")
    if vs is not None and statistic == "ebgm":
        raise ConfigError(
            "--statistic ebgm: MGPS does not apply to head-to-head tables (--vs); use ror, prr or ic"
        )


def _score(tables, drug, vs, events, query, strata, thresholds) -> SignalTable:
    return signals_from_warehouse(
        tables, drug=drug, vs=vs, events=events, query=query, strata=strata, thresholds=thresholds
    )


def _status(flags: dict[str, str | None]) -> str:
    """How a pair's flag moves over the levels counted."""
    got = {k: v for k, v in flags.items() if v is not None}
    on = [k for k, v in got.items() if v]
    if not got:
        return "not counted"
    if len(on) == len(got):
        return "flagged at every level"
    if not on:
        return "flagged at no level"
    return "flagged at " + ", ".join(on) + "; not at " + ", ".join(k for k in got if k not in on)


def dedup_sensitivity(
    tables: Any,
    *,
    drug: str | None,
    vs: str | None = None,
    events: Sequence[str] = (),
    query: CountQuery | None = None,
    strata: Sequence[str] = (),
    thresholds: Thresholds | None = None,
    statistic: str = "ror",
    synonyms: Any = None,
    levels: Sequence[str] = DEDUP_LEVELS,
) -> dict[str, Any]:
    """The query's statistics and flags under each deduplication level, pair by pair (a JSON-ready
    ``rxcompare/dedup-sensitivity`` document). Pairs: those of ``drug`` (against ``vs``) counted at
    any level; a pair absent at a level has no entry there (no case of it at that level)."""
    if drug is None:
        raise ConfigError(
            "--dedup-sensitivity needs a DRUG (every pair of every drug is too many to set side by side)"
        )
    _check_statistic(statistic, vs)
    query = CountQuery() if query is None else query
    thresholds = Thresholds() if thresholds is None else thresholds
    out_levels, per_level = [], {}
    for lv in dedup_levels(tables, levels, synonyms):
        entry = {
            "name": lv.name,
            "rule": lv.rule,
            "computed": False,
            "why_not": lv.why_not,
            "cases": lv.cases,
            "n": None,
            "mgps_note": "",
            "notes": list(lv.notes),
            "source": None,
        }
        if lv.tables is not None:
            try:
                t = _score(lv.tables, drug, vs, events, query, strata, thresholds)
            except (UnknownDrugError, FaersError) as exc:
                entry["why_not"] = str(exc)
            else:
                entry.update(
                    computed=True,
                    n=t.n_reports,
                    mgps_note=t.mgps_note,
                    source=t.source,
                    prior=prior_dict(t.prior),
                )
                per_level[lv.name] = {(r["drug"], r["event"]): r for r in t.rows()}
        out_levels.append(entry)
    if not per_level:
        raise FaersError(
            "no deduplication level could be counted: "
            + "; ".join(f"{e['name']}: {e['why_not']}" for e in out_levels)
        )
    keys = sorted({k for rows in per_level.values() for k in rows})
    rows = []
    for key in keys:
        at = {
            name: (
                {k: json_value(r[k]) for k in _KEEP} if (r := per_level[name].get(key)) else None
            )
            for name in per_level
        }
        flags = {
            e["name"]: (at[e["name"]] or {}).get("flags", "") if e["computed"] else None
            for e in out_levels
        }
        rows.append({"drug": key[0], "event": key[1], "levels": at, "status": _status(flags)})
    col, lo, hi, name, log = STATISTICS[statistic]
    return envelope(
        "rxcompare/dedup-sensitivity",
        counting_unit=COUNTING_UNIT,
        drug=drug.strip().lower(),
        comparator=vs.strip().lower() if vs else None,
        events=[e.strip().upper() for e in events],
        filters=dict(query.describe()),
        strata=list(strata),
        thresholds=thresholds.describe(),
        statistic={
            "key": statistic,
            "name": name,
            "column": col,
            "lower": lo,
            "upper": hi,
            "log": log,
        },
        reference_level="fda",
        levels=out_levels,
        rows=rows,
    )


# ---- the study report --------------------------------------------------------------------------------


def _downloaded(source: str) -> str:
    """When the quarter's zip was downloaded, as the download's checksum file beside it records it
    (the time it was written; `rxcompare faers download` writes it), else ''. Only a source recorded
    with its full path can be found again."""
    if Path(source).is_absolute():
        side = Path(source).with_name(Path(source).name + ".sha256")
        if side.is_file():
            return datetime.fromtimestamp(side.stat().st_mtime, UTC).isoformat(timespec="seconds")
    return ""


def _data_source(root: Path) -> dict[str, Any]:
    import json

    from rxcompare.sources.faers import store
    from rxcompare.sources.faers.warehouse import Warehouse

    status = Warehouse(root).status()
    dirs = store.quarter_dirs(root)
    quarters = []
    for q in status.quarters:
        manifest = json.loads((dirs[q.quarter] / "manifest.json").read_text(encoding="utf-8"))
        quarters.append(
            {
                "quarter": q.quarter,
                "layout": q.layout,
                "source": q.source,
                "sha256": q.sha256,
                "downloaded": _downloaded(q.source),
                "ingested_at": q.ingested_at,
                "reports": q.reports,
                "rejects": q.rejects,
                "flagged": q.flagged,
                "deleted": q.deleted,
                "missing": list(q.missing),
                "files": manifest.get("files", {}),
            }
        )
    return {
        "warehouse": root.name,
        "quarters": quarters,
        "damaged": list(status.damaged),
        "stale": status.stale,
    }


def _case_selection(root: Path) -> dict[str, Any]:
    from rxcompare.sources.faers import store
    from rxcompare.sources.faers.match import read_match_report

    doc, _ = store.read_dedup(root)
    doc = doc or {}
    steps = [
        ("report versions ingested (DEMO rows)", doc.get("rows_before")),
        ("removed: rows without a case id or primaryid", doc.get("removed_unkeyed")),
        *(
            [("removed: repeated DEMO lines (a report already read)", doc["removed_repeated"])]
            if doc.get("removed_repeated")
            else []
        ),
        ("removed: older versions of a case (FDA's rule)", doc.get("removed_older_versions")),
        ("removed: cases on a deleted-case list", doc.get("removed_deleted")),
        ("cases after FDA's rule", doc.get("after")),
    ]
    match, stale = read_match_report(root)
    if match is not None:
        steps += [
            (
                "removed: probable duplicates across case ids (demographic match)"
                + (" -- match older than the case tables" if stale else ""),
                match.removed,
            ),
            ("cases after the demographic match", match.cases_after),
        ]
    return {
        "rule": doc.get("rule", ""),
        "built_at": doc.get("built_at", ""),
        "orphans": doc.get("orphans", {}),
        "deleted_case_ids_listed": doc.get("deleted_case_ids_listed"),
        "synonyms": doc.get("synonyms"),
        "steps": [{"step": s, "count": n} for s, n in steps],
        "match": None
        if match is None
        else {
            "rule": match.rule,
            "groups": match.groups,
            "cases_in_groups": match.cases_in_groups,
            "removed": match.removed,
            "stale": stale,
            "joined_with_missing": dict(match.joined_with_missing),
            "fields_by_quarter": {q: dict(v) for q, v in match.fields_by_quarter},
        },
    }


def _identification(tables: Any, drugs: Sequence[str], level: str) -> dict[str, Any]:
    """The reported names mapped to each drug label, labels close to it kept apart, rows without a
    label -- counted by the engine over the FDA-rule tables."""
    import difflib

    d = tables["case_drugs"]
    out = []
    labels = (
        tables.fetch(d.filter(d[level].notnull()).select(label=d[level]).distinct())
        .column("label")
        .to_pylist()
    )
    for drug in drugs:
        mine = d.filter(d[level] == drug)
        grouped = mine.group_by(name=mine.drugname.fill_null("")).agg(
            rows=mine.count(), cases=mine.primaryid.nunique()
        )
        names = tables.fetch(grouped.order_by([grouped.rows.desc(), grouped.name]).limit(25))
        spelled = mine.select("drugname").distinct()
        n_names = int(tables.fetch(spelled.agg(n=spelled.count())).column("n")[0].as_py())
        out.append(
            {
                "label": drug,
                "names": [
                    {"name": n, "rows": int(r), "cases": int(c)}
                    for n, r, c in zip(
                        *(names.column(k).to_pylist() for k in ("name", "rows", "cases"))
                    )
                ],
                "distinct_names": n_names,
                "close_labels": difflib.get_close_matches(
                    drug, [x for x in labels if x != drug], n=8, cutoff=0.8
                ),
            }
        )
    unlabelled = d.filter(d[level].isnull())
    n_un = int(tables.fetch(unlabelled.agg(n=unlabelled.count())).column("n")[0].as_py())
    n_all = int(tables.fetch(d.agg(n=d.count())).column("n")[0].as_py())
    return {"level": level, "drugs": out, "rows_without_label": n_un, "drug_rows": n_all}


def _top_rows(table: SignalTable, events: Sequence[str], limit: int = 30) -> tuple[list[dict], str]:
    rows = table.rows()
    if events:
        return rows, "the events asked for"
    flagged = [r for r in rows if r["flags"]]
    if flagged:
        return sorted(flagged, key=lambda r: (-r["a"], r["event"])), "every flagged pair"
    return sorted(rows, key=lambda r: (-r["a"], r["event"]))[
        :limit
    ], f"no pair flagged: the {limit} pairs with most cases"


def _detectable(table: SignalTable) -> dict[str, Any]:
    """What the pairs without a signal could have detected: their minimum detectable ROR
    (:mod:`rxcompare.stats.mdrr`) summarised."""
    mdrr = np.asarray(table.columns["mdrr"], dtype=float)[table.columns["flags"] == ""]
    finite = mdrr[np.isfinite(mdrr)]
    return {
        "pairs": int(mdrr.size),
        "method": MDRR_NOTE["method"],
        "alpha": MDRR_NOTE["alpha"],
        "power": MDRR_NOTE["power"],
        "min": json_value(float(finite.min())) if finite.size else None,
        "median": json_value(float(np.median(finite))) if finite.size else None,
        "max": json_value(float(finite.max())) if finite.size else None,
        "none_detectable": int(np.count_nonzero(np.isinf(mdrr))),
    }


def _cumulative(tables, drug, vs, events, query, strata, thresholds, statistic) -> dict[str, Any]:
    """Quarter-by-quarter cumulative series of the statistic for every pair flagged at the end."""
    col, lo, hi, _, _ = STATISTICS[statistic]
    if vs is None:
        results = signals_by_quarter(
            tables, drug=drug, events=events, query=query, strata=strata, thresholds=thresholds
        )
    else:  # head to head: one count per cumulative window of quarters received
        from rxcompare.sources.faers.counts import count_cells

        quarters = count_cells(tables, query, by_quarter=True).quarters
        results = []
        for q in quarters:
            window = replace(
                query, quarters=(query.quarters[0] if query.quarters else quarters[0], q)
            )
            try:
                results.append((q, _score(tables, drug, vs, events, window, (), thresholds)))
            except FaersError:
                continue  # an arm without cases yet
    if not results:
        return {"quarters": [], "series": []}
    final = results[-1][1]
    wanted = {(r["drug"], r["event"]) for r in final.rows() if r["flags"] or events}
    series: dict[tuple[str, str], list[dict]] = {k: [] for k in sorted(wanted)}
    for q, t in results:
        for r in t.rows():
            k = (r["drug"], r["event"])
            if k in series:
                series[k].append(
                    {
                        "quarter": q,
                        "a": int(r["a"]),
                        "value": json_value(r[col]),
                        "lower": json_value(r[lo]),
                        "upper": json_value(r[hi]),
                        "flags": r["flags"],
                    }
                )
    return {
        "quarters": [q for q, _ in results],
        "series": [{"drug": k[0], "event": k[1], "points": v} for k, v in series.items()],
    }


def build_study(
    tables: Any,
    *,
    drug: str,
    vs: str | None = None,
    events: Sequence[str] = (),
    query: CountQuery | None = None,
    strata: Sequence[str] = (),
    thresholds: Thresholds | None = None,
    statistic: str = "ror",
    synonyms: Any = None,
    command: str = "",
) -> dict[str, Any]:
    """Everything the READUS-PV study report states, as a JSON-ready ``rxcompare/study`` document."""
    from rxcompare import __version__

    _check_statistic(statistic, vs)
    query = CountQuery() if query is None else query
    thresholds = Thresholds() if thresholds is None else thresholds
    root = Path(tables.location)
    main = _score(tables, drug, vs, events, query, strata, thresholds)
    shown, shown_rule = _top_rows(main, events)
    results = signals_json(main)
    results["rows"] = [{k: json_value(v) for k, v in r.items()} for r in shown]
    results["shown"] = shown_rule
    results["pairs_scored"] = len(main)
    results["pairs_flagged"] = int(np.count_nonzero(main.columns["flags"] != ""))
    results["detectable"] = _detectable(main)
    results["unlisted_signals"] = int(
        np.count_nonzero((main.columns["flags"] != "") & (main.columns["listed"] == "unlisted"))
    )
    labels = [drug.strip().lower()] + ([vs.strip().lower()] if vs else [])
    return envelope(
        "rxcompare/study",
        rxcompare=__version__,
        command=command,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        engine=tables.engine,
        drug=labels[0],
        comparator=labels[1] if vs else None,
        events=[e.strip().upper() for e in events],
        statistic=statistic,
        source=results["source"],
        data_source=_data_source(root),
        case_selection=_case_selection(root),
        filters=dict(query.describe()),
        strata=list(strata),
        identification=_identification(tables, labels, query.level),
        measures={
            "thresholds": thresholds.describe(),
            "level": main.level,
            "ror_method": sorted(set(main.columns["ror_method"].tolist())),
            "prr_method": sorted(set(main.columns["prr_method"].tolist())),
            "prior": prior_dict(main.prior),
            "mgps_note": main.mgps_note,
            "head_to_head": vs is not None,
        },
        results=results,
        sensitivity=dedup_sensitivity(
            tables,
            drug=drug,
            vs=vs,
            events=events,
            query=query,
            strata=strata,
            thresholds=thresholds,
            statistic=statistic,
            synonyms=synonyms,
        ),
        cumulative=_cumulative(tables, labels[0], vs, events, query, strata, thresholds, statistic),
    )
