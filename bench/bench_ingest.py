"""Benchmark: ingest of one synthetic quarter from its zip, beside the engine's limit and the pandas baseline.

``python bench/bench_ingest.py --reports 400000 --repeat 3`` writes one synthetic quarter as FDA ships
it (``faers_ascii_YYYYqN.zip``, not timed), then runs each job in its own child process, the jobs
interleaved round by round so that they share the machine's load alike, each started once the previous
job's writes are flushed to disk (``os.sync``, not timed):

- ``unzip``: the zip's members extracted to a folder (Python's zipfile, as ``unzip`` does);
- ``duckdb COPY``: DuckDB ``COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet, COMPRESSION
  zstd)`` of the 7 extracted tables, all text: the engine's limit for reading and writing them;
- ``rxcompare``: ``Warehouse.ingest(zip)`` into an empty warehouse: every check, the rejects list, the
  quarter's Parquet files and the deduplicated case tables with normalised drug names;
- ``pandas baseline``: the zip extracted, then ``bench/pandas_baseline.py`` (read_csv, drop_duplicates, str ops,
  to_parquet) on the folder;
- ``duckdb COPY from pipes`` (``--pipes``): the same COPY with each member streamed from the zip into
  a named pipe DuckDB reads (no extraction to disk), to set beside unzip + COPY: DuckDB parses a
  pipe on one thread, a file in parallel.

It prints the median wall and CPU seconds and the peak RSS (the child's own high-water mark) of each job, the
ratio of rxcompare to the limit (unzip + COPY) and of pandas to rxcompare, and writes a CSV under
bench/results/.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import run_measured as run

HERE = Path(__file__).resolve().parent

UNZIP = """
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zf:
    zf.extractall(sys.argv[2])
