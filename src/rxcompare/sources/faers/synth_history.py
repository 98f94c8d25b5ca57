"""A synthetic FAERS history: many quarters of realistic size, written by DuckDB, in the real layout.

:func:`synth_quarters` builds every row in Python and holds all quarters in memory, which suits tests
and one quarter; a history of 20 quarters of 400,000 reports (8M reports, some 70M table rows) needs
another way. Here each quarter is one set of SQL queries whose rows DuckDB writes straight to the
``$``-separated table files, which are then zipped as FDA ships them (``faers_ascii_YYYYqN.zip``).

What a real history has, in proportion: every quarter holds new cases and follow-up versions of
cases first received up to four quarters before (a later ``fda_dt``, the same drugs and events, a
higher version, so FDA's rule keeps the last); each quarter's deleted-case list names about 0.1% of
the earlier cases; drugs and events are heavy-tailed; each drug is written in its catalogue's messy
spellings (brand, title case, strength and form, ingredient with a full stop, brand with the
ingredient in brackets) with ``prod_ai`` left empty one time in ten. Everything is a deterministic
function of the seed, the quarter and the case id (DuckDB's ``hash``), so a case reads the same in
every quarter that holds a version of it. The data are invented; nothing here is a fact about a
medicine.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from rxcompare.sources.faers.layout import quarter_range
from rxcompare.sources.faers.synth import HEADERS, PTS, _add_quarters, _drugs

FOLLOW_UP = 0.2  # share of a quarter's DEMO rows that are follow-up versions of earlier cases
LOOKBACK = (0.5, 0.25, 0.15, 0.1)  # where follow-ups come from: 1, 2, 3, 4 quarters before
DELETED = 0.001  # share of the earlier cases a quarter's deleted list names
_CASE_SPAN = 1_000_000_000  # case ids of quarter k: 100M + k * span + i (no clash across quarters)
_P1, _P2 = 1_000_003, 7_919_111  # primes: distinct cases picked by (i * P + salt) mod n


@dataclass(frozen=True)
class HistoryTruth:
    """What :func:`synth_history` wrote (also in ``history.json``)."""

    quarters: tuple[str, ...]
    reports: int  # DEMO rows over all quarters
    cases: int  # distinct case ids
    deleted_cases: int  # distinct case ids on a deleted list
    expected_cases: int  # after FDA's deduplication
    drug_rows: int
    reac_rows: int
    zip_bytes: int


def _u(*parts: str) -> str:
    """A uniform number in [0, 1) from DuckDB's hash of the given SQL expressions."""
    return f"(hash({', '.join(parts)}) % 1000000007)::DOUBLE / 1000000007"


def _catalog(seed: int, drugs: int) -> tuple[pa.Table, int]:
    rng = np.random.default_rng(seed)
    cat = _drugs(rng, drugs)
    rows: dict[str, list] = {
        "d": [],
        "s": [],
        "ns": [],
        "name": [],
        "ai": [],
        "route": [],
        "indi": [],
    }
    for i, d in enumerate(cat):
        for j, name in enumerate(d.spellings):
            rows["d"].append(i)
            rows["s"].append(j)
            rows["ns"].append(len(d.spellings))
            rows["name"].append(name)
            rows["ai"].append(d.ingredient)
            rows["route"].append(d.route)
            rows["indi"].append(d.indications[0])
    spellings = pa.table(
        {
            "d": pa.array(rows["d"], pa.int64()),
            "s": pa.array(rows["s"], pa.int64()),
            "ns": pa.array(rows["ns"], pa.int64()),
            "name": rows["name"],
            "ai": rows["ai"],
            "route": rows["route"],
            "indi": rows["indi"],
        }
    )
    return spellings, len(cat)


def _cases_sql(k: int, n_new: list[int], seed: int) -> str:
    """The quarter's cases: new ones, then follow-ups drawn without repeat from the quarters before."""
    parts = [
        f"SELECT {100_000_000 + k * _CASE_SPAN} + i AS caseid, {k} AS q0, 1 AS version "
        f"FROM range({n_new[k]}) t(i)"
    ]
    follow = round(n_new[k] / (1 - FOLLOW_UP) * FOLLOW_UP) if k else 0
    shares = LOOKBACK[:k]
    for back, share in enumerate(shares, 1):
        j = k - back
        m = min(round(follow * share / sum(shares)), n_new[j])
        parts.append(
            f"SELECT {100_000_000 + j * _CASE_SPAN} + (i * {_P1} + {seed + k}) % {n_new[j]} AS caseid, "
            f"{j} AS q0, {back + 1} AS version FROM range({m}) t(i)"
        )
    return " UNION ALL ".join(parts)


