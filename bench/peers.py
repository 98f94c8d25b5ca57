"""Benchmark: rxcompare's MGPS against its peers on the same pair table, in one run.

Peers, each run in its own fresh child process (``python bench/peers.py --child PEER ...``):

- ``rxcompare``: :func:`rxcompare.signals.score.score_counts`, every statistic (ROR, PRR, chi-square,
  IC and the MGPS fit with EBGM, EB05, EB95) for every pair;
- ``vigipy``: the Python package's ``convert`` (its pair-by-pair count table) then ``gps`` (its
  MGPS: the prior fitted by maximum likelihood, EBGM and the 5% and 95% quantiles), with its
  defaults except ``min_events=1`` (every pair scored, as rxcompare does). vigipy is a peer of
  this benchmark only, never a dependency of rxcompare: ``pip install vigipy`` to run it;
- ``openebgm``: FDA's R package (``autoHyper``, ``Qn``, ``ebgm``, ``quantBisect``), run only when
  ``Rscript`` can load openEBGM; otherwise the output says it was not run and why.

The same pair table goes to every peer: one row per drug-event pair with N, the number of reports
naming both (rxcompare counts them, before any timing, from a long table of reports: openEBGM's
CAERS data, and a synthetic table from :func:`bench_signals.generate`). The margins are those of
that table (sums of N over a drug's pairs, an event's pairs, all pairs), as vigipy computes them,
so that every peer fits the same E = n_drug n_event / n and the estimates can be compared:
the fitted prior of each, the largest relative EBGM and EB05 difference over the pairs both
score, and the pairs each flags with EB05 >= 2 and those flagged by both.

Every child runs with ``OPENBLAS_NUM_THREADS=1`` (as the ``rxcompare`` command sets it; vigipy's
Nelder-Mead and pandas work do not use BLAS). Each child reports the seconds of its job (reading the pair table to holding every estimate) and
its own peak resident memory: VmHWM read from /proc/self/status at its end, the high-water mark
of its own address space since its exec (``ru_maxrss`` of a forked child would carry the
parent's). The parent also times the whole child process (interpreter start and imports included).

Usage: python bench/peers.py [--sizes caers 1000000] [--peers rxcompare vigipy openebgm]
Prints the tables and writes bench/results/peers.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CAERS = HERE.parent.parent / "shared" / "data" / "real" / "openebgm" / "caers.csv"
PEERS = ("rxcompare", "vigipy", "openebgm")


def own_peak_mb() -> float:
    """This process's own peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---- the pair table, made once per size, outside every timing ---------------------------------


