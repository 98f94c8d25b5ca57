"""Benchmark: the warehouse counting layer on DuckDB and Spark against a plain pandas baseline.

For each size, a synthetic warehouse is built once (``synth_quarters`` + ingest, not timed; kept in
``--work`` so that later runs reuse it). Then each engine runs the same job in its own process:

- ``pairs``: every drug-event 2x2 table of the warehouse (suspect roles, ingredient level) and every
  statistic on them (ROR, PRR, chi-square, IC, MGPS prior fit and EBGM/EB05/EB95);
- ``quarters``: the surveillance job -- counts stratified by sex and age band for every quarter
  received, then all-pairs statistics with the stratified E on each cumulative quarter.

Engines: ``duckdb`` and ``spark`` run :mod:`rxcompare.sources.faers.counts` (one Ibis expression);
``pandas`` is a plain baseline that reads the same Parquet files and counts with merges and
groupbys (its 2x2 tables are checked against DuckDB's before any time is reported). The statistics
are the same numpy code for all three, so the engines differ only in counting.

Each child reports its seconds (counting and statistics apart; Spark's session start apart, not in
``seconds``); the parent samples the resident memory of the child's whole process tree (/proc), so
Spark's JVM counts. Usage::

    python bench/bench_engines.py --sizes 1000000 5000000 [--engines duckdb spark pandas]
        [--job pairs] [--work DIR] [--spark-master local[*]] [--spark-memory 8g]

Prints a table and writes bench/results/engines.csv.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import run_sampled, write_results

RESULTS = Path(__file__).resolve().parent / "results"
QUARTERS = 4


def build_warehouse(size: int, work: Path) -> Path:
    """A synthetic warehouse of ``size`` reports over 4 quarters (reused when already built)."""
    wh = work / f"wh_{size}"
    if (wh / "cases.parquet").exists():
        return wh
    # built in a child process, so that the parent's memory stays that of a runner
    code = f"""
import shutil, sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from common import synthetic_warehouse
src = Path({str(work / f"synth_{size}")!r})
print(synthetic_warehouse(src, Path({str(wh)!r}), {size}, quarters={QUARTERS}, fmt="dir"))
shutil.rmtree(src)
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    return wh


# ---- the jobs, run in a child process ----------------------------------------------------------


def pandas_counts(wh: Path):
    """The 2x2 tables with plain pandas: the same definitions as the counting layer."""
    import numpy as np
    import pandas as pd

    from rxcompare.models import PairCounts

    drugs = pd.read_parquet(
        wh / "case_drugs.parquet", columns=["primaryid", "role_cod", "ingredient"]
    )
    drugs = drugs[drugs.role_cod.isin(["PS", "SS"])]
    universe = drugs.primaryid.drop_duplicates()
    n = len(universe)
    d = drugs.dropna(subset=["ingredient"])[["primaryid", "ingredient"]].drop_duplicates()
    r = pd.read_parquet(wh / "case_reactions.parquet", columns=["primaryid", "pt"]).dropna()
    r = r[r.primaryid.isin(universe)].drop_duplicates()
    pairs = d.merge(r, on="primaryid").groupby(["ingredient", "pt"], sort=True).size().rename("a")
    nd = d.groupby("ingredient").size()
    ne = r.groupby("pt").size()
    p = pairs.reset_index()
    a = p.a.to_numpy(np.int64)
    mdrug = nd.reindex(p.ingredient).to_numpy(np.int64)
    mevent = ne.reindex(p.pt).to_numpy(np.int64)
    return PairCounts(
        drug=p.ingredient.to_numpy(object),
        event=p.pt.to_numpy(object),
        a=a,
        b=mdrug - a,
        c=mevent - a,
        d=n - mdrug - mevent + a,
        n_reports=n,
        source="pandas baseline",
        counting_unit="deduplicated case",
    )


