"""Deduplication and the derived case tables, rebuilt from every ingested quarter.

FDA's recommendation (FAQs.pdf in the quarterly zips; FORMATS.md): one row per case across all
quarters, the version with the latest ``fda_dt``, on a tie the highest ``primaryid``; then every case
id on any deleted-case list is dropped. The drug, reaction, indication and therapy rows kept are those
of the kept version (same quarter and primaryid). The steps are counted in ``dedup.json``.

Derived files (one row per deduplicated case, or per row of a kept case): ``cases.parquet``,
``case_drugs.parquet``, ``case_reactions.parquet`` (distinct PTs per case), ``case_indications.parquet``,
``case_therapies.parquet``.

A quarter ingested into a warehouse whose tables are current is added as an update layer
(``updates/<quarter>-<token>/``, :func:`update_derived`) instead of a rebuild from every quarter: the
kept version of each of its cases is the latest of the case's current kept version and its versions in
the new quarter (the rule picks from all versions what it picks from the earlier winner and the
newcomers); the layer holds the rows of the cases the new quarter now decides, and ``retired.parquet``
the case ids whose rows in earlier layers it supersedes or deletes. Readers take each layer's rows whose
case id no later layer retires (:func:`live_sql`). The counts of ``dedup.json`` are those a rebuild
gives (checked: an update whose cases do not add up is done as a rebuild). A rebuild (``faers dedup``,
a replaced quarter, other synonyms, or :data:`MAX_UPDATES` layers) folds the layers into one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from rxcompare.errors import FaersError
from rxcompare.sources.faers import layout, store
from rxcompare.sources.faers.normalise import Synonyms, load_synonyms
from rxcompare.sources.faers.sql import sql_literal
from rxcompare.sources.faers.store import DERIVED

# Age unit -> years (FDA ASC_NTS: DEC decade, YR year, MON month, WK week, DY day, HR hour).
AGE_UNITS = {
    "DEC": 10.0,
    "YR": 1.0,
    "MON": 1 / 12,
    "WK": 7 / 365.25,
    "DY": 1 / 365.25,
    "HR": 1 / 8766,
}
AGE_BANDS = ((18, "<18"), (45, "18-44"), (65, "45-64"), (75, "65-74"), (None, ">=75"))
MAX_AGE_YEARS = 120.0


@dataclass(frozen=True)
class DedupReport:
    """How many DEMO rows each deduplication step removed, and the orphan rows seen."""

    rows_before: int  # DEMO lines read, repeated ones and those without a key included
    removed_older_versions: int
    removed_deleted: int
    after: int
    orphans: tuple[tuple[str, int], ...]
    quarters: tuple[str, ...]
    reports_before: int | None = None  # distinct reports (caseid, primaryid) among the lines read
    removed_repeated: int = 0  # DEMO lines repeating a report already read (not a report more)


def quarter_dirs(root: Path) -> dict[str, Path]:
    """The ingested quarters of a warehouse: ``{"2022q4": <root>/quarters/2022q4, ...}``."""
    return {q: d for q, d in store.quarter_dirs(root).items() if (d / "manifest.json").exists()}


def _scan(quarters: dict[str, Path], table: str) -> str:
    files = [
        str(d / f"{table}.parquet") for d in quarters.values() if (d / f"{table}.parquet").exists()
    ]
    if not files:
        cols = ", ".join(
            f"CAST(NULL AS {'BIGINT' if c in ('primaryid', 'caseid') else 'VARCHAR'}) AS {c}"
            for c in (*layout.CANONICAL.get(table, ("caseid",)), "quarter")
        )
        return f"(SELECT {cols} WHERE false)"
    return f"read_parquet([{', '.join(sql_literal(f) for f in files)}], union_by_name=true)"


def _valid_date(col: str) -> str:
    return f"CASE WHEN regexp_matches(trim({col}), '{layout.DATE_PATTERN}') THEN trim({col}) END"


def _age_sql() -> str:
    a = "TRY_CAST(trim(age) AS DOUBLE)"
    units = " ".join(f"WHEN '{u}' THEN {a} * {f!r}" for u, f in AGE_UNITS.items())
    return f"CASE upper(trim(age_cod)) {units} END"


def _band_sql(col: str) -> str:
    parts = []
    for limit, label in AGE_BANDS:
        parts.append(
            f"WHEN {col} < {limit} THEN '{label}'" if limit is not None else f"ELSE '{label}'"
        )
    return f"CASE WHEN {col} IS NULL THEN NULL {' '.join(parts)} END"


# Resolved (drugname, prod_ai) pairs per synonym table, kept for the life of the process: a batch
# of ingests, or a rebuild after one, resolves in Python only the names not seen before.
_RESOLVED: dict[str, dict[tuple[str, str], tuple[str | None, str | None]]] = {}
NAMES_FILE = "drugnames.parquet"
"""The warehouse's cache of resolved drug names (read when its synonym fingerprint matches)."""


