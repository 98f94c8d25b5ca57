"""The warehouse at each deduplication level, for sensitivity analyses: the same counting layer
(:mod:`rxcompare.sources.faers.counts`) run over other case tables.

Levels (:data:`DEDUP_LEVELS`):

- ``none``: every report version as ingested -- one row per ``primaryid`` of every quarter's DEMO
  file (a version shipped in two quarters counts once, from its latest file), with the drug,
  reaction and indication rows of that file; deleted cases kept. The tables are DuckDB SQL views
  over the quarters' Parquet files, derived as the FDA-rule tables are (ages in years, bands, sex,
  country, outcomes; drug names mapped to ingredients by the mapping the FDA-rule tables hold, names
  seen only in older versions by the synonym table given).
- ``fda``: FDA's rule, the warehouse's case tables (latest version per case id, deleted cases removed).
- ``fda+demographic``: FDA's rule, then the cases the demographic match did not keep removed
  (:func:`rxcompare.sources.faers.match.demographic_tables`).

:func:`dedup_levels` opens every level it can and says, for each one it cannot, why (no match run
yet, a match older than the case tables, a quarter lacking a table, an engine other than DuckDB);
no level is dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from rxcompare.errors import FaersError
from rxcompare.sources.faers import store
from rxcompare.sources.faers.dedup import MAX_AGE_YEARS, _age_sql, _band_sql, _valid_date
from rxcompare.sources.faers.engines import WarehouseTables, _quiet
from rxcompare.sources.faers.match import demographic_tables, read_match_report
from rxcompare.sources.faers.normalise import Synonyms, load_synonyms
from rxcompare.sources.faers.sql import sql_literal

__all__ = ["DEDUP_LEVELS", "LEVEL_RULES", "DedupLevel", "dedup_levels", "none_tables"]

DEDUP_LEVELS = ("none", "fda", "fda+demographic")
LEVEL_RULES = {
    "none": "every report version (primaryid) as ingested; deleted cases kept",
    "fda": "FDA's rule: latest version per case id (fda_dt, then primaryid), cases on a deleted list removed",
    "fda+demographic": "FDA's rule, then probable duplicates across case ids merged (demographic match)",
}
_NEEDED = ("demo", "drug", "reac")


@dataclass(frozen=True)
class DedupLevel:
    """One deduplication level: its tables when it can be counted, else why not."""

    name: str
    rule: str
    tables: WarehouseTables | None = None
    why_not: str = ""
    cases: int | None = None  # case rows at this level (before any query filter)
    notes: tuple[str, ...] = field(default=())


def _files(root: Path, table: str) -> list[str]:
    return [
        str(d / f"{table}.parquet")
        for d in store.quarter_dirs(root).values()
        if (d / f"{table}.parquet").exists()
    ]


def _scan(files: list[str]) -> str:
    return f"read_parquet([{', '.join(sql_literal(f) for f in files)}], union_by_name=true)"


def _name_map(tables: WarehouseTables, drug_scan: str, synonyms: Synonyms) -> tuple[pa.Table, int]:
    """(drugname, prod_ai) -> (ingredient, product) for every pair of every version: the FDA-rule
    tables' own mapping, and the synonym table for the pairs only older versions hold."""
    con = tables.backend.con
    # every layer's rows, current or not: each was named with the same synonyms (dedup.updatable)
    layers = [
        store.layer_file(tables.location, f, "case_drugs.parquet")
        for f in store.local_layers(Path(tables.location))
    ]
    known = con.sql(
        "SELECT DISTINCT coalesce(drugname, '') AS dn, coalesce(prod_ai, '') AS ai, ingredient, "
        f"product FROM {_scan(layers)}"
    ).to_arrow_table()
    con.register("rx_known_names", known)
    try:
        fresh = con.sql(
            f"SELECT DISTINCT coalesce(drugname, '') AS dn, coalesce(prod_ai, '') AS ai "
            f"FROM {drug_scan} ANTI JOIN rx_known_names k ON coalesce(drugname, '') = k.dn "
            "AND coalesce(prod_ai, '') = k.ai"
        ).fetchall()
    finally:
        con.unregister("rx_known_names")
    names, ais, ings, prods = [], [], [], []
    for dn, ai in fresh:  # distinct names only, as the FDA-rule build does
        ing, prod = synonyms.resolve(dn, ai)
        names.append(dn)
        ais.append(ai)
        ings.append(ing)
        prods.append(prod)
    extra = pa.table(
        {
            "dn": pa.array(names, pa.string()),
            "ai": pa.array(ais, pa.string()),
            "ingredient": pa.array(ings, pa.string()),
            "product": pa.array(prods, pa.string()),
        }
    )
    known = known.select(["dn", "ai", "ingredient", "product"]).cast(extra.schema)
    return pa.concat_tables([known, extra]), len(fresh)