def pair_table(size: str, tmp: Path) -> tuple[Path, int, str]:
    """Write the pair table (drug, event, n) of ``size`` ('caers' or a number of synthetic
    reports) as Parquet; returns its path, its number of pairs and a description."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rxcompare.signals.report_table import count_report_pairs

    if size == "caers":
        if not CAERS.is_file():
            raise FileNotFoundError(f"openEBGM's CAERS table is not at {CAERS}")
        counts = count_report_pairs(CAERS, "id", "var1", "var2")
        what = "openEBGM's CAERS data"
    else:
        sys.path.insert(0, str(HERE))
        from bench_signals import generate

        long_table = tmp / f"reports_{size}.parquet"
        rows = generate(int(size), long_table)
        counts = count_report_pairs(long_table, "id", "drug", "event")
        long_table.unlink()
        what = f"synthetic, {int(size):,} reports ({rows:,} rows; bench_signals.generate)"
    out = tmp / f"pairs_{size}.parquet"
    pq.write_table(
        pa.table({"drug": counts.drug.tolist(), "event": counts.event.tolist(), "n": counts.a}), out
    )
    return out, len(counts), what


# ---- the peers (each in its own child process) -------------------------------------------------


def run_rxcompare(pairs: Path, out: Path) -> dict:
    import duckdb

    from rxcompare.models import PairCounts
    from rxcompare.signals.score import score_counts

    t0 = time.perf_counter()
    # margins of the pair table (sums of N over the drug's pairs, the event's pairs, all pairs),
    # by rxcompare's engine
    cols = (
        duckdb.connect()
        .execute(
            """SELECT drug, event, n, sum(n) OVER (PARTITION BY drug) AS nd,
                  sum(n) OVER (PARTITION BY event) AS ne FROM read_parquet(?)""",
            [str(pairs)],
        )
        .fetchnumpy()
    )
    drug, event = (np.asarray(cols[k]).astype(object) for k in ("drug", "event"))
    n, n_drug, n_event = (np.asarray(cols[k]).astype(np.int64) for k in ("n", "nd", "ne"))
    total = int(n.sum())
    counts = PairCounts(
        drug=drug,
        event=event,
        a=n,
        b=n_drug - n,
        c=n_event - n,
        d=total - n_drug - n_event + n,
        n_reports=total,
        source=pairs.name,
    )
    table = score_counts(counts)
    seconds = time.perf_counter() - t0
    cols = table.columns
    _save(out, drug, event, n, cols["e"], cols["ebgm"], cols["eb05"])
    p = table.prior
    return {
        "seconds": seconds,
        "prior": [p.alpha1, p.beta1, p.alpha2, p.beta2, p.p],
        "note": f"{p.method}; squashed={p.squashed}; all statistics, not MGPS only",
    }


def run_vigipy(pairs: Path, out: Path) -> dict:
    import pandas as pd
    import vigipy

    t0 = time.perf_counter()
    frame = pd.read_parquet(pairs)
    container = vigipy.convert(frame, product_label="drug", count_label="n", ae_label="event")
    result = vigipy.gps(container, min_events=1)
    seconds = time.perf_counter() - t0
    s = result.all_signals
    _save(
        out,
        s["Product"].to_numpy(object),
        s["Adverse Event"].to_numpy(object),
        s["Count"].to_numpy(float),
        s["Expected Count"].to_numpy(float),
        s["EBGM"].to_numpy(float),
        s["LowerBound"].to_numpy(float),
    )
    prior = [float(x) for x in result.params["prior_param"]]
    return {
        "seconds": seconds,
        "prior": prior,
        "note": f"vigipy {vigipy.__version__}, defaults but min_events=1 ({result.params.get('convergence')})",
    }


_R = r"""
suppressPackageStartupMessages(library(openEBGM))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
t0 <- Sys.time()
nd <- ave(d$n, d$drug, FUN = sum); ne <- ave(d$n, d$event, FUN = sum)
d$N <- d$n; d$E <- nd * ne / sum(d$n)
theta <- autoHyper(d[, c("N", "E")], theta_init = data.frame(
  alpha1 = c(0.2, 0.1, 0.3, 0.5, 0.2), beta1 = c(0.1, 0.1, 0.5, 0.3, 0.2),
  alpha2 = c(2, 10, 6, 12, 5), beta2 = c(4, 10, 6, 12, 5), p = c(1/3, 0.2, 0.5, 0.8, 0.4)),
  squashed = FALSE)$estimates
qn <- Qn(theta, N = d$N, E = d$E)
d$EBGM <- ebgm(theta, N = d$N, E = d$E, qn = qn, digits = 10)
d$EB05 <- quantBisect(5, theta_hat = theta, N = d$N, E = d$E, qn = qn, digits = 6)
secs <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
write.csv(d[, c("drug", "event", "N", "E", "EBGM", "EB05")], args[2], row.names = FALSE)
cat(sprintf('{"seconds": %.6f, "prior": [%s]}\n', secs, paste(format(theta, digits = 17), collapse = ", ")))
"""


def openebgm_missing() -> str | None:
    """Why openEBGM cannot run here, or None when it can."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript is not installed"
    probe = subprocess.run([rscript, "-e", "library(openEBGM)"], capture_output=True, text=True)
    return (
        None
        if probe.returncode == 0
        else "R has no openEBGM package (install.packages('openEBGM'))"
    )


