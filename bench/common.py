"""What the FAERS benchmarks share: a synthetic warehouse built once and reused, and the results
table printed and written as CSV.

Imported by the scripts of this folder (``python bench/<script>.py`` puts the folder on the path).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["synthetic_warehouse", "write_results"]


def synthetic_warehouse(
    src: Path, wh: Path, reports: int, *, quarters: int = 4, seed: int = 1, duplicates: int = 0,
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
    truth = synth_quarters(src, reports=reports, quarters=quarters, seed=seed, duplicates=duplicates, fmt=fmt)
    t1 = time.perf_counter()
    syn = load_synonyms(src / "synonyms.csv", use_pack=False)
    w = Warehouse(wh)
    suffix = ".zip" if fmt == "zip" else ""
    for i, q in enumerate(truth.quarters):
        w.ingest(src / f"faers_ascii_{q}{suffix}", synonyms=syn, rebuild=i == len(truth.quarters) - 1)
    return (f"synthetic warehouse: {truth.reports:,} reports, {w.status().cases_after:,} cases "
            f"(synth {t1 - t0:.0f} s, ingest {time.perf_counter() - t1:.0f} s, not timed)")


def write_results(rows: Sequence[dict], fields: Sequence[str], output: Path, width: int = 15) -> None:
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
