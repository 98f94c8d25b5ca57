"""Benchmark: the demographic match (``rxcompare faers dedup --match demographic``) next to FDA's rule.

For each size, a synthetic warehouse of 4 quarters with planted cross-case copies (``synth_quarters(...,
duplicates=N)``, 0.5% of the cases by default) is built once (not timed; kept in ``--work`` so later runs
reuse it). Then, in this process, FDA's rule (``Warehouse.dedupe``: every derived table rebuilt from
the quarters) and the demographic match (``match_demographic``) are each timed ``--repeat`` times; the
best time of each is reported, with the ratio match / FDA rule and whether every planted duplicate was
found and no planted distinct copy merged. Usage::

    python bench/bench_match.py --sizes 1000000 5000000 [--repeat 2] [--work DIR]

Prints a table and writes bench/results/match.csv.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from common import synthetic_warehouse, write_results

from rxcompare.sources.faers.match import match_demographic
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse

RESULTS = Path(__file__).resolve().parent / "results"
QUARTERS = 4
FIELDS = (
    "reports",
    "cases",
    "fda_rule_s",
    "match_s",
    "ratio",
    "groups",
    "removed",
    "planted_found",
    "planted_distinct_merged",
)


def build(size: int, work: Path) -> tuple[Warehouse, Path]:
    root = work / f"match-{size}"
    wh = Warehouse(root / "wh")
    if not (root / "wh" / "dedup.json").exists():
        print(
            synthetic_warehouse(
                root / "q", wh.path, size, quarters=QUARTERS, duplicates=max(4, size // 250)
            )
        )
    return wh, root


def run(size: int, work: Path, repeat: int) -> dict:
    wh, root = build(size, work)
    syn = load_synonyms(root / "q" / "synonyms.csv", use_pack=False)
    fda, match = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        wh.dedupe(syn)
        fda.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = match_demographic(wh.path)
        match.append(time.perf_counter() - t0)
    groups: dict[int, set[int]] = {}
    for g in pq.read_table(
        wh.path / "match" / "groups.parquet", columns=["group_id", "caseid"]
    ).to_pylist():
        groups.setdefault(g["group_id"], set()).add(g["caseid"])
    member = {c: gid for gid, s in groups.items() for c in s}
    with (root / "q" / "duplicates.csv").open(encoding="utf-8", newline="") as fh:
        planted = list(csv.DictReader(fh))
    found = sum(
        member.get(int(r["caseid"])) is not None
        and member.get(int(r["caseid"])) == member.get(int(r["copy_caseid"]))
        for r in planted
        if r["kind"].startswith("duplicate")
    )
    merged = sum(
        int(r["copy_caseid"]) in member for r in planted if r["kind"].startswith("distinct")
    )
    n_dup = sum(r["kind"].startswith("duplicate") for r in planted)
    return {
        "reports": size,
        "cases": report.cases_before,
        "fda_rule_s": round(min(fda), 2),
        "match_s": round(min(match), 2),
        "ratio": round(min(match) / min(fda), 3),
        "groups": report.groups,
        "removed": report.removed,
        "planted_found": f"{found}/{n_dup}",
        "planted_distinct_merged": f"{merged}/{len(planted) - n_dup}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rxcompare-bench")
    ap.add_argument("--output", type=Path, default=RESULTS / "match.csv")
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        rows.append(run(size, args.work, args.repeat))
        print(" ".join(f"{k}={v}" for k, v in rows[-1].items()), flush=True)
    write_results(rows, FIELDS, args.output, width=24)


if __name__ == "__main__":
    main()
