"""The history job: N synthetic quarters of realistic size, ingested, deduplicated and scored, end to end.

``python bench/history.py --quarters 20 --reports 400000`` writes the quarters as FDA ships them
(``faers_ascii_YYYYqN.zip``, :func:`rxcompare.sources.faers.synth_history.synth_history`: follow-up
versions across quarters, deleted-case lists, messy drug names; not timed) into a temporary folder,
then times, each in its own child process:

1. ingest: every zip into one warehouse, as ``rxcompare faers ingest *.zip`` does (each quarter
   staged and committed, the case tables left for step 2);
2. dedup: FDA's rule across all quarters and the derived case tables (``rxcompare faers dedup``);
3. all pairs: ``rxcompare signals --all-pairs --output pairs.parquet`` (every drug-event pair's
   counts and statistics, MGPS fit included, written as Parquet).

It checks the cases kept against the generator's truth, prints each step's time, the total, and
the extrapolation to FAERS's full history (``--full-reports``, about 25M reports in some 90 quarters
since 2004), each step scaled linearly with the reports. ``--data DIR`` keeps (or reuses) the
generated quarters in DIR instead of a temporary folder.

``--add-last`` times instead what a new quarter costs a warehouse that holds the others: steps 1-2
on every quarter but the last, then two copies of that warehouse (not timed) take the last quarter,
one as ``rxcompare faers ingest`` does (an update layer over the current case tables), the other
ingested without them and deduplicated from every quarter (the rebuild it replaces), each followed by
the all-pairs job; both must keep the generator's cases and give every pair the same counts and
statistics.

``--one-by-one`` ingests every quarter as ``rxcompare faers ingest`` given one file at a time does
(the first built, each later one added as an update layer, folded by a rebuild past
the layers a warehouse holds), then runs the all-pairs job on the layers, deduplicates (folding them
into one) and runs it again: what the layers cost readers (the two outputs must be equal).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

INGEST = """
import json, sys, time
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse
wh, syn = Warehouse(sys.argv[2]), load_synonyms()
times = []
for z in sys.argv[3:]:
    t = time.perf_counter()
    r = wh.ingest(z, synonyms=syn, rebuild=sys.argv[1] == "layers")
    times.append([r.quarter, time.perf_counter() - t, dict(r.rows)["demo"]])
    print(f"  {r.quarter}: {times[-1][1]:.1f} s", file=sys.stderr, flush=True)
