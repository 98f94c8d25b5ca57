"""Benchmark: counts + every statistic (incl. the MGPS fit) on synthetic long report tables.

Engines, each run in its own freshly started process; peak memory is that process's own
high-water mark, VmHWM read from /proc/self/status at its end (``ru_maxrss`` would not do: Linux
carries the parent's high-water mark into a child across fork and exec, so a child started from a
parent that has just generated a large table reported the parent's peak):

- ``rxcompare``: :func:`rxcompare.signals.report_table.count_report_pairs` (DuckDB) then
  :func:`rxcompare.signals.score.score_counts` (ROR, PRR, chi-square, IC, E, MGPS fit and EBGM/EB05/EB95).
- ``pandas``: a plain baseline -- pandas drop_duplicates/groupby counts, per-pair statistics in
  pandas columns, the same scipy MGPS fit, and EB05/EB95 by plain vectorised bisection;
- ``cli-csv``, ``cli-parquet``: the command line end to end, ``rxcompare signals --all-pairs
  --reports TABLE --output pairs.csv`` (or ``.parquet``): start, counting, statistics and the file
  written; wall seconds from outside, peak = the command's own (``ru_maxrss`` of a process started
  by a small wrapper, so no parent's high-water mark is carried into it); target <= 12 s and
  <= 1.2 GB at 1M reports. Their count_s / stats_s are empty (one figure, end to end).

Usage: python bench/bench_signals.py [--sizes 100000 1000000] [--engines rxcompare pandas cli-csv cli-parquet]
Prints a table (size, engine, seconds, peak memory, ratio) and writes bench/results/signals.csv.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import tempfile
import time
from pathlib import Path

import numpy as np
from common import run_measured

RESULTS = Path(__file__).resolve().parent / "results"


def generate(n_reports: int, path: Path, seed: int = 1) -> int:
    """A heavy-tailed long table: drugs and events drawn from Zipf-like laws, 1 + geometric
    numbers of drugs and events per report, and a few planted drug-event associations."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    n_drugs, n_events = 20000, 6000
    pd_ = 1.0 / np.arange(1, n_drugs + 1) ** 1.1
    pe_ = 1.0 / np.arange(1, n_events + 1) ** 1.0
    k_drugs = 1 + rng.geometric(0.55, n_reports) - 1
    k_events = 1 + rng.geometric(0.45, n_reports) - 1
    per = k_drugs * k_events
    report = np.repeat(np.arange(n_reports), per)
    drug_idx = np.repeat(np.arange(n_reports), k_drugs)
    drugs = rng.choice(n_drugs, size=drug_idx.size, p=pd_ / pd_.sum())
    events = rng.choice(n_events, size=int(k_events.sum()), p=pe_ / pe_.sum())
    # planted associations: drug i (i < 200) tends to come with event 5000 + i
    planted = (drugs < 200) & (rng.random(drugs.size) < 0.2)
    d_start = np.concatenate([[0], np.cumsum(k_drugs)[:-1]])
    e_start = np.concatenate([[0], np.cumsum(k_events)[:-1]])
    first_drug = drugs[d_start]
    ev0 = events[e_start]
    events[e_start] = np.where(planted[d_start], 5000 + first_drug % 1000, ev0)
    # cross product drugs x events within each report
    rows_d, rows_e = [], []
    for kd in np.unique(k_drugs):
        for ke in np.unique(k_events[k_drugs == kd]):
            sel = np.flatnonzero((k_drugs == kd) & (k_events == ke))
            if sel.size == 0:
                continue
            dd = drugs[d_start[sel][:, None] + np.arange(kd)]  # (s, kd)
            ee = events[e_start[sel][:, None] + np.arange(ke)]  # (s, ke)
            rows_d.append(np.repeat(dd, ke, axis=1).ravel())
            rows_e.append(np.tile(ee, (1, kd)).ravel())
            report_sel = np.repeat(sel, kd * ke)
            rows_d[-1] = (report_sel, rows_d[-1])
    rep = np.concatenate([r for r, _ in rows_d])
    dcol = np.concatenate([d for _, d in rows_d])
    ecol = np.concatenate(rows_e)
    del report
    table = pa.table(
        {
            "id": rep.astype(np.int64),
            "drug": pa.array(np.char.add("D", dcol.astype(str))),
            "event": pa.array(np.char.add("E", ecol.astype(str))),
        }
    )
    pq.write_table(table, path)
    return table.num_rows