print(sys.argv[2])
"""

DUCKDB_COPY = """
import pathlib, sys, duckdb
con = duckdb.connect(config={"preserve_insertion_order": False})
con.execute("SET enable_progress_bar=false")
n = 0
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.txt")):
    if f.parent.name.upper() != "ASCII":
        continue
    out = pathlib.Path(sys.argv[2]) / (f.stem + ".parquet")
    n += con.execute(f"COPY (SELECT * FROM read_csv('{f}', delim='$', quote='', escape='', header=true, "
                     f"all_varchar=true)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
print(n)
"""

DUCKDB_PIPES = """
import os, pathlib, sys, threading, zipfile, duckdb
con = duckdb.connect(config={"preserve_insertion_order": False})
con.execute("SET enable_progress_bar=false")
zf, n = zipfile.ZipFile(sys.argv[1]), 0
for member in sorted(m for m in zf.namelist() if m.upper().startswith("ASCII/") and m.upper().endswith(".TXT")):
    stem = pathlib.PurePosixPath(member).stem
    pipe, out = pathlib.Path(sys.argv[2]) / (stem + ".pipe"), pathlib.Path(sys.argv[2]) / (stem + ".parquet")
    os.mkfifo(pipe)
    def feed(member=member, pipe=pipe):
        with zf.open(member) as src, open(pipe, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
    feeder = threading.Thread(target=feed)
    feeder.start()
    n += con.execute(f"COPY (SELECT * FROM read_csv('{pipe}', delim='$', quote='', escape='', header=true, "
                     f"all_varchar=true)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
    feeder.join()
    pipe.unlink()
print(n)
"""

RXCOMPARE = """
import sys
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse
r = Warehouse(sys.argv[2]).ingest(sys.argv[1], synonyms=load_synonyms(sys.argv[3], use_pack=False))
print(dict(r.rows)["demo"], Warehouse(sys.argv[2]).status().dedup.after)
"""

PANDAS = """
import runpy, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zf:
    zf.extractall(sys.argv[2])
sys.argv = ["pandas_baseline.py", sys.argv[2], sys.argv[3], sys.argv[4]]
runpy.run_path({baseline!r}, run_name="__main__")
"""


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reports", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument(
        "--pipes", action="store_true", help="also run the COPY from named pipes (no extraction)"
    )
    ap.add_argument(
        "--before",
        metavar="SRC",
        help="also run the ingest with rxcompare imported from SRC "
        "(e.g. the src folder of `git archive` of an older commit): job 'rxcompare (before)'",
    )
    args = ap.parse_args()
    from rxcompare.sources.faers.synth import synth_quarters

    py = sys.executable
    times: dict[str, list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="rxbench-ingest-") as tmp:
        tmp = Path(tmp)
        truth = synth_quarters(
            tmp / "synth", reports=args.reports, quarters=1, seed=args.seed, fmt="zip"
        )
        zpath = tmp / "synth" / f"faers_ascii_{truth.quarters[0]}.zip"
        synonyms = tmp / "synth" / "synonyms.csv"
        print(
            f"synthetic quarter: {truth.reports:,} reports, {truth.drug_rows:,} drug rows, "
            f"{truth.reac_rows:,} reaction rows; zip {zpath.stat().st_size / 1e6:.1f} MB"
        )
        for k in range(args.repeat):
            work = tmp / f"round{k}"
            work.mkdir()
            jobs = [
                ("unzip", [py, "-c", UNZIP, str(zpath), str(work / "x")]),
                ("duckdb COPY", [py, "-c", DUCKDB_COPY, str(work / "x"), str(work)]),
                ("rxcompare", [py, "-c", RXCOMPARE, str(zpath), str(work / "wh"), str(synonyms)]),
            ]
            if args.pipes:
                (work / "pipes").mkdir()
                jobs.append(
                    (
                        "duckdb COPY from pipes",
                        [py, "-c", DUCKDB_PIPES, str(zpath), str(work / "pipes")],
                    )
                )
            if args.before:
                jobs.append(
                    (
                        "rxcompare (before)",
                        [py, "-c", RXCOMPARE, str(zpath), str(work / "wh0"), str(synonyms)],
                    )
                )
            if not args.skip_pandas:
                code = PANDAS.format(baseline=str(HERE / "pandas_baseline.py"))
                jobs.append(
                    (
                        "pandas baseline",
                        [
                            py,
                            "-c",
                            code,
                            str(zpath),
                            str(work / "px"),
                            str(work / "pd"),
                            str(synonyms),
                        ],
                    )
                )
            for name, cmd in jobs:
                os.sync()  # the previous job's writes flushed first: no job pays for another's write-back
                dt, rss, cpu, text = run(cmd, args.before if name == "rxcompare (before)" else None)
                if name.startswith("rxcompare"):
                    demo, after = map(int, text.split())
                    assert demo == truth.reports and after == truth.expected_cases, (
                        demo,
                        after,
                        truth,
                    )
                times.setdefault(name, []).append((dt, rss, cpu))
                print(
                    f"round {k + 1}: {name:<18} {dt:7.2f} s  {cpu:7.2f} s CPU  {rss:6.0f} MB",
                    flush=True,
                )
    med = {
        n: (
            statistics.median(t for t, _, _ in v),
            max(r for _, r, _ in v),
            statistics.median(c for _, _, c in v),
        )
        for n, v in times.items()
    }
    limit = med["unzip"][0] + med["duckdb COPY"][0]
    print(f"\n{'job':<24}{'median s':>10}{'CPU s':>10}{'peak MB':>10}")
    for name, (dt, rss, cpu) in med.items():
        print(f"{name:<24}{dt:>10.2f}{cpu:>10.2f}{rss:>10.0f}")
    cpu_limit = med["unzip"][2] + med["duckdb COPY"][2]
    print(f"{'limit (unzip + COPY)':<24}{limit:>10.2f}{cpu_limit:>10.2f}")
    rx = med["rxcompare"][0]
    print(
        f"rxcompare / limit: {rx / limit:.2f} (target <= 1.5); rxcompare / COPY alone: "
        f"{rx / med['duckdb COPY'][0]:.2f}"
    )
    print(f"in CPU seconds: rxcompare / limit {med['rxcompare'][2] / cpu_limit:.2f}")
    if "rxcompare (before)" in med:
        b = med["rxcompare (before)"][0]
        print(f"before: {b / limit:.2f} x the limit; after / before: {rx / b:.2f}")
    if "duckdb COPY from pipes" in med:
        print(
            f"COPY from pipes (no extraction) / limit (unzip + COPY): {med['duckdb COPY from pipes'][0] / limit:.2f}"
        )
    if "pandas baseline" in med:
        print(
            f"pandas / rxcompare: {med['pandas baseline'][0] / rx:.2f} (target >= 5); in CPU seconds "
            f"{med['pandas baseline'][2] / med['rxcompare'][2]:.2f}"
        )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out = results / f"bench_ingest_{args.reports}.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["pipeline", "reports", "drug_rows", "rounds", "seconds", "cpu_seconds", "peak_rss_mb"]
        )
        for name, (dt, rss, cpu) in med.items():
            w.writerow(
                [
                    name,
                    truth.reports,
                    truth.drug_rows,
                    args.repeat,
                    f"{dt:.2f}",
                    f"{cpu:.2f}",
                    f"{rss:.0f}",
                ]
            )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
