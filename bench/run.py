"""The one entry point of the benchmarks: run them at the sizes given, print one table, write one CSV.

    python bench/run.py --sizes 100000,1000000,5000000 --only ingest,signals,engines,web

Each benchmark script runs in its own subprocess (its wall time and the peak resident memory of
its processes, ``RUSAGE_CHILDREN``, are measured here) and writes its own CSV under bench/results/;
this script reads those rows back into one table:

- ``ingest``  bench_ingest.py --reports N: one synthetic quarter of N reports ingested, deduplicated
  and normalised, against the plain pandas baseline (bench/pandas_baseline.py);
- ``signals`` bench_signals.py --sizes N...: counts and every statistic on a long table of N reports,
  against a pandas baseline;
- ``engines`` bench_engines.py --sizes N...: all-pairs counts and statistics from a warehouse of N
  synthetic reports on DuckDB, Spark (local mode) and a pandas baseline;
- ``web``     bench_web.py: requests per second against ``rxcompare serve`` (no size).

Columns: benchmark, size (reports), engine, seconds, peak_mb (the script's own per-engine figure when
it gives one, else the subprocess's), ratio_to_pandas (seconds / the pandas baseline's seconds at
that size), note. Output: bench/results/summary.csv (``--output``), appended with ``--append``.
Scripts that are absent are skipped with a note. Benchmarks are never run by the tests.
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHMARKS = ("ingest", "signals", "engines", "web")
FIELDS = ("benchmark", "size", "engine", "seconds", "peak_mb", "ratio_to_pandas", "note")


def run_script(args: list[str]) -> tuple[float, float, int]:
    """Run a benchmark script (its output shown as it comes); its wall seconds, the peak RSS (MB)
    of its processes and its exit code."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result"
        code = f"""
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run({[sys.executable, *args]!r})
with open({str(result)!r}, "w") as fh:
    fh.write(f"{{time.perf_counter() - t}} {{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}} {{p.returncode}}")
"""
        subprocess.run([sys.executable, "-c", code], check=True)
        secs, peak, rc = result.read_text().split()
    return float(secs), float(peak), int(rc)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _ratios(rows: list[dict], baseline: str) -> None:
    for r in rows:
        base = next((x for x in rows if x["size"] == r["size"] and x["engine"] == baseline), None)
        r["ratio_to_pandas"] = (
            round(r["seconds"] / base["seconds"], 2) if base and base["seconds"] else ""
        )