def synonyms_fingerprint(synonyms: Synonyms) -> str:
    """A digest of a synonym table's entries: the key under which resolved names are cached."""
    h = hashlib.sha256()
    for k, (ing, prod) in sorted(synonyms.entries.items()):
        h.update(f"{k}\0{ing}\0{prod or ''}\n".encode())
    return h.hexdigest()[:16]


def _resolved(
    synonyms: Synonyms, fingerprint: str, cache: Path | None
) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    known = _RESOLVED.setdefault(fingerprint, {})
    if not known and cache is not None and cache.exists():
        try:  # a cache only: one that cannot be read is rebuilt, never trusted in part
            t = pq.read_table(cache)
            if (t.schema.metadata or {}).get(b"synonyms") == fingerprint.encode():
                cols = [t.column(c).to_pylist() for c in ("dn", "ai", "ingredient", "product")]
                known.update({(dn, ai): (ing, prod) for dn, ai, ing, prod in zip(*cols)})
        except (OSError, pa.ArrowException, KeyError):
            known.clear()
    return known


def _normalisation_map(
    con: duckdb.DuckDBPyConnection,
    synonyms: Synonyms,
    cache: Path | None = None,
    out: Path | None = None,
) -> pa.Table:
    """The dictionary table joined to the kept drug rows: each distinct (drugname, prod_ai) with its
    ingredient and product. Only pairs not resolved before (in this process, or in the warehouse's
    ``drugnames.parquet`` written with the same synonyms) go through :meth:`Synonyms.resolve`; the
    whole dictionary is written to ``out`` for the next build."""
    fingerprint = synonyms_fingerprint(synonyms)
    known = _resolved(synonyms, fingerprint, cache)
    con.execute(
        "CREATE TEMP TABLE names_used AS SELECT DISTINCT coalesce(drugname, '') AS dn, "
        "coalesce(prod_ai, '') AS ai FROM kept_drug"
    )
    for dn, ai in con.execute("SELECT dn, ai FROM names_used").fetchall():
        if (dn, ai) not in known:
            known[(dn, ai)] = synonyms.resolve(dn, ai)
    keys = list(known)
    table = pa.table(
        {
            "dn": pa.array([k[0] for k in keys], pa.string()),
            "ai": pa.array([k[1] for k in keys], pa.string()),
            "ingredient": pa.array([known[k][0] for k in keys], pa.string()),
            "product": pa.array([known[k][1] for k in keys], pa.string()),
        }
    )
    if out is not None:
        pq.write_table(
            table.replace_schema_metadata({"synonyms": fingerprint}), out, compression="zstd"
        )
    return table


ORPHAN_TABLES = ("drug", "reac", "outc", "indi", "ther", "rpsr")


def count_orphans(
    con: duckdb.DuckDBPyConnection, quarters: dict[str, Path], demo: str
) -> dict[str, int]:
    """Rows of each table of ``quarters`` whose (primaryid, quarter) has no row in ``demo`` (a
    relation holding at least those quarters' DEMO rows)."""
    return {
        table: con.execute(
            f"SELECT count(*) FROM {_scan(quarters, table)} x WHERE NOT EXISTS "
            f"(SELECT 1 FROM {demo} d WHERE d.primaryid = x.primaryid AND d.quarter = x.quarter)"
        ).fetchall()[0][0]
        for table in ORPHAN_TABLES
    }


