"""Soak the FAERS warehouse with kills: SIGKILL `rxcompare faers ingest` and `faers dedup` at random
moments, reopen, finish, and check the warehouse equals a clean ingest of the same files.

Local only (synthetic quarters from `rxcompare faers synth`, no network), bounded in kills and time::

    python bench/soak_warehouse.py --kills 25 --time-limit 900

Two synthetic sets A and B of the same quarters (different seeds) are written; clean warehouses of
each are the references. The soak warehouse starts as A; each round either ingests the other set
(all quarters in one command, replacing every quarter) or rebuilds the case tables, and kills the
command after a random delay drawn over its measured duration. Then the warehouse is reopened
(`Warehouse.status()`, which completes an interrupted commit), the same command is run again to the
end, and the result is compared with the reference: quarters, sha256 and rows per table of each,
rows of each case table, and a checksum of the case ids kept. Figures printed: kills, kills that
left work to recover, recoveries done on reopen, rounds whose command ended before its kill, and
rows lost (reference rows missing after the finish; 0 is the pass mark).

Readers during a writer (``--readers N``): the warehouse starts as A; a writer ingests B, then A,
... (each a complete command, not killed) while N reads run one after the other, each
``rxcompare signals --all-pairs --format json`` in its own process, as a user would. Each answer is
compared with the answers of the clean warehouses A and B (every pair's a, b, c, d). Figures:
reads, commits during them, tracebacks, other failures (a non-zero exit with a clear message, e.g.
"the warehouse changed while it was read"), answers equal to A's or B's, and answers that match
neither state (0 is the pass mark, as for tracebacks)::

    python bench/soak_warehouse.py --readers 40 --time-limit 600
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from rxcompare.sources.faers.store import DERIVED
from rxcompare.sources.faers.warehouse import Warehouse


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "rxcompare", *args]


def _run(*args: str) -> None:
    subprocess.run(_cli(*args), check=True, capture_output=True, text=True)


def fingerprint(root: Path) -> dict:
    """What a warehouse holds, read from disk: quarters (sha256, rows per table), case table rows,
    the sum of the case ids kept."""
    st = Warehouse(root).status()
    con = duckdb.connect()
    derived = {
        n: con.execute(f"SELECT count(*) FROM '{root / n}.parquet'").fetchone()[0] for n in DERIVED
    }
    derived["caseid_sum"] = con.execute(
        f"SELECT sum(caseid) FROM '{root / 'cases'}.parquet'"
    ).fetchone()[0]
    con.close()
    return {
        "quarters": {q.quarter: [q.sha256, dict(q.rows)] for q in st.quarters},
        "derived": derived,
        "needs_dedup": st.needs_dedup,
        "damaged": [*st.damaged, *(d for q in st.quarters for d in q.damaged)],
    }


def rows_lost(ref: dict, got: dict) -> int:
    """Reference rows not found after the finish (per quarter table and per case table)."""
    lost = 0
    for q, (_, rows) in ref["quarters"].items():
        have = got["quarters"].get(q, ["", {}])[1]
        lost += sum(max(0, n - have.get(t, 0)) for t, n in rows.items())
    lost += sum(
        max(0, n - got["derived"].get(t, 0)) for t, n in ref["derived"].items() if t != "caseid_sum"
    )
    return lost


def _leftovers(root: Path) -> list[str]:
    names = [p.name for p in root.iterdir()] + [p.name for p in (root / "quarters").iterdir()]
    return [n for n in names if n.startswith((".tmp-", ".old-", ".commit-"))]


def _two_sets(
    work: Path, reports: int, quarters: int, seed: int
) -> tuple[dict[str, list[str]], str]:
    """Synthetic sets A and B of the same quarters (seeds ``seed`` and ``seed + 1``): their zips, and
    the synonym file to ingest them with."""
    sets = {}
    for name, s in (("A", seed), ("B", seed + 1)):
        _run(
            "faers",
            "synth",
            "--out",
            str(work / name),
            "--reports",
            str(reports),
            "--quarters",
            str(quarters),
            "--seed",
            str(s),
        )
        sets[name] = sorted(str(p) for p in (work / name).glob("faers_ascii_*.zip"))
    return sets, str(work / "A" / "synonyms.csv")


def soak(work: Path, kills: int, time_limit: float, reports: int, quarters: int, seed: int) -> dict:
    rng = random.Random(seed)
    sets, synonyms = _two_sets(work, reports, quarters, seed)
    refs, took = {}, {}
    for name in sets:
        t0 = time.perf_counter()
        _run(
            "faers",
            "ingest",
            *sets[name],
            "--warehouse",
            str(work / f"ref{name}"),
            "--synonyms",
            synonyms,
        )
        took["ingest"] = time.perf_counter() - t0
        refs[name] = fingerprint(work / f"ref{name}")
    t0 = time.perf_counter()
    _run("faers", "dedup", "--warehouse", str(work / "refA"), "--synonyms", synonyms)
    took["dedup"] = time.perf_counter() - t0
    assert fingerprint(work / "refA")["derived"] == refs["A"]["derived"]

    wh = work / "soak"
    shutil.copytree(work / "refA", wh)
    current = "A"
    out = {
        "kills": 0,
        "left_work": 0,
        "recoveries": 0,
        "ended_before_kill": 0,
        "rounds": 0,
        "mismatches": 0,
        "rows_lost": 0,
        "by_command": {"ingest": 0, "dedup": 0},
        "durations_s": {k: round(v, 2) for k, v in took.items()},
    }
    start = time.perf_counter()
    while out["kills"] < kills and time.perf_counter() - start < time_limit:
        out["rounds"] += 1
        what = "ingest" if rng.random() < 0.6 else "dedup"
        target = ("B" if current == "A" else "A") if what == "ingest" else current
        args = (["faers", "ingest", *sets[target]] if what == "ingest" else ["faers", "dedup"]) + [
            "--warehouse",
            str(wh),
            "--synonyms",
            synonyms,
        ]
        proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.3, took[what])
        try:
            proc.wait(timeout=delay)
            out["ended_before_kill"] += 1
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL
            proc.wait()
            out["kills"] += 1
            out["by_command"][what] += 1
            if _leftovers(wh):
                out["left_work"] += 1
            if Warehouse(wh).status().recovered:  # reopen: an interrupted commit is completed
                out["recoveries"] += 1
            _run(*args)  # finish: the same command again
        current = target
        got, ref = fingerprint(wh), refs[current]
        lost = rows_lost(ref, got)
        out["rows_lost"] += lost
        if got != ref or _leftovers(wh):
            out["mismatches"] += 1
            print(
                f"round {out['rounds']}: {what} -> {current} differs from the clean ingest "
                f"(rows lost {lost}, leftovers {_leftovers(wh)})",
                file=sys.stderr,
            )
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["reports"], out["quarters"], out["seed"] = reports, quarters, seed
    return out


def _answer(wh: Path, out: Path) -> tuple[str, object]:
    """One reader: ("ok", the pairs' cells), ("traceback", text) or ("failed", the message)."""
    run = subprocess.run(
        _cli("signals", "--all-pairs", "--warehouse", str(wh), "-o", str(out)),
        capture_output=True,
        text=True,
    )
    if "Traceback" in run.stderr:
        return "traceback", run.stderr.strip().splitlines()[-1][:200]
    if run.returncode != 0:
        return "failed", " ".join(run.stderr.split())[:200]
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    return "ok", sorted((r["drug"], r["event"], r["a"], r["b"], r["c"], r["d"]) for r in rows)


def soak_readers(
    work: Path, readers: int, time_limit: float, reports: int, quarters: int, seed: int
) -> dict:
    import threading

    sets, synonyms = _two_sets(work, reports, quarters, seed)
    refs = {}
    for name in sets:
        _run(
            "faers",
            "ingest",
            *sets[name],
            "--warehouse",
            str(work / f"ref{name}"),
            "--synonyms",
            synonyms,
        )
        kind, refs[name] = _answer(work / f"ref{name}", work / f"ref{name}.json")
        assert kind == "ok", refs[name]
    assert refs["A"] != refs["B"], (
        "the two sets give the same answer: the soak could not tell them apart"
    )
    wh = work / "soak"
    shutil.copytree(work / "refA", wh)
    stop = threading.Event()
    commits = {"n": 0, "failed": 0}

    def writer() -> None:
        target = "B"
        while not stop.is_set():
            run = subprocess.run(
                _cli(
                    "faers", "ingest", *sets[target], "--warehouse", str(wh), "--synonyms", synonyms
                ),
                capture_output=True,
                text=True,
            )
            commits["n" if run.returncode == 0 else "failed"] += 1
            target = "A" if target == "B" else "B"

    out = {
        "reads": 0,
        "commits": 0,
        "writer_failures": 0,
        "tracebacks": 0,
        "failed_clearly": 0,
        "answers_A": 0,
        "answers_B": 0,
        "answers_neither": 0,
        "examples": [],
    }
    thread = threading.Thread(target=writer, daemon=True)
    start = time.perf_counter()
    thread.start()
    try:
        while out["reads"] < readers and time.perf_counter() - start < time_limit:
            kind, got = _answer(wh, work / "read.json")
            out["reads"] += 1
            if kind == "ok":
                key = (
                    "answers_A"
                    if got == refs["A"]
                    else "answers_B"
                    if got == refs["B"]
                    else "answers_neither"
                )
                out[key] += 1
            else:
                out["tracebacks" if kind == "traceback" else "failed_clearly"] += 1
                if len(out["examples"]) < 5:
                    out["examples"].append(got)
    finally:
        stop.set()
        thread.join()
    out["commits"], out["writer_failures"] = commits["n"], commits["failed"]
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["reports"], out["quarters"], out["seed"] = reports, quarters, seed
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=25, help="stop after this many kills")
    ap.add_argument(
        "--readers",
        type=int,
        default=0,
        help="instead of kills: this many reads (signals --all-pairs) during repeated ingests",
    )
    ap.add_argument(
        "--time-limit", type=float, default=900, help="stop after this many seconds of soaking"
    )
    ap.add_argument("--reports", type=int, default=3000, help="DEMO rows per synthetic set")
    ap.add_argument("--quarters", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--work", type=Path, default=None, help="folder to work in (default: a temporary one)"
    )
    args = ap.parse_args()
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="rx-soak-")
        args.work = Path(tmp.name)
    args.work.mkdir(parents=True, exist_ok=True)
    try:
        if args.readers:
            result = soak_readers(
                args.work, args.readers, args.time_limit, args.reports, args.quarters, args.seed
            )
        else:
            result = soak(
                args.work, args.kills, args.time_limit, args.reports, args.quarters, args.seed
            )
    finally:
        if tmp is not None:
            tmp.cleanup()
    print(json.dumps(result, indent=1))
    if args.readers:
        sys.exit(0 if result["tracebacks"] == 0 and result["answers_neither"] == 0 else 1)
    sys.exit(0 if result["mismatches"] == 0 and result["rows_lost"] == 0 else 1)


if __name__ == "__main__":
    main()
