"""Benchmark: ingest + dedup + normalise of one synthetic quarter, against the plain pandas baseline.

``python bench/bench_ingest.py --reports 400000`` writes a synthetic quarter (not timed), then runs
each pipeline in its own subprocess, timing the wall clock and reading the peak RSS of the child
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``), prints a table and writes a CSV under
bench/results/. The extrapolation multiplies the rxcompare time by the number of quarters since
2004q1 and by the ratio of a real quarter's size to this one (``--real-reports``).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

RXCOMPARE = """
import sys
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse
r = Warehouse(sys.argv[2]).ingest(sys.argv[1], synonyms=load_synonyms(sys.argv[3], use_pack=False))
print(dict(r.rows)["demo"], Warehouse(sys.argv[2]).status().dedup.after)
"""


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of a child process, and its output."""
    code = f"""
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run({cmd!r}, capture_output=True, text=True)
dt = time.perf_counter() - t
if p.returncode:
    sys.stderr.write(p.stderr); sys.exit(p.returncode)
print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, repr(p.stdout.strip()))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    dt, rss, text = out.strip().split(" ", 2)
    return float(dt), float(rss), text


def quarters_since_2004(today: date) -> int:
    return (today.year - 2004) * 4 + (today.month - 1) // 3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reports", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real-reports", type=int, default=400_000, help="DEMO rows of a typical real quarter")
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()
    from rxcompare.sources.faers.synth import synth_quarters

    with tempfile.TemporaryDirectory(prefix="rxbench-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        truth = synth_quarters(tmp / "synth", reports=args.reports, quarters=1, seed=args.seed, fmt="dir")
        print(f"synthetic quarter: {truth.reports:,} reports, {truth.drug_rows:,} drug rows, "
              f"{truth.reac_rows:,} reaction rows (written in {time.perf_counter() - t:.1f} s, not timed)")
        folder = tmp / "synth" / f"faers_ascii_{truth.quarters[0]}"
        synonyms = tmp / "synth" / "synonyms.csv"
        rows = []
        dt, rss, text = run([sys.executable, "-c", RXCOMPARE, str(folder), str(tmp / "wh"), str(synonyms)])
        demo, after = map(int, text.strip("'").split())
        assert demo == truth.reports and after == truth.expected_cases, (demo, after, truth)
        rows.append(("rxcompare (DuckDB)", dt, rss))
        if not args.skip_pandas:
            dt, rss, _ = run([sys.executable, str(HERE / "pandas_baseline.py"), str(folder), str(tmp / "pd"),
                              str(synonyms)])
            rows.append(("pandas baseline", dt, rss))
    print(f"{'pipeline':<22}{'seconds':>10}{'peak RSS MB':>14}")
    for name, dt, rss in rows:
        print(f"{name:<22}{dt:>10.1f}{rss:>14.0f}")
    ratio = rows[1][1] / rows[0][1] if len(rows) > 1 else float("nan")
    if len(rows) > 1:
        print(f"speed-up: {ratio:.1f}x")
    n_q = quarters_since_2004(date.today())
    extrapolated = rows[0][1] * n_q * args.real_reports / truth.reports
    print(f"extrapolated for {n_q} quarters since 2004q1 at {args.real_reports:,} reports each: "
          f"{extrapolated / 60:.1f} min (ingest per quarter; the cross-quarter dedup grows with the total)")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"bench_ingest_{args.reports}.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["pipeline", "reports", "drug_rows", "reac_rows", "seconds", "peak_rss_mb"])
        for name, dt, rss in rows:
            w.writerow([name, truth.reports, truth.drug_rows, truth.reac_rows, f"{dt:.2f}", f"{rss:.0f}"])
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
