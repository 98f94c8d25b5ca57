"""What the FAERS benchmarks share: a synthetic warehouse built once and reused, a child process run
with the peak memory of its process tree sampled, and the results table printed and written as CSV.

Imported by the scripts of this folder (``python bench/<script>.py`` puts the folder on the path).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["run_measured", "run_sampled", "synthetic_warehouse", "tree_rss_mb", "write_results"]


def synthetic_warehouse(
    src: Path,
    wh: Path,
    reports: int,
    *,
    quarters: int = 4,
    seed: int = 1,
    duplicates: int = 0,
    fmt: str = "zip",
) -> str:
    """Synthesise ``quarters`` quarters of ``reports`` reports into ``src`` (``synth_quarters``,
    ``duplicates`` planted cross-case copies) and ingest them in order into the warehouse ``wh``,
    rebuilding the derived tables once, after the last. Returns a line saying what was built and
    how long it took (not part of any timing)."""
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    t0 = time.perf_counter()
    truth = synth_quarters(
        src, reports=reports, quarters=quarters, seed=seed, duplicates=duplicates, fmt=fmt
    )
    t1 = time.perf_counter()
    syn = load_synonyms(src / "synonyms.csv", use_pack=False)
    w = Warehouse(wh)
    suffix = ".zip" if fmt == "zip" else ""
    for i, q in enumerate(truth.quarters):
        w.ingest(
            src / f"faers_ascii_{q}{suffix}", synonyms=syn, rebuild=i == len(truth.quarters) - 1
        )
    return (
        f"synthetic warehouse: {truth.reports:,} reports, {w.status().cases_after:,} cases "
        f"(synth {t1 - t0:.0f} s, ingest {time.perf_counter() - t1:.0f} s, not timed)"
    )


def write_results(
    rows: Sequence[dict], fields: Sequence[str], output: Path, width: int = 15
) -> None:
    """Print ``rows`` as a table (one column of ``width`` characters per field) and write them
    to ``output`` as CSV."""
    print(" ".join(f"{h:>{width}}" for h in fields))
    for r in rows:
        print(" ".join(f"{str(r[h]):>{width}}" for h in fields))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fields))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {output}")


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_sampled(
    cmd: Sequence[str], also: Sequence[int] = ()
) -> tuple[dict | None, int, float, float, float]:
    """Run ``cmd`` (whose last line of output is a JSON object) while sampling, every 0.2 s, the
    resident memory of its process tree and of the trees of the ``also`` processes (e.g. a Spark
    cluster's daemons). Returns (that object or None on failure, exit code, wall seconds, the
    command's peak MB, the others' peak MB)."""
    t = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, text=True)
    peak = [0.0, 0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            peak[1] = max(peak[1], sum(tree_rss_mb(pid) for pid in also))
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    thread.join()
    wall = time.perf_counter() - t
    res = json.loads(out.strip().splitlines()[-1]) if proc.returncode == 0 else None
    return res, proc.returncode, wall, peak[0], peak[1]


# Runs its arguments as one child and prints that child's wall seconds, peak RSS and CPU seconds:
# a small process of its own, so no parent's high-water mark is carried into the figure.
_WRAP = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t
if p.returncode:
    sys.stderr.write(p.stderr); sys.exit(p.returncode)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([dt, ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime, p.stdout.strip()]))
"""


def run_measured(
    cmd: Sequence[str], pythonpath: str | None = None
) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one child process run
    through a small wrapper (which runs nothing else), and its output."""
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
    p = subprocess.run([sys.executable, "-c", _WRAP, *cmd], capture_output=True, text=True, env=env)
    if p.returncode:
        raise SystemExit(f"{list(cmd)[:3]} failed:\n{p.stderr[-2000:]}")
    dt, rss, cpu, text = json.loads(p.stdout)
    return float(dt), float(rss), float(cpu), text