print(json.dumps(times))
"""

ADD = """
import json, sys
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse
wh, syn = Warehouse(sys.argv[1]), load_synonyms()
wh.ingest(sys.argv[2], synonyms=syn, rebuild=sys.argv[3] == "update")
r = wh.dedupe(syn) if sys.argv[3] == "rebuild" else wh.status().dedup
print(json.dumps([r.rows_before, r.after]))
"""

DEDUP = """
import json, sys
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse
r = Warehouse(sys.argv[1]).dedupe(load_synonyms())
print(json.dumps([r.rows_before, r.after]))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds of a child process and its standard output (its standard error passes through)."""
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed (exit {p.returncode})")
    return dt, p.stdout


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quarters", type=int, default=20)
    ap.add_argument("--reports", type=int, default=400_000, help="DEMO rows per quarter")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--full-reports", type=int, default=25_000_000, help="reports in FAERS's full history"
    )
    ap.add_argument("--full-quarters", type=int, default=90)
    ap.add_argument("--data", type=Path, help="keep (or reuse) the generated quarters here")
    ap.add_argument(
        "--add-last", action="store_true", help="time adding the last quarter (update vs rebuild)"
    )
    ap.add_argument(
        "--one-by-one", action="store_true", help="ingest quarter by quarter as update layers"
    )
    args = ap.parse_args()
    from rxcompare.sources.faers.synth_history import synth_history

    with tempfile.TemporaryDirectory(prefix="rxbench-history-") as tmp:
        tmp = Path(tmp)
        data = args.data or tmp / "quarters"
        doc = data / "history.json"
        want = {"quarters": args.quarters, "reports": args.reports, "seed": args.seed}
        if doc.exists() and json.loads(doc.read_text()).get("asked") == want:
            truth = json.loads(doc.read_text())
            print(f"reusing {truth['reports']:,} reports in {len(truth['quarters'])} quarters")
        else:
            t = time.perf_counter()
            synth_history(
                data,
                quarters=args.quarters,
                reports=args.reports,
                seed=args.seed,
                progress=lambda q, k, n: print(f"  writing {q} ({k + 1}/{n})", flush=True),
            )
            truth = json.loads(doc.read_text())
            doc.write_text(json.dumps({**truth, "asked": want}, indent=1) + "\n")
            print(
                f"wrote {truth['reports']:,} reports, {truth['drug_rows']:,} drug rows in "
                f"{len(truth['quarters'])} zips ({truth['zip_bytes'] / 1e9:.2f} GB) in "
                f"{time.perf_counter() - t:.0f} s (not timed)"
            )
        zips = [str(data / f"faers_ascii_{q}.zip") for q in truth["quarters"]]
        wh = tmp / "wh"
        py = sys.executable
        steps: list[tuple[str, float]] = []
        import duckdb
        import pyarrow.parquet as pq

        outputs: dict[str, Path] = {}

        def all_pairs(where: Path, name: str) -> int:
            out = outputs[name] = tmp / f"pairs-{len(outputs)}.parquet"
            dt, _ = timed(
                [
                    py,
                    "-m",
                    "rxcompare",
                    "signals",
                    "--all-pairs",
                    "--output",
                    str(out),
                    "--warehouse",
                    str(where),
                ]
            )
            steps.append((name, dt))
            return pq.read_metadata(out).num_rows

        def same_pairs(a: str, b: str) -> None:
            """Every pair's counts and statistics equal in two all-pairs outputs (DuckDB, out of core)."""
            con = duckdb.connect()
            con.execute("SET enable_progress_bar = false")
            x, y = (f"read_parquet('{outputs[n]}')" for n in (a, b))
            differ = con.execute(
                f"SELECT (SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})) "
                f"+ (SELECT count(*) FROM (SELECT * FROM {y} EXCEPT ALL SELECT * FROM {x}))"
            ).fetchone()[0]
            con.close()
            assert differ == 0, f"{a} and {b}: {differ} rows differ"
            print(f"{a} and {b}: every pair's counts and statistics equal")

        held = zips[:-1] if args.add_last else zips
        dt, out = timed(
            [py, "-c", INGEST, "layers" if args.one_by_one else "batch", str(wh), *held]
        )
        per_q = json.loads(out)
        assert args.add_last or sum(n for _, _, n in per_q) == truth["reports"], (
            per_q,
            truth["reports"],
        )
        steps.append(("ingest", dt))
        if args.one_by_one:
            layers = len(json.loads((wh / "dedup.json").read_text()).get("updates", []))
            layered = f"pairs (base + {layers} updates)"
            pairs = all_pairs(wh, layered)
        dt, out = timed([py, "-c", DEDUP, str(wh)])
        before, after = json.loads(out)
        assert args.add_last or after == truth["expected_cases"], (after, truth["expected_cases"])
        steps.append(("dedup", dt))
        if args.add_last:
            counted = {}
            for how in ("update", "rebuild"):
                copy = tmp / f"wh-{how}"
                shutil.copytree(wh, copy)
                dt, out = timed([py, "-c", ADD, str(copy), zips[-1], how])
                before, after = json.loads(out)
                assert after == truth["expected_cases"], (how, after, truth["expected_cases"])
                steps.append((f"add ({how})", dt))
                counted[how] = all_pairs(copy, f"pairs ({how})")
                shutil.rmtree(copy)
            same_pairs("pairs (update)", "pairs (rebuild)")
            pairs = counted["update"]
        elif args.one_by_one:
            all_pairs(wh, "pairs (folded)")
            same_pairs(layered, "pairs (folded)")
        else:
            pairs = all_pairs(wh, "all pairs")
    if args.one_by_one or args.add_last:
        print(
            f"\n{len(truth['quarters'])} quarters ingested one by one"
            if args.one_by_one
            else f"\n{len(truth['quarters']) - 1} quarters held, then the last added",
            end="",
        )
        print(f": {after:,} cases, {pairs:,} pairs\n{'step':<28}{'seconds':>10}")
        for name, dt in steps:
            print(f"{name:<28}{dt:>10.1f}")
        if args.one_by_one:
            return
        times = dict(steps)
        print(
            f"adding a quarter: update {times['add (update)']:.1f} s vs ingest + rebuild {times['add (rebuild)']:.1f} s "
            f"({times['add (update)'] / times['add (rebuild)']:.2f}x); all pairs read through the update layer "
            f"{times['pairs (update)']:.1f} s vs the rebuilt tables {times['pairs (rebuild)']:.1f} s"
        )
        return
    total = sum(dt for _, dt in steps)
    scale = args.full_reports / truth["reports"]
    print(
        f"\n{len(truth['quarters'])} quarters, {truth['reports']:,} reports -> {after:,} cases "
        f"(FDA's rule; {truth['deleted_cases']:,} deleted case ids listed); {pairs:,} drug-event pairs"
    )
    print(f"{'step':<12}{'seconds':>10}{'full history s':>16}")
    for name, dt in steps:
        print(f"{name:<12}{dt:>10.1f}{dt * scale:>16.0f}")
    print(f"{'total':<12}{total:>10.1f}{total * scale:>16.0f}")
    print(
        f"end to end: {total / 60:.1f} min for {len(truth['quarters'])} quarters (target <= 5 min); "
        f"extrapolated to {args.full_quarters} quarters / {args.full_reports / 1e6:.0f}M reports: "
        f"{total * scale / 60:.1f} min (target <= 20 min; linear in reports)"
    )
    print(
        "anchor: the neksa/openfda-faers pipeline (Python) reports ~25 minutes for the full history on a "
        "10-core laptop, most of it download (not run here)"
    )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    out_csv = results / f"history_{len(truth['quarters'])}x{args.reports}.csv"
    with out_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["step", "quarters", "reports", "seconds", "extrapolated_full_history_seconds"])
        for name, dt in [*steps, ("total", total)]:
            w.writerow(
                [name, len(truth["quarters"]), truth["reports"], f"{dt:.1f}", f"{dt * scale:.0f}"]
            )
    print(f"wrote {out_csv}")


if __name__ == "__main__":
    main()