def run_openebgm(pairs: Path, out: Path) -> dict:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    csv_in, csv_out = out.with_suffix(".in.csv"), out.with_suffix(".out.csv")
    pcsv.write_csv(pq.read_table(pairs), csv_in)
    proc = subprocess.run(
        ["Rscript", "-e", _R, str(csv_in), str(csv_out)], capture_output=True, text=True, check=True
    )
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    t = pcsv.read_csv(csv_out)
    _save(
        out,
        *(
            t.column(k).to_numpy(zero_copy_only=False)
            for k in ("drug", "event", "N", "E", "EBGM", "EB05")
        ),
    )
    res["note"] = "autoHyper (5 starts, unsquashed), ebgm, quantBisect in R; seconds inside R"
    return res


def _save(out: Path, drug, event, n, e, ebgm, eb05) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "drug": list(drug),
                "event": list(event),
                "n": np.asarray(n, float),
                "e": np.asarray(e, float),
                "ebgm": np.asarray(ebgm, float),
                "eb05": np.asarray(eb05, float),
            }
        ),
        out,
    )


def child(peer: str, pairs: Path, out: Path, report: Path) -> None:
    res = {"rxcompare": run_rxcompare, "vigipy": run_vigipy, "openebgm": run_openebgm}[peer](
        pairs, out
    )
    res["peak_mb"] = own_peak_mb()  # for openebgm: this launcher's; R's own is not read
    report.write_text(json.dumps(res))


def measure(peer: str, pairs: Path, tmp: Path) -> dict:
    out, report = tmp / f"{peer}.parquet", tmp / f"{peer}.json"
    t0 = time.perf_counter()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            peer,
            str(pairs),
            str(out),
            str(report),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"peer": peer, "error": f"exit status {proc.returncode}: {tail[0]}"}
    res = json.loads(report.read_text())
    res.update(peer=peer, process_s=wall, out=out)
    return res


# ---- agreement ----------------------------------------------------------------------------------


def _load(path: Path) -> dict:
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    keys = [
        f"{d}\x1f{e}" for d, e in zip(t.column("drug").to_pylist(), t.column("event").to_pylist())
    ]
    order = np.argsort(np.array(keys, dtype=object), kind="stable")
    return {
        "key": np.array(keys, dtype=object)[order],
        **{k: t.column(k).to_numpy()[order] for k in ("n", "e", "ebgm", "eb05")},
    }


def loglik(prior, res: dict) -> float:
    """The zero-truncated MGPS log-likelihood of a peer's prior over the (N, E) it scored,
    evaluated by one function for every peer (:func:`rxcompare.stats.mgps.negloglik`)."""
    from rxcompare.stats.mgps import negloglik

    return -negloglik(tuple(prior), res["n"], res["e"])