def _write_tables(
    con: duckdb.DuckDBPyConnection,
    k: int,
    q: str,
    folder: Path,
    n_new: list[int],
    n_drugs: int,
    n_events: int,
    seed: int,
) -> None:
    """Write quarter ``k``'s seven table files into ``folder``; its cases stay in ``qc``, its drug rows in ``qd``."""
    base = int(q[:4]) * 4 + int(q[5]) - 1 - k  # quarter number of index 0

    def date(qq: str, salt: int) -> str:  # a day in quarter index ``qq``
        return (
            f"printf('%04d%02d%02d', ({base} + {qq}) // 4, (({base} + {qq}) % 4) * 3 + 1 + "
            f"(hash(caseid, {salt}) % 3)::INT, 1 + (hash(caseid, {salt}, 2) % 28)::INT)"
        )

    s = str(seed)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE qc AS SELECT caseid, q0, version,
        caseid * 100 + version AS primaryid,
        1 + floor(12 * pow({_u("caseid", s, "'nd'")}, 2))::INT AS n_d,
        1 + floor(7 * pow({_u("caseid", s, "'nr'")}, 1.5))::INT AS n_r,
        {date("q0", 11)} AS init_dt,
        CASE WHEN version = 1 THEN {date("q0", 11)} ELSE {date(str(k), 12 + k)} END AS fda_dt
        FROM ({_cases_sql(k, n_new, seed)})""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE qd AS SELECT c.primaryid, c.caseid, c.init_dt, x.seq,
        (floor({n_drugs} * pow({_u("c.caseid", "x.seq", s, "'d'")}, 3))::BIGINT + {n_drugs - 40}) % {n_drugs} AS d,
        {_u("c.caseid", "x.seq", s, "'s'")} AS us, {_u("c.caseid", "x.seq", s, "'r'")} AS ur,
        {_u("c.caseid", "x.seq", s, "'a'")} AS ua
        FROM qc c, LATERAL (SELECT unnest(range(1, c.n_d + 1)) AS seq) x""")
    files = {
        "demo": """SELECT concat_ws('$', primaryid, caseid, version, CASE version WHEN 1 THEN 'I' ELSE 'F' END,
            substr(init_dt, 1, (4 + 2 * (hash(caseid, 5) % 3))::INT), fda_dt, init_dt, fda_dt,
            ['EXP', 'PER', 'DIR'][1 + (hash(caseid, 6) % 3)::INT], '', 'SYN-' || caseid, 'SYNTH', '',
            CASE WHEN hash(caseid, 7) % 5 = 0 THEN '' ELSE (1 + hash(caseid, 8) % 94)::VARCHAR END,
            CASE WHEN hash(caseid, 7) % 5 = 0 THEN '' ELSE 'YR' END, '',
            ['F', 'M', 'F', '', 'UNK'][1 + (hash(caseid, 9) % 5)::INT], 'Y', '', '', fda_dt, '',
            ['MD', 'HP', 'CN', 'PH', 'OT'][1 + (hash(caseid, 10) % 5)::INT],
            ['US', 'US', 'US', 'GB', 'DE', 'FR', 'JP', 'CA', 'BR', 'IT'][1 + (hash(caseid, 13) % 10)::INT],
            ['US', 'US', 'US', 'GB', 'DE', 'FR', 'JP', 'CA', 'BR', 'IT'][1 + (hash(caseid, 13) % 10)::INT])
            FROM qc""",
        "drug": """SELECT concat_ws('$', x.primaryid, x.caseid, x.seq,
            CASE WHEN x.seq = 1 THEN 'PS' WHEN x.ur < 0.2 THEN 'SS' ELSE 'C' END, n.name,
            CASE WHEN x.ua < 0.1 THEN '' ELSE n.ai END, '1', n.route, '', '', '', '', '', '', '', '', '', '', '', '')
            FROM qd x JOIN spellings n ON n.d = x.d AND n.s = floor(x.us * n.ns)::BIGINT""",
        "indi": """SELECT concat_ws('$', x.primaryid, x.caseid, x.seq, n.indi) FROM qd x
            JOIN spellings n ON n.d = x.d AND n.s = 0""",
        "ther": "SELECT concat_ws('$', primaryid, caseid, seq, substr(init_dt, 1, 6), '', '', '') FROM qd WHERE seq <= 2",
        "reac": f"""SELECT DISTINCT concat_ws('$', c.primaryid, c.caseid, e.pt, '') FROM qc c,
            LATERAL (SELECT unnest(range(c.n_r)) AS r) x
            JOIN events e ON e.i = floor({n_events} * pow({_u("c.caseid", "x.r", s, "'e'")}, 2.5))::BIGINT""",
        "outc": f"""SELECT concat_ws('$', primaryid, caseid, ['HO', 'OT', 'DE', 'LT', 'DS', 'RI', 'CA'][1 + (hash(caseid, o, {s}) % 7)::INT])
            FROM (SELECT DISTINCT primaryid, caseid, o FROM qc, LATERAL (SELECT unnest(range((hash(caseid, 14) % 3)::INT)) AS o))""",
        "rpsr": "SELECT concat_ws('$', primaryid, caseid, 'HP') FROM qc WHERE hash(caseid, 15) % 20 = 0",
    }
    yy = f"{q[2:4]}Q{q[5]}"
    for table, sql in files.items():
        path = folder / f"{table.upper()}{yy}.txt"
        header = HEADERS[table].replace('"', '""')
        con.execute(f"""COPY (SELECT * FROM ({sql}) t("{header}")) TO '{path}'
            (FORMAT csv, DELIMITER '\t', HEADER true, QUOTE '', ESCAPE '')""")


def _deleted_ids(k: int, n_new: list[int], seed: int) -> list[int]:
    """Quarter ``k``'s deleted list: about DELETED / 4 of the cases of each of the 4 quarters before."""
    out: set[int] = set()
    for j in range(max(0, k - len(LOOKBACK)), k):
        m = max(1, round(n_new[j] * DELETED / len(LOOKBACK)))
        out.update(
            100_000_000 + j * _CASE_SPAN + (i * _P2 + seed + 31 * k) % n_new[j] for i in range(m)
        )
    return sorted(out)