def child(engine: str, job: str, wh: str, master: str, memory: str) -> dict:
    import numpy as np

    from rxcompare.signals.warehouse import score_warehouse_counts
    from rxcompare.sources.faers.counts import CountQuery, count_cells, cumulate
    from rxcompare.sources.faers.engines import connect_engine

    t0 = time.perf_counter()
    tables = None
    if engine in ("duckdb", "spark"):
        conf = {"spark.driver.memory": memory} if engine == "spark" else None
        tables = connect_engine(
            wh, engine, spark_master=master if engine == "spark" else None, spark_conf=conf
        )
    start = time.perf_counter() - t0
    t1 = time.perf_counter()
    tables_per_quarter = []
    if job == "pairs":
        if engine == "pandas":
            counts = pandas_counts(Path(wh))
        else:
            counts, _ = cumulate(count_cells(tables, CountQuery()))
        t2 = time.perf_counter()
        table = score_warehouse_counts(counts, None, 0.95, None)
        pairs, checksum = len(table), int(counts.a.sum())
    else:
        if engine == "pandas":
            raise SystemExit("the quarters job has no pandas baseline")
        cells = count_cells(tables, CountQuery(), ("sex", "age_band"), by_quarter=True)
        t2 = time.perf_counter()
        for q in cells.quarters:
            counts, expected = cumulate(cells, q)
            tables_per_quarter.append(len(score_warehouse_counts(counts, None, 0.95, expected)))
        pairs, checksum = tables_per_quarter[-1], int(counts.a.sum())
    t3 = time.perf_counter()
    if tables is not None:
        tables.close()
    return {
        "startup_s": start,
        "count_s": t2 - t1,
        "stats_s": t3 - t2,
        "pairs": pairs,
        "sum_a": checksum,
        "n": int(counts.n_reports),
        "eb05_max": float(np.nanmax(table.columns["eb05"])) if job == "pairs" else None,
    }


# ---- the parent: one process per engine, memory of the process tree ------------------------------


def measure(engine: str, job: str, wh: Path, master: str, memory: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        engine,
        "--job",
        job,
        "--warehouse",
        str(wh),
        "--spark-master",
        master,
        "--spark-memory",
        memory,
    ]
    res, code, wall, peak, _ = run_sampled(cmd)
    if res is None:
        raise SystemExit(f"{engine} failed (exit {code})")
    res["wall_s"] = wall
    res["peak_mb"] = peak
    return res


FIELDS = (
    "job",
    "reports",
    "cases",
    "pairs",
    "engine",
    "seconds",
    "count_s",
    "stats_s",
    "startup_s",
    "wall_s",
    "peak_mb",
    "ratio_to_pandas",
    "sum_a",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark", "pandas"])
    ap.add_argument("--job", choices=("pairs", "quarters"), default="pairs")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rxcompare-bench")
    ap.add_argument("--spark-master", default="local[*]")
    ap.add_argument(
        "--spark-memory", default="8g", help="spark.driver.memory (local mode: all of Spark)"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", help=argparse.SUPPRESS)
    ap.add_argument("--output", type=Path, default=RESULTS / "engines.csv")
    args = ap.parse_args()
    if args.child:
        print(
            json.dumps(
                child(args.child, args.job, args.warehouse, args.spark_master, args.spark_memory)
            )
        )
        return
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        wh = build_warehouse(size, args.work)
        done = {}
        for engine in args.engines:
            if engine == "pandas" and args.job != "pairs":
                continue
            r = measure(engine, args.job, wh, args.spark_master, args.spark_memory)
            done[engine] = r
            print(
                f"{size:,} reports, {engine}: {r['count_s'] + r['stats_s']:.1f} s "
                f"(count {r['count_s']:.1f}, stats {r['stats_s']:.1f}, start {r['startup_s']:.1f}), "
                f"peak {r['peak_mb']:.0f} MB",
                flush=True,
            )
        sums = {e: (r["sum_a"], r["n"], r["pairs"]) for e, r in done.items()}
        if len(set(sums.values())) > 1:
            raise SystemExit(f"engines disagree on the counts: {sums}")
        base = done.get("pandas")
        for engine, r in done.items():
            secs = r["count_s"] + r["stats_s"]
            rows.append(
                {
                    "job": args.job,
                    "reports": size,
                    "cases": r["n"],
                    "pairs": r["pairs"],
                    "engine": engine,
                    "seconds": round(secs, 2),
                    "count_s": round(r["count_s"], 2),
                    "stats_s": round(r["stats_s"], 2),
                    "startup_s": round(r["startup_s"], 2),
                    "wall_s": round(r["wall_s"], 2),
                    "peak_mb": round(r["peak_mb"]),
                    "ratio_to_pandas": round(secs / (base["count_s"] + base["stats_s"]), 2)
                    if base
                    else "",
                    "sum_a": r["sum_a"],
                }
            )
    write_results(rows, FIELDS, args.output)


if __name__ == "__main__":
    main()
