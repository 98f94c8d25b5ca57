"""Benchmark: all-pairs signals on DuckDB, Spark local mode and a real Spark standalone cluster.

One synthetic warehouse (``bench_engines.build_warehouse``: 4 quarters of ``--reports`` reports,
built once and reused from ``--work``), then the job of ``rxcompare signals --all-pairs --output
pairs.parquet`` -- every drug-event 2x2 table (suspect roles, ingredient level), every statistic
(ROR, PRR, chi-square, IC, MGPS prior fit and EBGM/EB05/EB95), the Parquet file -- in one child
process per engine, through the same library calls as the command:

- ``duckdb``: the embedded engine;
- ``spark-local``: Spark in local mode (``local[*]``, ``--driver-memory``);
- ``spark-cluster``: a standalone master and one worker on loopback (``--cores``, ``--worker-memory``;
  ``bench/spark_cluster.py`` starts them from PySpark's own launcher before the child and stops
  them after it; not timed), the child's driver connected to ``spark://127.0.0.1:PORT``.

Each child reports its phases: ``start_s`` (connecting: Spark's session, and the executor's launch
on the cluster, apart), ``count_s``, ``stats_s``, ``write_s``; ``seconds`` is count + statistics +
writing, ``with_start_s`` adds the start, ``wall_s`` is the child process from exec to exit
(imports, JVM start and shutdown included: about what the command costs). The parent samples the
resident memory of the child's process tree (the driver, its JVM included) and, for the cluster, of
the daemons' trees (the executor included). Before any time is printed, every engine's Parquet is
checked against DuckDB's: same rows, counts exactly, statistics equal. With ``--repeat N`` the
engines run in N rounds, one after the other in each (paired runs: the machine's load falls on all
alike), one cluster serving every round, and each engine's run of median seconds is reported.

    python bench/bench_cluster.py [--reports 1000000] [--engines duckdb spark-local spark-cluster]
        [--repeat 1] [--cores 2] [--worker-memory 6g] [--driver-memory 8g] [--conf KEY=VALUE ...] [--work DIR]

Prints a table and writes bench/results/cluster.csv.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

from bench_engines import build_warehouse
from common import run_sampled
from spark_cluster import StandaloneCluster

RESULTS = Path(__file__).resolve().parent / "results"
ENGINES = ("duckdb", "spark-local", "spark-cluster")
FIELDS = (
    "reports",
    "runs",
    "cases",
    "pairs",
    "engine",
    "seconds",
    "count_s",
    "stats_s",
    "write_s",
    "start_s",
    "with_start_s",
    "wall_s",
    "driver_peak_mb",
    "cluster_peak_mb",
    "ratio_to_duckdb",
    "ratio_with_start",
)


def child(engine: str, wh: str, master: str, conf: dict[str, str], output: str) -> dict:
    """The all-pairs job, phase by phase (as ``signals --all-pairs --output FILE.parquet``)."""
    from rxcompare.signals.files import write_signals
    from rxcompare.signals.warehouse import score_warehouse_counts
    from rxcompare.sources.faers.counts import CountQuery, count_cells, cumulate
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.stats.thresholds import Thresholds

    t0 = time.perf_counter()
    if engine == "duckdb":
        tables = connect_engine(wh)
    else:
        tables = connect_engine(wh, "spark", spark_master=master, spark_conf=conf)
        if master.startswith(
            "spark://"
        ):  # the executor's launch belongs to the start, not the count
            jsc = tables.session.sparkContext._jsc.sc()
            deadline = time.monotonic() + 120
            while jsc.getExecutorMemoryStatus().size() < 2 and time.monotonic() < deadline:
                time.sleep(0.1)  # the driver's block manager, then the executor's
    t1 = time.perf_counter()
    counts, expected = cumulate(count_cells(tables, CountQuery()))
    t2 = time.perf_counter()
    table = score_warehouse_counts(counts, Thresholds(min_count=3), 0.95, expected)
    t3 = time.perf_counter()
    rows = write_signals([(None, table)], "parquet", Path(output))
    t4 = time.perf_counter()
    description = tables.description
    tables.close()
    return {
        "start_s": t1 - t0,
        "count_s": t2 - t1,
        "stats_s": t3 - t2,
        "write_s": t4 - t3,
        "pairs": rows,
        "cases": int(counts.n_reports),
        "source": description,
    }


def measure(
    engine: str,
    wh: Path,
    master: str,
    conf: dict[str, str],
    output: Path,
    cluster: StandaloneCluster | None,
) -> dict:
    """Run one engine's child; its phases, wall time and peak memory (driver tree, cluster trees)."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        engine,
        "--warehouse",
        str(wh),
        "--master",
        master,
        "--child-conf",
        json.dumps(conf),
        "--child-output",
        str(output),
    ]
    daemons = [p.pid for p in cluster._procs.values()] if cluster else []
    res, code, wall, driver_peak, cluster_peak = run_sampled(cmd, also=daemons)
    if res is None:
        logs = f"\n{cluster.logs()}" if cluster else ""
        raise SystemExit(f"{engine} failed (exit {code}){logs}")
    res.update(
        wall_s=wall, driver_peak_mb=driver_peak, cluster_peak_mb=cluster_peak if cluster else None
    )
    return res