def run_rxcompare(path: str) -> dict:
    from rxcompare.signals.report_table import count_report_pairs
    from rxcompare.signals.score import score_counts

    t0 = time.perf_counter()
    counts = count_report_pairs(path, "id", "drug", "event")
    t1 = time.perf_counter()
    table = score_counts(counts)
    t2 = time.perf_counter()
    return {
        "pairs": len(table),
        "count_s": t1 - t0,
        "stats_s": t2 - t1,
        "flagged": int(np.sum(table.columns["flags"] != "")),
        "prior": table.prior.theta,
        "squashed": table.prior.squashed,
        "eb05": table.columns["eb05"],
    }


def _bisect_quantile(q, shape1, rate1, shape2, rate2, w):
    from scipy.special import gammainc

    lo = np.zeros_like(shape1)
    hi = np.maximum(shape1 / rate1, shape2 / rate2) * 20 + 20
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f = w * gammainc(shape1, rate1 * mid) + (1 - w) * gammainc(shape2, rate2 * mid) - q
        lo = np.where(f < 0, mid, lo)
        hi = np.where(f < 0, hi, mid)
    return 0.5 * (lo + hi)


def run_pandas(path: str) -> dict:
    import pandas as pd
    from scipy.special import digamma, gammaln
    from scipy.stats import gamma, norm

    from rxcompare.stats.mgps import fit_mgps_prior

    t0 = time.perf_counter()
    df = pd.read_parquet(path).drop_duplicates()
    n = df["id"].nunique()
    pairs = df.groupby(["drug", "event"], sort=False).size().rename("a").reset_index()
    nd = df.drop_duplicates(["id", "drug"]).groupby("drug").size().rename("nd")
    ne = df.drop_duplicates(["id", "event"]).groupby("event").size().rename("ne")
    p = pairs.join(nd, on="drug").join(ne, on="event")
    p["b"] = p["nd"] - p["a"]
    p["c"] = p["ne"] - p["a"]
    p["d"] = n - p["nd"] - p["ne"] + p["a"]
    t1 = time.perf_counter()
    z = norm.ppf(0.975)
    a, b, c, d = (p[k].astype(float) for k in "abcd")
    zero = (b == 0) | (c == 0) | (d == 0)
    h = zero * 0.5
    a2, b2, c2, d2 = a + h, b + h, c + h, d + h
    lr = np.log(a2 * d2 / (b2 * c2))
    se = np.sqrt(1 / a2 + 1 / b2 + 1 / c2 + 1 / d2)
    p["ror"], p["ror_lower"], p["ror_upper"] = np.exp(lr), np.exp(lr - z * se), np.exp(lr + z * se)
    hc = (c == 0) * 0.5
    a3, b3, c3, d3 = a + hc, b + hc, c + hc, d + hc
    lp = np.log((a3 / (a3 + b3)) / (c3 / (c3 + d3)))
    sp = np.sqrt(1 / a3 - 1 / (a3 + b3) + 1 / c3 - 1 / (c3 + d3))
    p["prr"], p["prr_lower"], p["prr_upper"] = np.exp(lp), np.exp(lp - z * sp), np.exp(lp + z * sp)
    N = a + b + c + d
    p["chi2"] = (
        N
        * np.maximum(np.abs(a * d - b * c) - N / 2, 0) ** 2
        / ((a + b) * (c + d) * (a + c) * (b + d))
    )
    p["e"] = (a + b) / N * (a + c)
    p["ic"] = np.log2((a + 0.5) / (p.e + 0.5))
    p["ic025"] = np.log2(gamma.ppf(0.025, a + 0.5, scale=1 / (p.e + 0.5)))
    p["ic975"] = np.log2(gamma.ppf(0.975, a + 0.5, scale=1 / (p.e + 0.5)))
    prior = fit_mgps_prior(p.a.to_numpy(), p.e.to_numpy())
    a1, b1, a2_, b2_, pp = prior.theta
    e = p.e.to_numpy()

    def lnb(al, be):
        return (
            gammaln(al + a)
            - gammaln(al)
            - gammaln(a + 1)
            + al * np.log(be / (be + e))
            + a * np.log(e / (be + e))
        )

    l1, l2 = np.log(pp) + lnb(a1, b1), np.log(1 - pp) + lnb(a2_, b2_)
    qn = 1 / (1 + np.exp(l2 - l1))
    p["ebgm"] = np.exp(
        qn * (digamma(a1 + a) - np.log(b1 + e)) + (1 - qn) * (digamma(a2_ + a) - np.log(b2_ + e))
    )
    args = (a1 + a.to_numpy(), b1 + e, a2_ + a.to_numpy(), b2_ + e, qn.to_numpy())
    p["eb05"] = _bisect_quantile(0.05, *args)
    p["eb95"] = _bisect_quantile(0.95, *args)
    t2 = time.perf_counter()
    return {
        "pairs": len(p),
        "count_s": t1 - t0,
        "stats_s": t2 - t1,
        "flagged": -1,
        "prior": prior.theta,
        "squashed": prior.squashed,
        "eb05": None,
    }