def none_tables(
    tables: WarehouseTables, synonyms: Synonyms | None = None
) -> tuple[WarehouseTables, int, int]:
    """The ``none`` level of a DuckDB-opened warehouse: (tables, report versions, drug-name pairs
    normalised afresh). Raises :class:`FaersError` when it cannot be built (see the module doc)."""
    if tables.engine != "duckdb":
        raise FaersError(
            "every report version is read from the quarters' files by DuckDB; run with "
            "--engine duckdb for this level"
        )
    root = Path(tables.location)
    quarters = store.quarter_dirs(root)
    lacking = sorted(
        {
            f"{q} ({t})"
            for q, d in quarters.items()
            for t in _NEEDED
            if not (d / f"{t}.parquet").exists()
        }
    )
    if not quarters or lacking:
        raise FaersError(
            "the quarters' files are needed and "
            + (f"these are missing: {', '.join(lacking)}" if lacking else "none are held")
            + "; ingest each quarter again from its zip"
        )
    tag = f"{abs(hash(tables.location)) % 10**10}"
    scans = {t: _scan(_files(root, t)) for t in ("demo", "drug", "reac", "outc", "indi")}
    with _quiet():
        names, fresh = _name_map(
            tables, scans["drug"], synonyms if synonyms is not None else load_synonyms()
        )
        con = tables.backend.con
        con.register(f"rx_names_{tag}", names)
        outc = (
            scans["outc"]
            if _files(root, "outc")
            else "(SELECT NULL::BIGINT AS primaryid, NULL AS quarter, NULL AS outc_cod WHERE false)"
        )
        indi = (
            scans["indi"]
            if _files(root, "indi")
            else (
                "(SELECT NULL::BIGINT AS primaryid, NULL AS quarter, "
                "NULL AS indi_drug_seq, NULL AS indi_pt WHERE false)"
            )
        )
        age = f"CASE WHEN age_raw >= 0 AND age_raw <= {MAX_AGE_YEARS} THEN age_raw END"
        con.sql(f"""CREATE OR REPLACE TEMP VIEW rx_none_demo_{tag} AS
            SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY primaryid ORDER BY quarter DESC) AS rn
                           FROM {scans["demo"]} WHERE primaryid IS NOT NULL) WHERE rn = 1""")
        views = {
            "cases": f"""
                WITH o AS (SELECT quarter, primaryid,
                           array_to_string(list_sort(list_distinct(list(upper(trim(outc_cod))))), ',') AS outcomes
                           FROM {outc} WHERE nullif(trim(outc_cod), '') IS NOT NULL GROUP BY ALL),
                d AS (SELECT *, {_age_sql()} AS age_raw FROM rx_none_demo_{tag})
                SELECT d.primaryid, d.caseid, TRY_CAST(trim(d.caseversion) AS INTEGER) AS caseversion, d.quarter,
                  {_valid_date("d.fda_dt")} AS fda_dt, {_valid_date("d.event_dt")} AS event_dt,
                  {_valid_date("d.init_fda_dt")} AS init_fda_dt, {age} AS age_years, {_band_sql(age)} AS age_band,
                  CASE upper(trim(d.sex)) WHEN 'F' THEN 'F' WHEN 'M' THEN 'M' END AS sex,
                  nullif(upper(trim(CASE WHEN d.quarter <= '2012q3' THEN d.reporter_country ELSE d.occr_country END)), '')
                    AS country, o.outcomes IS NOT NULL AS serious, o.outcomes
                FROM d LEFT JOIN o ON d.primaryid = o.primaryid AND d.quarter = o.quarter""",
            "case_drugs": f"""
                SELECT x.primaryid, x.caseid, TRY_CAST(trim(x.drug_seq) AS BIGINT) AS drug_seq,
                  nullif(upper(trim(x.role_cod)), '') AS role_cod, x.drugname, x.prod_ai, n.ingredient, n.product
                FROM {scans["drug"]} x SEMI JOIN rx_none_demo_{tag} d ON x.primaryid = d.primaryid AND x.quarter = d.quarter
                LEFT JOIN rx_names_{tag} n ON coalesce(x.drugname, '') = n.dn AND coalesce(x.prod_ai, '') = n.ai""",
            "case_reactions": f"""
                SELECT DISTINCT x.primaryid, x.caseid, nullif(upper(trim(x.pt)), '') AS pt
                FROM {scans["reac"]} x SEMI JOIN rx_none_demo_{tag} d ON x.primaryid = d.primaryid AND x.quarter = d.quarter""",
            "case_indications": f"""
                SELECT x.primaryid, x.caseid, TRY_CAST(trim(x.indi_drug_seq) AS BIGINT) AS drug_seq,
                  nullif(upper(trim(x.indi_pt)), '') AS indi_pt
                FROM {indi} x SEMI JOIN rx_none_demo_{tag} d ON x.primaryid = d.primaryid AND x.quarter = d.quarter""",
        }
        out: dict[str, Any] = dict(tables.tables)
        for name, sql in views.items():
            con.sql(f"CREATE OR REPLACE TEMP VIEW rx_none_{name}_{tag} AS {sql}")
            out[name] = tables.backend.table(f"rx_none_{name}_{tag}")
        versions = con.sql(f"SELECT count(*) FROM rx_none_demo_{tag}").fetchall()[0][0]
    return (
        replace(
            tables,
            tables=out,
            description=tables.description + ", every report version (no deduplication)",
            _owns_session=False,
        ),
        int(versions),
        fresh,
    )