def bench_ingest(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        secs, peak, rc = run_script([str(HERE / "bench_ingest.py"), "--reports", str(n)])
        if rc:
            rows.append(
                {
                    "benchmark": "ingest",
                    "size": n,
                    "engine": "-",
                    "seconds": round(secs, 1),
                    "peak_mb": round(peak),
                    "note": f"failed (exit {rc})",
                }
            )
            continue
        for r in _read(RESULTS / f"bench_ingest_{n}.csv"):
            rows.append(
                {
                    "benchmark": "ingest",
                    "size": n,
                    "engine": r["pipeline"],
                    "seconds": float(r["seconds"]),
                    "peak_mb": float(r["peak_rss_mb"]),
                    "note": f"{r['drug_rows']} drug rows",
                }
            )
    _ratios(rows, "pandas baseline")
    return rows


def bench_signals(sizes: list[int]) -> list[dict]:
    secs, peak, rc = run_script([str(HERE / "bench_signals.py"), "--sizes", *map(str, sizes)])
    if rc:
        return [
            {
                "benchmark": "signals",
                "size": "-",
                "engine": "-",
                "seconds": round(secs, 1),
                "peak_mb": round(peak),
                "note": f"failed (exit {rc})",
            }
        ]
    rows = [
        {
            "benchmark": "signals",
            "size": int(r["reports"]),
            "engine": r["engine"],
            "seconds": float(r["seconds"]),
            "peak_mb": float(r["peak_mb"]),
            "note": f"{r['pairs']} pairs; count {r['count_s']} s, stats {r['stats_s']} s",
        }
        for r in _read(RESULTS / "signals.csv")
    ]
    _ratios(rows, "pandas")
    return rows


def bench_engines(sizes: list[int], extra: list[str]) -> list[dict]:
    out = RESULTS / "engines.csv"
    secs, peak, rc = run_script(
        [str(HERE / "bench_engines.py"), "--sizes", *map(str, sizes), "--output", str(out), *extra]
    )
    if rc:
        return [
            {
                "benchmark": "engines",
                "size": "-",
                "engine": "-",
                "seconds": round(secs, 1),
                "peak_mb": round(peak),
                "note": f"failed (exit {rc})",
            }
        ]
    rows = [
        {
            "benchmark": f"engines ({r['job']})",
            "size": int(r["reports"]),
            "engine": r["engine"],
            "seconds": float(r["seconds"]),
            "peak_mb": float(r["peak_mb"]),
            "note": f"{r['pairs']} pairs; count {r['count_s']} s, stats {r['stats_s']} s"
            + (f", session start {r['startup_s']} s" if r["engine"] == "spark" else ""),
        }
        for r in _read(out)
    ]
    _ratios(rows, "pandas")
    return rows


def bench_web() -> list[dict]:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    secs, peak, rc = run_script([str(HERE / "bench_web.py")])
    if rc:
        return [
            {
                "benchmark": "web",
                "size": "-",
                "engine": "-",
                "seconds": round(secs, 1),
                "peak_mb": round(peak),
                "note": f"failed (exit {rc})",
            }
        ]
    rows = []
    for r in _read(RESULTS / "web.csv"):
        if r["when"] >= started:
            rows.append(
                {
                    "benchmark": "web",
                    "size": "-",
                    "engine": f"{r['scenario']} {r['mode']}",
                    "seconds": float(r["seconds"]),
                    "peak_mb": round(peak),
                    "ratio_to_pandas": "",
                    "note": f"{r['rps']} req/s, p99 {r['p99_ms']} ms, errors {r['errors']}",
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated numbers of reports")
    ap.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"comma-separated: {', '.join(BENCHMARKS)}"
    )
    ap.add_argument(
        "--engines-args",
        default="",
        help="extra arguments for bench_engines.py, e.g. '--job quarters'",
    )
    ap.add_argument("--output", type=Path, default=RESULTS / "summary.csv")
    ap.add_argument(
        "--append", action="store_true", help="append to --output instead of replacing it"
    )
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = [x for x in only if x not in BENCHMARKS]
    if unknown:
        ap.error(f"--only {','.join(unknown)}: benchmarks are {', '.join(BENCHMARKS)}")
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict] = []
    for name in only:
        script = HERE / f"bench_{name}.py"
        if not script.exists():
            rows.append(
                {
                    "benchmark": name,
                    "size": "-",
                    "engine": "-",
                    "seconds": "",
                    "peak_mb": "",
                    "note": f"skipped: {script.name} is not in this checkout",
                }
            )
            continue
        t = time.perf_counter()
        print(f"== {name} ==", flush=True)
        if name == "ingest":
            rows += bench_ingest(sizes)
        elif name == "signals":
            rows += bench_signals(sizes)
        elif name == "engines":
            rows += bench_engines(sizes, args.engines_args.split())
        else:
            rows += bench_web()
        print(f"== {name}: {time.perf_counter() - t:.0f} s ==", flush=True)
    for r in rows:
        r.setdefault("ratio_to_pandas", "")
        for k in ("seconds", "peak_mb"):
            if isinstance(r[k], float):
                r[k] = round(r[k], 2) if k == "seconds" else round(r[k])
    widths = {f: max(len(f), *(len(str(r[f])) for r in rows)) if rows else len(f) for f in FIELDS}
    print("  ".join(f"{f:<{widths[f]}}" for f in FIELDS))
    for r in rows:
        print("  ".join(f"{str(r[f]):<{widths[f]}}" for f in FIELDS))
    new = not (args.append and args.output.exists())
    with args.output.open("w" if new else "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.output}")
    print(
        f"peak memory of this runner: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