def own_peak_mb() -> float:
    """This process's own peak resident memory (VmHWM: its address space's high-water mark
    since its exec), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(engine: str, path: str, queue) -> None:
    res = {"rxcompare": run_rxcompare, "pandas": run_pandas}[engine](path)
    res.pop("eb05", None)
    res["peak_mb"] = own_peak_mb()
    queue.put(res)


def measure_cli(fmt: str, path: str, tmp: str) -> dict:
    """The installed command line end to end, in a process of its own (see the module doc)."""
    import json
    import sys

    import pyarrow.parquet as pq

    script = Path(sys.executable).with_name("rxcompare")
    rx = [str(script)] if script.is_file() else [sys.executable, "-m", "rxcompare"]
    out = Path(tmp) / f"pairs.{fmt}"
    cmd = [
        *rx,
        "signals",
        "--all-pairs",
        "--reports",
        path,
        "--report-col",
        "id",
        "--drug-col",
        "drug",
        "--event-col",
        "event",
        "--output",
        str(out),
    ]
    wall, peak, _, _ = run_measured(cmd)
    theta: list[float] = []
    if fmt == "parquet":
        pairs = pq.read_metadata(out).num_rows
        prior = json.loads((pq.read_schema(out).metadata or {}).get(b"prior", b"null"))
        theta = [prior[k] for k in ("alpha1", "beta1", "alpha2", "beta2", "p")] if prior else []
    else:
        with out.open(encoding="utf-8") as fh:
            pairs = sum(1 for _ in fh) - 1
    out.unlink()
    return {
        "pairs": pairs,
        "count_s": float("nan"),
        "stats_s": float("nan"),
        "wall_s": wall,
        "peak_mb": peak,
        "prior": theta,
        "squashed": "",
    }


def measure(engine: str, path: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(engine, path, queue))
    t0 = time.perf_counter()
    proc.start()
    while True:
        try:
            res = queue.get(timeout=5)
            break
        except Exception:
            if not proc.is_alive():
                raise RuntimeError(f"{engine} run failed (exit code {proc.exitcode})") from None
    proc.join()
    res["wall_s"] = time.perf_counter() - t0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--engines", nargs="+", default=["rxcompare", "pandas"])
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"reports_{size}.parquet"
            n_rows = generate(size, path)
            base = None
            for engine in args.engines:
                if engine.startswith("cli-"):
                    r = measure_cli(engine.removeprefix("cli-"), str(path), tmp)
                    secs = r["wall_s"]
                else:
                    r = measure(engine, str(path))
                    secs = r["count_s"] + r["stats_s"]
                base = base if base is not None else secs
                rows.append(
                    {
                        "reports": size,
                        "rows": n_rows,
                        "pairs": r["pairs"],
                        "engine": engine,
                        "seconds": round(secs, 2),
                        "count_s": round(r["count_s"], 2),
                        "stats_s": round(r["stats_s"], 2),
                        "peak_mb": round(r["peak_mb"]),
                        "ratio": round(secs / base, 2),
                        "squashed": r["squashed"],
                        "prior": " ".join(f"{x:.4g}" for x in r["prior"]),
                    }
                )
    header = (
        "reports",
        "rows",
        "pairs",
        "engine",
        "seconds",
        "count_s",
        "stats_s",
        "peak_mb",
        "ratio",
    )
    print(" ".join(f"{h:>10}" for h in header))
    for r in rows:
        print(" ".join(f"{str(r[h]):>10}" for h in header))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "signals.csv"
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