def synth_history(
    out: str | os.PathLike[str],
    quarters: int = 20,
    reports: int = 400_000,
    seed: int = 0,
    start: str = "2019q1",
    drugs: int = 5000,
    events: int = 6000,
    progress=None,
) -> HistoryTruth:
    """Write ``quarters`` zips of about ``reports`` DEMO rows each into ``out``; return the truth.

    ``progress(quarter, done, total)`` is called before each quarter. The truth (``history.json``)
    counts what was written, the cases FDA's rule keeps included, from the files' own rows.
    """
    if quarters < 1 or reports < 100:
        raise ValueError("synth_history needs at least 1 quarter of 100 reports")
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    qs = quarter_range(start, _add_quarters(start, quarters - 1))
    spellings, n_drugs = _catalog(seed, drugs)
    names = list(PTS) + [f"Synthetic event {i:04d}" for i in range(max(0, events - len(PTS)))]
    ev = pa.table({"i": pa.array(range(len(names)), pa.int64()), "pt": names})
    n_new = [reports] + [round(reports * (1 - FOLLOW_UP))] * (quarters - 1)
    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute("SET enable_progress_bar=false")
    con.register("spellings", spellings)
    con.register("events", ev)
    ids = outdir / ".ids"
    ids.mkdir(exist_ok=True)
    totals = {"reports": 0, "drug_rows": 0, "reac_rows": 0, "zip_bytes": 0}
    all_deleted: set[int] = set()
    try:
        for k, q in enumerate(qs):
            if progress:
                progress(q, k, len(qs))
            folder = outdir / f".tmp-{q}"
            folder.mkdir(exist_ok=True)
            _write_tables(con, k, q, folder, n_new, n_drugs, len(names), seed)
            con.execute(
                f"COPY (SELECT caseid, primaryid, fda_dt FROM qc) TO '{ids / (q + '.parquet')}' (FORMAT parquet)"
            )
            totals["reports"] += con.execute("SELECT count(*) FROM qc").fetchall()[0][0]
            totals["drug_rows"] += con.execute("SELECT count(*) FROM qd").fetchall()[0][0]
            deleted = _deleted_ids(k, n_new, seed)
            all_deleted.update(deleted)
            yy = f"{q[2:4]}Q{q[5]}"
            target = outdir / f"faers_ascii_{q}.zip"
            with zipfile.ZipFile(
                target.with_suffix(".zip.part"), "w", zipfile.ZIP_DEFLATED, compresslevel=1
            ) as zf:
                for t in HEADERS:
                    p = folder / f"{t.upper()}{yy}.txt"
                    if t == "reac":
                        with p.open("rb") as fh:
                            totals["reac_rows"] += (
                                sum(
                                    chunk.count(b"\n")
                                    for chunk in iter(lambda: fh.read(1 << 22), b"")
                                )
                                - 1
                            )
                    zf.write(p, f"ASCII/{t.upper()}{yy}.txt")
                    p.unlink()
                if deleted:
                    zf.writestr(f"Deleted/DELETE{yy}.txt", "\n".join(map(str, deleted)) + "\n")
            os.replace(target.with_suffix(".zip.part"), target)
            folder.rmdir()
            totals["zip_bytes"] += target.stat().st_size
        con.register("deleted_ids", pa.table({"caseid": pa.array(sorted(all_deleted), pa.int64())}))
        cases, expected, listed = con.execute(
            f"SELECT count(DISTINCT caseid), count(DISTINCT caseid) FILTER (WHERE caseid NOT IN "
            f"(SELECT caseid FROM deleted_ids)), (SELECT count(*) FROM deleted_ids) FROM '{ids}/*.parquet'"
        ).fetchall()[0]
    finally:
        con.close()
        for p in ids.glob("*.parquet"):
            p.unlink()
        ids.rmdir()
    truth = HistoryTruth(
        quarters=tuple(qs),
        reports=totals["reports"],
        cases=cases,
        deleted_cases=listed,
        expected_cases=expected,
        drug_rows=totals["drug_rows"],
        reac_rows=totals["reac_rows"],
        zip_bytes=totals["zip_bytes"],
    )
    doc = {"synthetic": True, "seed": seed, **truth.__dict__, "quarters": list(qs)}
    (outdir / "history.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return truth
