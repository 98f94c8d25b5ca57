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
compared with the answers of the clean warehouses A and B (every pair's a, b, c, d), and of the
states between two commits of one ingest (it commits quarter by quarter: the first k quarters of
one set and the rest of the other, ingested clean too). Figures: reads, commits during them,
tracebacks, other failures (a non-zero exit with a clear message, e.g. "the warehouse changed
while it was read"), answers equal to A's or B's, or to a state between, and answers that match
no state (0 is the pass mark, as for tracebacks)::

    python bench/soak_warehouse.py --readers 40 --time-limit 600

``--reader-modes pairs,sensitivity,report,onset,export`` takes the readers in turn: the pairs, then
``signals DRUG --dedup-sensitivity``, ``--report FILE.md`` (times and the command scrubbed),
``--onset`` (DRUG the most reported ingredient) and ``faers export`` (its rows and quarters), each
compared with the same reader's answer on the clean warehouses A and B.
"""

from __future__ import annotations

import argparse
import json
import random
import re
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


READER_MODES = ("pairs", "sensitivity", "report", "onset", "export")
_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def _answer(wh: Path, out: Path, mode: str = "pairs", drug: str = "") -> tuple[str, object]:
    """One reader: ("ok", what it read), ("traceback", text) or ("failed", the message). What is
    read: the pairs' cells (``signals --all-pairs``), the dedup-sensitivity JSON of ``drug``, its
    study report's Markdown (the line naming the command and the date left out), its time-to-onset
    JSON, or an export's rows and quarters (``faers export``)."""
    shutil.rmtree(out, ignore_errors=True)
    if out.exists():
        out.unlink()
    args = {
        "pairs": ["signals", "--all-pairs", "-f", "json", "-o", str(out)],
        "sensitivity": ["signals", drug, "--dedup-sensitivity", "-f", "json", "-o", str(out)],
        "report": ["signals", drug, "--report", str(out.with_suffix(".md"))],
        "onset": ["signals", drug, "--onset", "-f", "json", "-o", str(out)],
        "export": ["faers", "export", "--out", str(out)],
    }[mode]
    run = subprocess.run(_cli(*args, "--warehouse", str(wh)), capture_output=True, text=True)
    if "Traceback" in run.stderr:
        return "traceback", f"{mode}: " + run.stderr.strip().splitlines()[-1][:200]
    if run.returncode != 0:
        return "failed", f"{mode}: " + " ".join(run.stderr.split())[:200]
    if mode == "pairs":
        rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
        return "ok", sorted((r["drug"], r["event"], r["a"], r["b"], r["c"], r["d"]) for r in rows)
    if mode == "export":
        doc = json.loads((out / "export.json").read_text(encoding="utf-8"))
        return "ok", (doc["rows"], doc["quarters"], doc["cases_after_deduplication"])
    if mode == "report":
        text = out.with_suffix(".md").read_text(encoding="utf-8")
        # when the warehouse was built and the report written, the command and the warehouse's
        # name differ from run to run
        lines = [x for x in text.splitlines() if "`rxcompare signals" not in x]
        return "ok", _unnamed(_STAMP.sub("<time>", "\n".join(lines)), wh)
    return "ok", _unnamed(out.read_text(encoding="utf-8"), wh)


def _unnamed(text: str, wh: Path) -> str:
    """``text`` without the warehouse's path and name (answers of two warehouses compared)."""
    return text.replace(str(wh), "<warehouse>").replace(f"warehouse {wh.name} ", "warehouse <w> ")


def _top_drug(wh: Path) -> str:
    con = Warehouse(wh).connect()
    try:
        return con.execute(
            "SELECT ingredient FROM case_drugs WHERE ingredient <> '' GROUP BY 1 "
            "ORDER BY count(DISTINCT caseid) DESC, 1 LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()


def soak_readers(
    work: Path,
    readers: int,
    time_limit: float,
    reports: int,
    quarters: int,
    seed: int,
    modes: tuple[str, ...] = ("pairs",),
) -> dict:
    import threading

    sets, synonyms = _two_sets(work, reports, quarters, seed)
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
    drug = _top_drug(work / "refA")
    refs: dict[tuple[str, str], object] = {}
    for name in sets:
        for mode in modes:
            kind, refs[mode, name] = _answer(
                work / f"ref{name}", work / f"ref{name}.out", mode, drug
            )
            assert kind == "ok", refs[mode, name]
    for mode in modes:
        assert refs[mode, "A"] != refs[mode, "B"], (
            f"{mode}: the two sets give the same answer: the soak could not tell them apart"
        )
    # an ingest of several quarters commits them one by one: between two of its commits the
    # warehouse holds the first k quarters of one set and the rest of the other, a state too
    mixes = {}
    for k in range(1, len(sets["A"])):
        mixes[f"B{k}"] = sets["B"][:k] + sets["A"][k:]  # B written over A, k quarters in
        mixes[f"A{k}"] = sets["A"][:k] + sets["B"][k:]
    for name, zips in mixes.items():
        _run(
            "faers",
            "ingest",
            *zips,
            "--warehouse",
            str(work / f"ref{name}"),
            "--synonyms",
            synonyms,
        )
        for mode in modes:
            kind, refs[mode, name] = _answer(
                work / f"ref{name}", work / f"ref{name}.out", mode, drug
            )
            assert kind == "ok", refs[mode, name]
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
        "answers_between": 0,
        "answers_neither": 0,
        "by_mode": {m: 0 for m in modes},
        "neither_by_mode": {},
        "examples": [],
    }
    thread = threading.Thread(target=writer, daemon=True)
    start = time.perf_counter()
    thread.start()
    try:
        while out["reads"] < readers and time.perf_counter() - start < time_limit:
            mode = modes[out["reads"] % len(modes)]
            kind, got = _answer(wh, work / "read.out", mode, drug)
            out["reads"] += 1
            out["by_mode"][mode] += 1
            if kind == "ok":
                key = (
                    "answers_A"
                    if got == refs[mode, "A"]
                    else "answers_B"
                    if got == refs[mode, "B"]
                    else "answers_between"
                    if any(got == refs[mode, m] for m in mixes)
                    else "answers_neither"
                )
                out[key] += 1
                if key == "answers_neither":
                    out["neither_by_mode"][mode] = out["neither_by_mode"].get(mode, 0) + 1
                    kept = work / f"neither-{out['reads']}-{mode}.txt"
                    kept.write_text(got if isinstance(got, str) else repr(got), encoding="utf-8")
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
        "--reader-modes",
        default="pairs",
        help=f"readers taken in turn, of {', '.join(READER_MODES)} (sensitivity, report and onset "
        "of the most reported ingredient)",
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
            modes = tuple(m.strip() for m in args.reader_modes.split(",") if m.strip())
            unknown = [m for m in modes if m not in READER_MODES]
            if unknown or not modes:
                ap.error(f"--reader-modes: {unknown or 'none'}; give some of {READER_MODES}")
            result = soak_readers(
                args.work,
                args.readers,
                args.time_limit,
                args.reports,
                args.quarters,
                args.seed,
                modes,
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