def _dedup_after(root: Path) -> int | None:
    try:
        return int(json.loads((root / "dedup.json").read_text(encoding="utf-8"))["after"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def dedup_levels(
    tables: WarehouseTables, levels=DEDUP_LEVELS, synonyms: Synonyms | None = None
) -> tuple[DedupLevel, ...]:
    """Every level asked for (see :data:`DEDUP_LEVELS`): its tables, or why it cannot be counted."""
    bad = [x for x in levels if x not in DEDUP_LEVELS]
    if bad:
        from rxcompare.errors import ConfigError

        raise ConfigError(
            f"deduplication level {', '.join(bad)}: levels are {', '.join(DEDUP_LEVELS)}"
        )
    root = Path(tables.location)
    out = []
    for name in levels:
        rule = LEVEL_RULES[name]
        try:
            if name == "none":
                t, versions, fresh = none_tables(tables, synonyms)
                notes = (
                    (
                        (
                            f"{fresh} drug-name pair(s) appear only in versions FDA's rule drops; normalised "
                            "with the synonym table"
                        ),
                    )
                    if fresh
                    else ()
                )
                out.append(DedupLevel(name, rule, t, cases=versions, notes=notes))
            elif name == "fda":
                out.append(DedupLevel(name, rule, tables, cases=_dedup_after(root)))
            else:
                report, _ = read_match_report(root)
                t = demographic_tables(tables)
                assert report is not None  # demographic_tables raised otherwise
                notes = tuple(
                    f"{q}: matched without {', '.join(f for f, share in fields if share == 0)} (not reported)"
                    for q, fields in report.fields_by_quarter
                    if any(share == 0 for _, share in fields)
                )
                out.append(DedupLevel(name, rule, t, cases=report.cases_after, notes=notes))
        except FaersError as exc:
            out.append(DedupLevel(name, rule, why_not=str(exc)))
    return tuple(out)
