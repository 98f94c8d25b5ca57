"""Duplicates that FDA's rule cannot see: one event reported under several case ids.

FDA's rule (:mod:`rxcompare.sources.faers.dedup`) keeps one version per case id. A patient's event sent
by a doctor, the patient and the manufacturer arrives as three cases. This second, optional stage
(``rxcompare faers dedup --match demographic``) finds probable duplicates among the deduplicated cases,
in SQL on DuckDB, with the rule-based approach of DiAna (Fusaroli and Giunchi, 2023: reports grouped on
event date, sex, reporter country, age, weight, reactions and suspect substances, a missing value
grouping with missing values, the last report received kept).

**Key** (every field as the warehouse normalised it): event date (``event_dt`` as written, any
precision), age in years (2 decimals), sex (F/M), country (occurrence country; reporter country for
legacy LAERS quarters), the set of suspect ingredients (roles PS and SS) and the set of reactions (PTs).
Weight is not in the warehouse and is not used. A case without an event date, a suspect ingredient or
a reaction is never matched (too little to tell two events apart).

**Tolerance for missing fields.** Pass 1 groups cases whose keys are equal, a missing value equal to a
missing value (as DiAna). Pass 2: a case missing exactly one of age, sex and country joins the one
group that has that field and equals it on every other field; when several groups would fit, it joins
none (never guessed).

**Kept report** per group: the latest ``fda_dt`` (the most recent information), then the highest
``primaryid``, as FDA's own rule breaks ties. Every group of two or more cases is recorded in
``<warehouse>/match/groups.parquet`` (group, primaryid, caseid, quarter, kept, how it joined, the key as
text) with ``match.json`` (rule, counts before and after, fields present per quarter, the FDA-rule
build it was matched on). Counting with this level removes the cases not kept
(:func:`demographic_tables`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rxcompare.errors import FaersError
from rxcompare.sources.faers import store
from rxcompare.sources.faers.sql import sql_literal

__all__ = [
    "MATCH_DIR",
    "MatchReport",
    "demographic_tables",
    "match_demographic",
    "read_match_report",
]

MATCH_DIR = "match"
FIELDS = ("event_dt", "age", "sex", "country")
TOLERANT = ("age", "sex", "country")
RULE = (
    "probable duplicates across case ids: equal event date, age (years, 2 decimals), sex, country, "
    "set of suspect (PS, SS) ingredients and set of reactions; a missing value equals a missing value; "
    "a case missing exactly one of age, sex, country joins the single group equal on all else; cases "
    "without event date, suspect ingredient or reaction are not matched; kept: latest fda_dt, then "
    "highest primaryid"
)


@dataclass(frozen=True)
class MatchReport:
    """What the demographic match did (also in ``match/match.json``)."""

    cases_before: int
    candidates: int  # cases with an event date, a suspect ingredient and a reaction
    groups: int  # groups of two or more cases
    cases_in_groups: int
    removed: int  # cases_in_groups - groups
    cases_after: int
    joined_with_missing: tuple[tuple[str, int], ...]  # field -> cases joined in pass 2
    fields_by_quarter: tuple[
        tuple[str, tuple[tuple[str, float], ...]], ...
    ]  # quarter -> field share present
    dedup_build: str  # sha256 of the dedup.json matched on
    rule: str


def _dedup_stamp(root: Path) -> str:
    """The identity of the FDA-rule build: sha256 of its dedup.json (it names every file's rows and size)."""
    import hashlib

    try:
        return hashlib.sha256((root / "dedup.json").read_bytes()).hexdigest()
    except OSError:
        return ""


def _same(x: str, y: str, fields) -> str:
    return " AND ".join(f"{x}.{f} IS NOT DISTINCT FROM {y}.{f}" for f in fields)


def match_demographic(warehouse: str | os.PathLike[str]) -> MatchReport:
    """Find and record probable cross-case duplicates in a warehouse (see the module doc)."""
    from rxcompare.sources.faers.warehouse import Warehouse

    root = Path(os.fspath(warehouse))
    wh = Warehouse(root)
    with store.writer_lock(root):
        con = wh.connect()
        staged = root / f".tmp-match-{os.getpid()}"
        try:
            staged.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"SET temp_directory={sql_literal(str(staged / '.spill'))}; SET preserve_insertion_order=false"
            )
            con.execute("SET enable_progress_bar=false")
            before = con.execute("SELECT count(*) FROM cases").fetchone()[0]
            con.execute("""
                CREATE TEMP TABLE k AS
                WITH s AS (SELECT primaryid, list_sort(list_distinct(list(ingredient))) AS ings FROM case_drugs
                           WHERE role_cod IN ('PS', 'SS') AND ingredient IS NOT NULL GROUP BY primaryid),
                     r AS (SELECT primaryid, list_sort(list_distinct(list(pt))) AS pts FROM case_reactions
                           WHERE pt IS NOT NULL GROUP BY primaryid)
                SELECT c.primaryid, c.caseid, c.quarter, c.fda_dt, c.event_dt, round(c.age_years, 2) AS age,
                       c.sex, c.country, s.ings, r.pts
                FROM cases c JOIN s USING (primaryid) JOIN r USING (primaryid) WHERE c.event_dt IS NOT NULL""")
            candidates = con.execute("SELECT count(*) FROM k").fetchone()[0]
            keycols = (*FIELDS, "ings", "pts")
            # pass 1: equal keys, missing equal to missing (GROUP BY puts NULLs together)
            con.execute(
                f"CREATE TEMP TABLE keys AS SELECT {', '.join(keycols)}, count(*) AS n, "
                f"row_number() OVER () AS grp FROM k GROUP BY ALL"
            )
            con.execute(
                f"CREATE TEMP TABLE assign AS SELECT k.primaryid, keys.grp, 'exact key' AS how "
                f"FROM k JOIN keys ON {_same('k', 'keys', keycols)}"
            )
            joined = []
            for (
                f
            ) in TOLERANT:  # pass 2: a case missing one field joins the single group that has it
                others = [c for c in keycols if c != f]
                missing_only_f = " AND ".join(
                    [f"k.{f} IS NULL"] + [f"k.{o} IS NOT NULL" for o in TOLERANT if o != f]
                )
                con.execute(f"""
                    CREATE OR REPLACE TEMP TABLE join_{f} AS
                    SELECT k.primaryid, min(keys.grp) AS grp FROM k JOIN keys
                      ON {_same("k", "keys", others)} AND keys.{f} IS NOT NULL
                    WHERE {missing_only_f} GROUP BY k.primaryid HAVING count(*) = 1""")
                con.execute(
                    f"UPDATE assign SET grp = j.grp, how = 'joined, {f} missing' FROM join_{f} j "
                    "WHERE assign.primaryid = j.primaryid"
                )
                joined.append((f, con.execute(f"SELECT count(*) FROM join_{f}").fetchone()[0]))
            con.execute("""
                CREATE TEMP TABLE grouped AS
                WITH m AS (SELECT a.grp, a.how, k.* FROM assign a JOIN k USING (primaryid)),
                     big AS (SELECT grp FROM m GROUP BY grp HAVING count(*) > 1)
                SELECT dense_rank() OVER (ORDER BY m.grp) AS group_id, m.primaryid, m.caseid, m.quarter, m.how,
                       row_number() OVER (PARTITION BY m.grp ORDER BY m.fda_dt DESC NULLS LAST, m.primaryid DESC) = 1
                         AS kept,
                       concat_ws(' | ', 'event ' || coalesce(m.event_dt, '?'), 'age ' || coalesce(CAST(m.age AS VARCHAR), '?'),
                                 'sex ' || coalesce(m.sex, '?'), 'country ' || coalesce(m.country, '?'),
                                 'suspects ' || array_to_string(m.ings, ','), 'reactions ' || array_to_string(m.pts, ','))
                         AS key
                FROM m WHERE m.grp IN (SELECT grp FROM big)""")
            groups, in_groups = con.execute(
                "SELECT count(DISTINCT group_id), count(*) FROM grouped"
            ).fetchone()
            con.execute(
                f"COPY (SELECT * FROM grouped ORDER BY group_id, primaryid) TO "
                f"{sql_literal(str(staged / 'groups.parquet'))} (FORMAT parquet, COMPRESSION zstd)"
            )
            present = ", ".join(
                f"avg(CASE WHEN {f} IS NOT NULL THEN 1 ELSE 0 END) AS {f}"
                for f in ("event_dt", "age_years", "sex", "country")
            )
            rows = con.execute(
                f"SELECT quarter, {present} FROM cases GROUP BY quarter ORDER BY quarter"
            ).fetchall()
        finally:
            con.close()
        fields = tuple(
            (q, tuple(zip(("event_dt", "age", "sex", "country"), (float(x) for x in rest))))
            for q, *rest in rows
        )
        report = MatchReport(
            cases_before=before,
            candidates=candidates,
            groups=groups,
            cases_in_groups=in_groups,
            removed=in_groups - groups,
            cases_after=before - (in_groups - groups),
            joined_with_missing=tuple(joined),
            fields_by_quarter=fields,
            dedup_build=_dedup_stamp(root),
            rule=RULE,
        )
        doc = {
            **report.__dict__,
            "joined_with_missing": dict(joined),
            "fields_by_quarter": {q: dict(v) for q, v in fields},
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (staged / "match.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        out = root / MATCH_DIR
        out.mkdir(exist_ok=True)
        os.replace(staged / "groups.parquet", out / "groups.parquet")
        os.replace(
            staged / "match.json", out / "match.json"
        )  # last: the match exists once this is there
        shutil.rmtree(staged, ignore_errors=True)
    return report


def read_match_report(warehouse: str | os.PathLike[str]) -> tuple[MatchReport | None, bool]:
    """(the last demographic match of a warehouse or None, whether it is stale: matched on another
    FDA-rule build than the current one)."""
    root = Path(os.fspath(warehouse))
    p = root / MATCH_DIR / "match.json"
    if not p.exists():
        return None, False
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        report = MatchReport(
            d["cases_before"],
            d["candidates"],
            d["groups"],
            d["cases_in_groups"],
            d["removed"],
            d["cases_after"],
            tuple(d["joined_with_missing"].items()),
            tuple((q, tuple(v.items())) for q, v in d["fields_by_quarter"].items()),
            d["dedup_build"],
            d["rule"],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FaersError(
            f"{p} cannot be read ({exc}); run `rxcompare faers dedup --match demographic` again"
        ) from None
    return report, report.dedup_build != _dedup_stamp(root)


def demographic_tables(tables):
    """A copy of ``tables`` (:class:`~rxcompare.sources.faers.engines.WarehouseTables`) whose case
    tables leave out the cases the demographic match did not keep (Ibis anti-joins, any engine)."""
    from dataclasses import replace

    from rxcompare.sources.faers.engines import _quiet

    root = Path(tables.location)
    report, stale = read_match_report(root)
    if report is None or stale:
        raise FaersError(
            f"warehouse {root}: "
            + (
                "the demographic match is older than the case tables"
                if stale
                else "no demographic match yet"
            )
            + "; run `rxcompare faers dedup --match demographic`"
        )
    with _quiet():
        groups = tables.backend.read_parquet(
            f"{tables.location}/{MATCH_DIR}/groups.parquet",
            table_name=f"rx_match_{abs(hash(tables.location)) % 10**10}",
        )
    dropped = groups.filter(~groups.kept).select("primaryid")
    out = {name: t.anti_join(dropped, "primaryid") for name, t in tables.tables.items()}
    return replace(
        tables,
        tables=out,
        description=tables.description + ", FDA rule + demographic match",
        _owns_session=False,
    )