def agreement(base: dict, other: dict) -> dict:
    """Relative differences of E, EBGM and EB05 over the pairs both scored; EB05 >= 2 flags."""
    common, ia, ib = np.intersect1d(
        base["key"], other["key"], assume_unique=True, return_indices=True
    )

    def rel(k: str) -> float:
        x, y = base[k][ia], other[k][ib]
        ok = np.isfinite(x) & np.isfinite(y) & (x != 0)
        return float(np.max(np.abs(y[ok] - x[ok]) / np.abs(x[ok]))) if ok.any() else float("nan")

    fa, fb = base["eb05"][ia] >= 2, other["eb05"][ib] >= 2
    return {
        "common": common.size,
        "max_rel_e": rel("e"),
        "max_rel_ebgm": rel("ebgm"),
        "max_rel_eb05": rel("eb05"),
        "flags": int(fb.sum()),
        "flags_base": int(fa.sum()),
        "flags_both": int((fa & fb).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        nargs="+",
        default=["caers", "1000000"],
        help="'caers' (openEBGM's data) and/or numbers of synthetic reports",
    )
    ap.add_argument("--peers", nargs="+", default=list(PEERS), choices=PEERS)
    ap.add_argument(
        "--child", nargs=4, metavar=("PEER", "PAIRS", "OUT", "REPORT"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.child:
        peer, pairs, out, report = args.child
        child(peer, Path(pairs), Path(out), Path(report))
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="rxcompare-peers-") as tmp_dir:
        tmp = Path(tmp_dir)
        for size in args.sizes:
            pairs, n_pairs, what = pair_table(size, tmp)
            print(f"\n{what}: {n_pairs:,} pairs")
            results = []
            for peer in args.peers:
                why = None
                if peer == "openebgm":
                    why = openebgm_missing()
                elif peer == "vigipy":
                    import importlib.util

                    why = (
                        None
                        if importlib.util.find_spec("vigipy")
                        else "vigipy is not installed (pip install vigipy)"
                    )
                if why:
                    print(f"  {peer}: not run: {why}")
                    rows.append({"size": size, "peer": peer, "note": f"not run: {why}"})
                    continue
                r = measure(peer, pairs, tmp)
                if "error" in r:
                    print(f"  {peer}: failed: {r['error']}")
                    rows.append({"size": size, "peer": peer, "note": f"failed: {r['error']}"})
                    continue
                results.append(r)
            base = next((r for r in results if r["peer"] == "rxcompare"), None)
            ref = _load(base["out"]) if base else None
            head = (
                f"  {'peer':<10} {'job s':>8} {'process s':>10} {'peak MB':>8} {'x rxcompare':>11} {'loglik':>12}"
                "  prior (alpha1 beta1 alpha2 beta2 P)"
            )
            print(head)
            for r in results:
                ratio = r["seconds"] / base["seconds"] if base else float("nan")
                prior = " ".join(f"{x:.6g}" for x in r["prior"])
                r["loglik"] = loglik(r["prior"], _load(r["out"]))
                print(
                    f"  {r['peer']:<10} {r['seconds']:>8.2f} {r['process_s']:>10.2f} {r['peak_mb']:>8.0f} "
                    f"{ratio:>11.1f} {r['loglik']:>12.3f}  {prior}"
                )
                row = {
                    "size": size,
                    "pairs": n_pairs,
                    "peer": r["peer"],
                    "job_s": round(r["seconds"], 3),
                    "process_s": round(r["process_s"], 3),
                    "peak_mb": round(r["peak_mb"]),
                    "x_rxcompare": round(ratio, 2),
                    "loglik": r["loglik"],
                    "prior": prior,
                    "note": r["note"],
                }
                if ref is not None and r is not base:
                    ag = agreement(ref, _load(r["out"]))
                    prior_rel = np.max(
                        np.abs(np.array(r["prior"]) - np.array(base["prior"]))
                        / np.array(base["prior"])
                    )
                    print(
                        f"  {'':<10} against rxcompare over {ag['common']:,} common pairs: prior max rel diff "
                        f"{prior_rel:.2e}; max rel diff E {ag['max_rel_e']:.2e}, EBGM {ag['max_rel_ebgm']:.2e}, "
                        f"EB05 {ag['max_rel_eb05']:.2e}; EB05 >= 2: {ag['flags']} ({r['peer']}), "
                        f"{ag['flags_base']} (rxcompare), {ag['flags_both']} in common"
                    )
                    row.update({k: ag[k] for k in ag}, prior_max_rel=float(prior_rel))
                rows.append(row)
            for r in results:
                print(f"  {r['peer']}: {r['note']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "peers.csv"
    fields = sorted(
        {k for r in rows for k in r}, key=lambda k: (k not in ("size", "pairs", "peer"), k)
    )
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    print(
        f"\njob s: the peer's job in its process (pair table read to every estimate held); process s: the "
        f"whole child process (start and imports too); peak MB: the child's own VmHWM; loglik: "
        f"the truncated MGPS log-likelihood of the peer's prior on its (N, E), one function for all\nwrote {out}"
    )


if __name__ == "__main__":
    main()