def check_same(files: dict[str, Path]) -> None:
    """Every engine's Parquet equals DuckDB's: rows, counts exactly, statistics to the last bit."""
    import numpy as np
    import pyarrow.parquet as pq

    base = pq.read_table(files["duckdb"]) if "duckdb" in files else None
    for engine, path in files.items():
        if base is None or engine == "duckdb":
            continue
        other = pq.read_table(path)
        meta = [
            {k: v for k, v in t.schema.metadata.items() if k != b"source"} for t in (base, other)
        ]
        if (
            meta[0] != meta[1]
            or not base.schema.equals(other.schema)
            or base.num_rows != other.num_rows
        ):
            raise SystemExit(f"{engine}: its table differs from DuckDB's in schema, prior or rows")
        for name in base.column_names:
            x, y = (t[name].to_numpy(zero_copy_only=False) for t in (base, other))
            same = (
                x.tolist() == y.tolist()
                if x.dtype == object
                else np.array_equal(x, y, equal_nan=True)
            )
            if not same:
                raise SystemExit(f"{engine}: column {name} differs from DuckDB's")


def _seconds(r: dict) -> float:
    return r["count_s"] + r["stats_s"] + r["write_s"]


def _conf(pairs: list[str]) -> dict[str, str]:
    conf = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--conf {item!r}: give KEY=VALUE")
        conf[key] = value
    return conf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rxcompare-bench")
    ap.add_argument("--cores", type=int, default=2, help="the worker's cores (the executor's)")
    ap.add_argument(
        "--worker-memory", default="6g", help="the worker's memory, all of it the executor's"
    )
    ap.add_argument(
        "--driver-memory", default="8g", help="spark.driver.memory (local mode: all of Spark)"
    )
    ap.add_argument(
        "--cluster-driver-memory", default="2g", help="spark.driver.memory on the cluster"
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="rounds; each engine's median run is reported"
    )
    ap.add_argument("--conf", action="append", default=[], help="KEY=VALUE for both Spark runs")
    ap.add_argument("--output", type=Path, default=RESULTS / "cluster.csv")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", help=argparse.SUPPRESS)
    ap.add_argument("--master", help=argparse.SUPPRESS)
    ap.add_argument("--child-conf", help=argparse.SUPPRESS)
    ap.add_argument("--child-output", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(
            json.dumps(
                child(
                    args.child,
                    args.warehouse,
                    args.master,
                    json.loads(args.child_conf),
                    args.child_output,
                )
            )
        )
        return
    args.work.mkdir(parents=True, exist_ok=True)
    wh = build_warehouse(args.reports, args.work)
    extra = _conf(args.conf)
    files: dict[str, Path] = {}
    runs: dict[str, list[dict]] = {engine: [] for engine in args.engines}
    with tempfile.TemporaryDirectory(dir=args.work) as tmp, contextlib.ExitStack() as stack:
        cluster = None
        if "spark-cluster" in args.engines:  # one cluster for every round (its start is not timed)
            cluster = stack.enter_context(
                StandaloneCluster(
                    Path(tmp) / "cluster", cores=args.cores, memory=args.worker_memory
                ).start()
            )
        for round_no in range(1, args.repeat + 1):  # rounds of every engine in turn: paired runs
            for engine in args.engines:
                files[engine] = Path(tmp) / f"{engine}.parquet"
                if engine == "spark-cluster":
                    conf = {
                        "spark.driver.memory": args.cluster_driver_memory,
                        "spark.executor.memory": args.worker_memory,
                        **extra,
                    }
                    r = measure(engine, wh, cluster.master_url, conf, files[engine], cluster)
                else:
                    conf = (
                        {"spark.driver.memory": args.driver_memory, **extra}
                        if engine != "duckdb"
                        else {}
                    )
                    r = measure(engine, wh, "local[*]", conf, files[engine], None)
                runs[engine].append(r)
                print(
                    f"round {round_no}, {args.reports:,} reports, {engine}: {_seconds(r):.1f} s "
                    f"(count {r['count_s']:.1f}, stats {r['stats_s']:.1f}, write {r['write_s']:.1f}; "
                    f"start {r['start_s']:.1f}; wall {r['wall_s']:.1f}) on {r['source']}",
                    flush=True,
                )
            check_same(files)
    # each engine's run of median seconds (of an even number, the faster of the middle two)
    done = {e: sorted(rs, key=_seconds)[(len(rs) - 1) // 2] for e, rs in runs.items()}
    base = done.get("duckdb")
    rows = []
    for engine, r in done.items():
        secs = _seconds(r)
        with_start = secs + r["start_s"]
        base_secs = _seconds(base) if base else None
        rows.append(
            {
                "reports": args.reports,
                "runs": len(runs[engine]),
                "cases": r["cases"],
                "pairs": r["pairs"],
                "engine": engine,
                "seconds": round(secs, 2),
                "count_s": round(r["count_s"], 2),
                "stats_s": round(r["stats_s"], 2),
                "write_s": round(r["write_s"], 2),
                "start_s": round(r["start_s"], 2),
                "with_start_s": round(with_start, 2),
                "wall_s": round(r["wall_s"], 2),
                "driver_peak_mb": round(r["driver_peak_mb"]),
                "cluster_peak_mb": round(r["cluster_peak_mb"])
                if r["cluster_peak_mb"] is not None
                else "",
                "ratio_to_duckdb": round(secs / base_secs, 2) if base else "",
                "ratio_with_start": round(with_start / (base_secs + base["start_s"]), 2)
                if base
                else "",
            }
        )
    print(" ".join(f"{h:>15}" for h in FIELDS))
    for r in rows:
        print(" ".join(f"{str(r[h]):>15}" for h in FIELDS))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