def _copy(con: duckdb.DuckDBPyConnection, rows: dict[str, int], query: str, out: Path) -> None:
    """Write one derived table (zstd Parquet) and note its rows in ``rows``."""
    rows[out.stem] = int(
        con.execute(
            f"COPY ({query}) TO {sql_literal(str(out))} (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()[0]
    )


def live_sql(location: str, layers: list[str], name: str) -> str:
    """DuckDB SQL of the current rows of derived table ``name`` of the warehouse at ``location``
    (a folder or URL) held in ``layers`` (:func:`store.derived_layers`): each layer's rows whose case
    id no later layer retires (one anti-join of every layer's rows against the last layer retiring
    each case id)."""

    def scan(folder: str, file: str) -> str:
        return f"read_parquet({sql_literal(store.layer_file(location, folder, file))})"

    if len(layers) == 1:
        return f"SELECT * FROM {scan(layers[0], name + '.parquet')}"
    rows = " UNION ALL BY NAME ".join(
        f"(SELECT *, {i} AS _layer FROM {scan(f, name + '.parquet')})" for i, f in enumerate(layers)
    )
    retired = " UNION ALL ".join(
        f"SELECT caseid, {i} AS layer FROM {scan(f, store.RETIRED)}"
        for i, f in enumerate(layers[1:], 1)
    )
    return (
        f"SELECT x.* EXCLUDE (_layer) FROM ({rows}) x ANTI JOIN (SELECT caseid, max(layer) AS upto "
        f"FROM ({retired}) GROUP BY caseid) r ON x.caseid = r.caseid AND r.upto > x._layer"
    )


@contextlib.contextmanager
def _connect(out: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection spilling into ``out/.spill``, closed and its spill removed after use."""
    # Row order inside a Parquet file carries no meaning here; letting DuckDB write in parallel
    # makes the COPY steps about three times faster on two cores (bench/bench_ingest.py).
    con = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        con.execute(
            f"SET temp_directory={sql_literal(str(out / '.spill'))}; SET memory_limit='1500MB'"
        )
        con.execute("SET preserve_insertion_order=false; SET enable_progress_bar=false")
        yield con
    finally:
        con.close()
        shutil.rmtree(out / ".spill", ignore_errors=True)


def _derive(
    con: duckdb.DuckDBPyConnection,
    fresh: dict[str, Path],
    out: Path,
    synonyms: Synonyms,
    names_cache: Path | None,
    names_out: Path,
) -> dict[str, int]:
    """Write the five derived tables into ``out`` from the rows of quarters ``fresh`` of the versions
    in table ``kept`` (primaryid, caseid, quarter); their rows written, by table."""
    rows: dict[str, int] = {}
    outc = _scan(fresh, "outc")
    legacy = "d.quarter <= '2012q3'"
    _copy(
        con,
        rows,
        f"""
        WITH o AS (SELECT quarter, primaryid,
                   array_to_string(list_sort(list_distinct(list(upper(trim(outc_cod))))), ',') AS outcomes
                   FROM {outc} WHERE nullif(trim(outc_cod), '') IS NOT NULL GROUP BY ALL),
        d AS (SELECT d.*, {_age_sql()} AS age_raw FROM {_scan(fresh, "demo")} d
              JOIN kept k ON d.primaryid = k.primaryid AND d.quarter = k.quarter)
        SELECT d.primaryid, d.caseid, TRY_CAST(trim(d.caseversion) AS INTEGER) AS caseversion, d.quarter,
          {_valid_date("d.fda_dt")} AS fda_dt, {_valid_date("d.event_dt")} AS event_dt,
          {_valid_date("d.init_fda_dt")} AS init_fda_dt,
          CASE WHEN age_raw >= 0 AND age_raw <= {MAX_AGE_YEARS} THEN age_raw END AS age_years,
          {_band_sql(f"CASE WHEN age_raw >= 0 AND age_raw <= {MAX_AGE_YEARS} THEN age_raw END")} AS age_band,
          CASE upper(trim(d.sex)) WHEN 'F' THEN 'F' WHEN 'M' THEN 'M' END AS sex,
          nullif(upper(trim(CASE WHEN {legacy} THEN d.reporter_country ELSE d.occr_country END)), '') AS country,
          o.outcomes IS NOT NULL AS serious, o.outcomes,
          nullif(upper(trim(d.rept_cod)), '') AS rept_cod, nullif(upper(trim(d.occp_cod)), '') AS occp_cod
        FROM d LEFT JOIN o ON d.primaryid = o.primaryid AND d.quarter = o.quarter""",
        out / "cases.parquet",
    )

    con.execute(f"CREATE TEMP VIEW drug_all AS SELECT * FROM {_scan(fresh, 'drug')}")
    # a view, read twice (names, then rows) rather than a table of every kept drug row in memory
    con.execute(
        "CREATE TEMP VIEW kept_drug AS SELECT x.primaryid, k.caseid, x.drug_seq, x.role_cod, "
        "x.drugname, x.prod_ai, x.route FROM drug_all x "
        "JOIN kept k ON x.primaryid = k.primaryid AND x.quarter = k.quarter"
    )
    norm = _normalisation_map(con, synonyms, names_cache, names_out)
    con.register("norm", norm)
    _copy(
        con,
        rows,
        """
        SELECT x.primaryid, x.caseid, TRY_CAST(trim(x.drug_seq) AS BIGINT) AS drug_seq,
          nullif(upper(trim(x.role_cod)), '') AS role_cod, x.drugname, x.prod_ai,
          n.ingredient, n.product, x.route
        FROM kept_drug x LEFT JOIN norm n ON coalesce(x.drugname, '') = n.dn AND coalesce(x.prod_ai, '') = n.ai""",
        out / "case_drugs.parquet",
    )
    con.execute("DROP VIEW kept_drug")
    con.unregister("norm")

    _copy(
        con,
        rows,
        f"""
        SELECT DISTINCT x.primaryid, k.caseid, nullif(upper(trim(x.pt)), '') AS pt
        FROM {_scan(fresh, "reac")} x JOIN kept k ON x.primaryid = k.primaryid AND x.quarter = k.quarter""",
        out / "case_reactions.parquet",
    )
    _copy(
        con,
        rows,
        f"""
        SELECT x.primaryid, k.caseid, TRY_CAST(trim(x.indi_drug_seq) AS BIGINT) AS drug_seq,
          nullif(upper(trim(x.indi_pt)), '') AS indi_pt
        FROM {_scan(fresh, "indi")} x JOIN kept k ON x.primaryid = k.primaryid AND x.quarter = k.quarter""",
        out / "case_indications.parquet",
    )
    _copy(
        con,
        rows,
        f"""
        SELECT x.primaryid, k.caseid, TRY_CAST(trim(x.dsg_drug_seq) AS BIGINT) AS drug_seq,
          {_valid_date("x.start_dt")} AS start_dt, {_valid_date("x.end_dt")} AS end_dt
        FROM {_scan(fresh, "ther")} x JOIN kept k ON x.primaryid = k.primaryid AND x.quarter = k.quarter""",
        out / "case_therapies.parquet",
    )
    return rows


def _orphans(
    con: duckdb.DuckDBPyConnection, quarters: dict[str, Path], manifests: dict[str, dict]
) -> dict[str, int]:
    """Rows without their DEMO row: counted at ingest per quarter (manifest), else here."""
    orphans = {
        t: sum(m.get("orphans", {}).get(t, 0) for m in manifests.values()) for t in ORPHAN_TABLES
    }
    uncounted = {q: d for q, d in quarters.items() if "orphans" not in manifests[q]}
    if uncounted:
        for table, n in count_orphans(con, uncounted, _scan(uncounted, "demo")).items():
            orphans[table] += n
    return orphans


def _write(
    con: duckdb.DuckDBPyConnection,
    fresh: dict[str, Path],
    out: Path,
    quarters: dict[str, Path],
    manifests: dict[str, dict],
    synonyms: Synonyms,
    names_cache: Path | None,
    names_out: Path,
) -> tuple[dict[str, int], dict[str, int], int]:
    """The derived tables of ``fresh`` written into ``out`` (:func:`_derive`), with what dedup.json
    counts over all ``quarters``: (rows by table, orphan rows by table, deleted case ids listed)."""
    rows = _derive(con, fresh, out, synonyms, names_cache, names_out)
    orphans = _orphans(con, quarters, manifests)
    return rows, orphans, con.execute("SELECT count(*) FROM deleted_ids").fetchone()[0]


RULE = "one row per caseid: latest fda_dt, then highest primaryid; then cases on any deleted list removed"


def build_derived(
    quarters: dict[str, Path],
    out: Path,
    synonyms: Synonyms | None = None,
    names_cache: Path | None = None,
    why: str = "",
) -> DedupReport:
    """Deduplicate across ``quarters`` and write the derived tables and ``dedup.json`` into ``out``
    (with ``drugnames.parquet``, the resolved names, read back from ``names_cache`` next time);
    ``why`` is recorded when a rebuild replaced an update."""
    if synonyms is None:
        synonyms = load_synonyms()
    manifests = {
        q: json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        for q, d in quarters.items()
    }
    out.mkdir(parents=True, exist_ok=True)
    with _connect(out) as con:
        con.execute(f"CREATE VIEW demo_all AS SELECT * FROM {_scan(quarters, 'demo')}")
        con.execute(
            "CREATE TABLE ranked AS SELECT primaryid, caseid, quarter, row_number() OVER ("
            f"PARTITION BY caseid ORDER BY {_valid_date('fda_dt')} DESC NULLS LAST, primaryid DESC, "
            "quarter DESC) AS rn FROM demo_all WHERE caseid IS NOT NULL AND primaryid IS NOT NULL"
        )
        con.execute(
            f"CREATE TABLE deleted_ids AS SELECT DISTINCT caseid FROM {_scan(quarters, 'deleted')}"
        )
        # lines read; reports (a DEMO line that FDA's file repeats is one report); cases
        before, keyed, reports, cases = con.execute(
            "SELECT (SELECT count(*) FROM demo_all), count(*), count(DISTINCT (caseid, primaryid)), "
            "count(DISTINCT caseid) FROM ranked"
        ).fetchone()
        unkeyed, repeated, older = before - keyed, keyed - reports, reports - cases
        con.execute(
            "CREATE TABLE kept AS SELECT r.primaryid, r.caseid, r.quarter FROM ranked r "
            "WHERE rn = 1 AND caseid NOT IN (SELECT caseid FROM deleted_ids WHERE caseid IS NOT NULL)"
        )
        after = con.execute("SELECT count(*) FROM kept").fetchone()[0]
        removed_deleted = cases - after
        con.execute("DROP TABLE ranked")
        rows, orphans, n_deleted_ids = _write(
            con, quarters, out, quarters, manifests, synonyms, names_cache, out / NAMES_FILE
        )
    report = {
        "rows_before": before,
        "removed_unkeyed": unkeyed,
        "removed_repeated": repeated,
        "reports_before": reports,
        "removed_older_versions": older,
        "removed_deleted": removed_deleted,
        "after": after,
        "deleted_case_ids_listed": n_deleted_ids,
        "orphans": orphans,
        "quarters": dict(sorted((q, m["sha256"]) for q, m in manifests.items())),
        "synonyms": len(synonyms.entries),
        "synonyms_fingerprint": synonyms_fingerprint(synonyms),
        "rule": RULE,
        "built": "rebuilt from every quarter" + (f" ({why})" if why else ""),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # each build distinct even when two build the same tables within one second: a demographic
        # match records the build it was made on (match._dedup_stamp)
        "build_id": uuid.uuid4().hex,
        "parquet": {
            f"{n}.parquet": store.file_record(out / f"{n}.parquet", rows[n]) for n in DERIVED
        },
    }
    (out / "dedup.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return _report(report)


MAX_UPDATES = 8
"""Update layers a warehouse holds at most: the next quarter is added by a rebuild, which folds them
(readers pay for the layers: ``python bench/history.py --one-by-one``)."""


class NotAnUpdate(Exception):
    """The update's counts disagree with what a rebuild would count: rebuild instead."""


def updatable(root: Path, synonyms: Synonyms, adding: str) -> dict | None:
    """The record (dedup.json) of derived tables that quarter ``adding`` can be added to as an
    update layer, or None when they must be rebuilt: missing, damaged or stale, built with other
    synonyms, already holding ``adding`` (a replaced quarter), or holding :data:`MAX_UPDATES` layers."""
    doc, problems = store.derived_state(root)
    if (
        problems
        or doc is None
        or adding in doc["quarters"]
        or len(store.derived_layers(doc)) > MAX_UPDATES
        or doc.get("synonyms_fingerprint") != synonyms_fingerprint(synonyms)
    ):
        return None
    return doc


def update_derived(
    root: Path,
    doc: dict,
    quarters: dict[str, Path],
    adding: str,
    out: Path,
    folder: str,
    synonyms: Synonyms,
    names_cache: Path | None = None,
) -> DedupReport:
    """Write into ``out`` the update layer (``out/folder``) adding quarter ``adding`` (a quarter of
    ``quarters``, the others those ``doc`` was built from) to the derived tables of ``root``, with the
    new ``dedup.json`` and ``drugnames.parquet``. Raises :class:`NotAnUpdate` when the cases do not
    add up to what a rebuild counts (nothing of ``root`` is touched)."""
    manifests = {
        q: json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        for q, d in quarters.items()
    }
    fresh = {adding: quarters[adding]}
    layer = out / folder
    layer.mkdir(parents=True)
    live = live_sql(str(root), store.derived_layers(doc), "cases")
    new_demo = _scan(fresh, "demo")
    with _connect(out) as con:
        con.execute(
            f"CREATE TABLE deleted_ids AS SELECT DISTINCT caseid FROM {_scan(quarters, 'deleted')} "
            "WHERE caseid IS NOT NULL"
        )
        # the current kept version of each case the new quarter holds competes with its new versions
        con.execute(
            "CREATE TABLE winners AS SELECT primaryid, caseid, quarter FROM (SELECT *, row_number() OVER ("
            "PARTITION BY caseid ORDER BY fd DESC NULLS LAST, primaryid DESC, quarter DESC) AS rn FROM ("
            f"SELECT primaryid, caseid, quarter, {_valid_date('fda_dt')} AS fd FROM {new_demo} "
            "WHERE caseid IS NOT NULL AND primaryid IS NOT NULL UNION ALL "
            f"SELECT primaryid, caseid, quarter, fda_dt AS fd FROM ({live}) WHERE caseid IN "
            f"(SELECT caseid FROM {new_demo}))) WHERE rn = 1 AND quarter = {sql_literal(adding)}"
        )
        con.execute(
            "CREATE TABLE kept AS SELECT * FROM winners WHERE caseid NOT IN (SELECT caseid FROM deleted_ids)"
        )
        retired = int(
            con.execute(
                f"COPY (SELECT DISTINCT caseid FROM ({live}) WHERE caseid IN (SELECT caseid FROM winners) OR caseid IN "
                f"(SELECT caseid FROM {_scan(fresh, 'deleted')})) TO {sql_literal(str(layer / store.RETIRED))} "
                "(FORMAT parquet, COMPRESSION zstd)"
            ).fetchone()[0]
        )
        added = con.execute("SELECT count(*) FROM kept").fetchone()[0]
        # the counts a rebuild gives, from every quarter's keys
        before, keyed, reports, distinct, after = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE k), "
            "count(DISTINCT (caseid, primaryid)) FILTER (WHERE k), "
            "count(DISTINCT caseid) FILTER (WHERE k), "
            "count(DISTINCT caseid) FILTER (WHERE k AND caseid NOT IN (SELECT caseid FROM deleted_ids)) "
            "FROM (SELECT caseid, primaryid, caseid IS NOT NULL AND primaryid IS NOT NULL AS k "
            f"FROM {_scan(quarters, 'demo')})"
        ).fetchone()
        if after != doc["after"] - retired + added:
            raise NotAnUpdate(
                f"{doc['after']:,} cases - {retired:,} retired + {added:,} added != {after:,}"
            )
        rows, orphans, n_deleted_ids = _write(
            con, fresh, layer, quarters, manifests, synonyms, names_cache, out / NAMES_FILE
        )
    files = {
        f"{folder}/{n}.parquet": store.file_record(layer / f"{n}.parquet", rows[n]) for n in DERIVED
    }
    files[f"{folder}/{store.RETIRED}"] = store.file_record(layer / store.RETIRED, retired)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    report = {
        **doc,
        "rows_before": before,
        "removed_unkeyed": before - keyed,
        "removed_repeated": keyed - reports,
        "reports_before": reports,
        "removed_older_versions": reports - distinct,
        "removed_deleted": distinct - after,
        "after": after,
        "deleted_case_ids_listed": n_deleted_ids,
        "orphans": orphans,
        "quarters": dict(sorted((q, m["sha256"]) for q, m in manifests.items())),
        "updates": [
            *doc.get("updates", []),
            {
                "folder": folder,
                "quarter": adding,
                "cases": added,
                "retired": retired,
                "built_at": now,
            },
        ],
        "built": f"updated with {adding}",
        "built_at": now,
        "build_id": uuid.uuid4().hex,
        "parquet": {**doc["parquet"], **files},
    }
    (out / "dedup.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return _report(report)


def update_steps(staged: Path, root: Path, folder: str) -> list[tuple[str, Path, Path]]:
    """The renames that put a staged update layer in place (dedup.json last), for :func:`store.commit`."""
    (root / store.UPDATES).mkdir(exist_ok=True)
    names = [folder] + ([NAMES_FILE] if (staged / NAMES_FILE).exists() else []) + ["dedup.json"]
    return [("file", staged / n, root / n) for n in names]


def _report(d: dict) -> DedupReport:
    return DedupReport(
        d["rows_before"],
        d["removed_older_versions"],
        d["removed_deleted"],
        d["after"],
        tuple(d["orphans"].items()),
        tuple(d["quarters"]),
        d.get("reports_before"),  # None in a dedup.json written before it was recorded
        d.get("removed_repeated", 0),
    )


def derived_steps(staged: Path, root: Path) -> list[tuple[str, Path, Path]]:
    """The renames that put staged derived files in place (dedup.json last), for :func:`store.commit`."""
    names = [f"{n}.parquet" for n in DERIVED] + (
        [NAMES_FILE] if (staged / NAMES_FILE).exists() else []
    )
    return [("file", staged / n, root / n) for n in [*names, "dedup.json"]]


def read_report(root: str | os.PathLike[str]) -> DedupReport | None:
    """The last deduplication report of a warehouse, or None before the first (or when unreadable:
    :func:`store.read_dedup` says why)."""
    doc, _ = store.read_dedup(Path(root))
    return _report(doc) if doc is not None else None


def usable_quarters(root: Path, replacing: set[str] = frozenset()) -> dict[str, Path]:
    """The quarters to deduplicate; raises :class:`FaersError` naming each damaged one (those being
    ``replacing`` aside)."""
    held = store.held_quarters(root)
    damaged = {q: problems for q, (_, problems) in held.items() if problems and q not in replacing}
    if damaged:
        said = "; ".join(f"{q}: {', '.join(p)}" for q, p in damaged.items())
        raise FaersError(
            f"warehouse {root}: damaged quarter(s) ({said}); ingest each again from its zip "
            "(`rxcompare faers ingest FILE`), which rebuilds it, then the case tables are rebuilt"
        )
    return store.quarter_dirs(root)


def dedupe_cases(
    warehouse: str | os.PathLike[str], synonyms: Synonyms | None = None
) -> DedupReport:
    """Rebuild the derived case tables of a warehouse from all its quarters, read under the lock
    (a concurrent ingest finishes first), committed as one (see :mod:`.store`)."""
    root = Path(os.fspath(warehouse))
    if not root.exists():
        raise FaersError(f"warehouse {root} does not exist; run `rxcompare faers ingest` first")
    with store.writer_lock(root):
        quarters = usable_quarters(root)
        if not quarters:
            raise FaersError(
                f"warehouse {root} holds no quarters; run `rxcompare faers ingest` first"
            )
        token = uuid.uuid4().hex[:12]
        staged = root / f".tmp-derived-{token}"
        try:
            report = build_derived(quarters, staged, synonyms, root / NAMES_FILE)
            store.commit(root, token, derived_steps(staged, root), [staged, root / store.UPDATES])
        except OSError as exc:
            raise store.disk_error(exc, staged, "writing the case tables") from None
        except duckdb.IOException as exc:
            raise FaersError(
                f"{staged}: {str(exc).splitlines()[0]} (while writing the case tables); "
                "free some space or give another --warehouse; the warehouse was left as it was"
            ) from None
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return report
