"""Load benchmark of the web app: a client on loopback against ``rxcompare serve`` in a subprocess.

The server is the real command (``python -m rxcompare serve --no-access-log``, one uvicorn worker);
the client is httpx (async) with a fixed number of concurrent connections. Each scenario warms the
cache, then sends requests until ``--requests`` are done or ``--seconds`` have passed, whichever
comes first, and records each request's latency and status (anything but 200 is an error).

Scenarios: ``api_compare`` (/api/compare, the cached comparison as JSON), ``page`` (/compare, the
cached comparison as the HTML page), ``drugs`` (/api/drugs, suggestions as typed).

Target (issue 6): at least 200 requests/s for a cached comparison with p99 under 200 ms and no errors
on a 2-core machine. The client shares the machine with the server, and so does any other load: the
table also gives the server's CPU time per request (from /proc) and the load average during the run,
so that a run on a busy machine can be told from a slow server.

Two modes per scenario: ``max`` (closed loop: every worker sends again as soon as it is answered;
the highest throughput, with queueing in the latency) and an offered rate such as ``210``
requests/s, a little over the target so that meeting it does not hang on rounding (latency counted
from each request's due time). The target is judged on each row. The client's own CPU time per
request is reported too: on a small machine a Python client can be the bottleneck.

Usage: python bench/bench_web.py [--pack FILE] [--a kesimpta] [--b ocrevus] [--requests 5000]
       [--seconds 30] [--concurrency 16] [--scenarios api_compare page drugs] [--modes max 210]
Prints a table and appends to bench/results/web.csv.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_RPS, TARGET_P99_MS = 200.0, 200.0
MS_FIELDS = ("p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms", "server_cpu_ms", "client_cpu_ms",
             "load_avg")  # fmt: skip
CSV_FIELDS = ("when", "scenario", "mode", "requests", "errors", "seconds", "rps", *MS_FIELDS, "concurrency",
              "cpus", "target_met")  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, pack: str | None, warehouse: str) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "rxcompare",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--warehouse",
        warehouse,
    ]
    if pack:
        cmd += ["--pack", pack]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"the server exited with status {proc.returncode}: {proc.stderr.read()}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not answer /healthz within 30 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), or nan elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (q in 0..100)."""
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, round(q / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


async def load(
    base: str,
    paths: list[str],
    requests: int,
    seconds: float,
    concurrency: int,
    rate: float | None = None,
) -> dict:
    """Fire up to ``requests`` GETs (cycling through ``paths``) for at most ``seconds``.

    Without ``rate``, each of ``concurrency`` workers sends its next request as soon as the last
    one is answered (closed loop: the highest throughput, latency includes queueing). With ``rate``,
    request i is due at ``start + i / rate`` and its latency is counted from that due time, so a
    client or server that falls behind shows in the latency (no coordinated omission).
    """
    latencies: list[float] = []
    errors: dict[str, int] = {}
    issued = 0
    # One client with one kept-alive connection per worker: a shared pool of 16 connections
    # scans them all on every request, which costs the client more than the server spends.
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, limits=one, timeout=10) for _ in range(concurrency)]
    try:
        for client in clients:  # open the connections and warm the cache
            for p in paths:
                r = await client.get(p)
                if r.status_code != 200:
                    raise SystemExit(f"warm-up {p} answered {r.status_code}: {r.text[:300]}")
        gc.collect()
        gc.freeze()  # the client's own start-up objects stay out of its collections
        start = time.perf_counter()
        stop = start + seconds

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal issued
            while issued < requests and time.perf_counter() < stop:
                i = issued
                issued += 1
                path = paths[i % len(paths)]
                t0 = time.perf_counter()
                if rate:
                    due = start + i / rate
                    if due > t0:
                        await asyncio.sleep(due - t0)
                    t0 = due
                try:
                    r = await client.get(path)  # reads the whole body
                    ok = r.status_code == 200
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, key = False, type(exc).__name__
                latencies.append((time.perf_counter() - t0) * 1000)
                if not ok:
                    errors[key] = errors.get(key, 0) + 1

        await asyncio.gather(*(worker(c) for c in clients))
        wall = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()
    ms = sorted(latencies)
    return {
        "requests": len(ms),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "seconds": wall,
        "rps": len(ms) / wall,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1] if ms else float("nan"),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
    }


def scenarios(a: str, b: str) -> dict[str, list[str]]:
    q = httpx.QueryParams({"a": a, "b": b})
    return {
        "api_compare": [f"/api/compare?{q}"],
        "page": [f"/compare?{q}"],
        "drugs": [
            f"/api/drugs?{httpx.QueryParams({'q': a[:n]})}" for n in range(1, min(len(a), 6) + 1)
        ],
    }


def run(pid: int, port: int, name: str, paths: list[str], mode: str, args) -> dict:
    """One scenario in one mode, with the CPU time it cost the server and this client."""
    rate = None if mode == "max" else float(mode)
    load_before = os.getloadavg()[0]
    cpu0, mine0 = cpu_seconds(pid), cpu_seconds(os.getpid())
    base = f"http://127.0.0.1:{port}"
    res = asyncio.run(load(base, paths, args.requests, args.seconds, args.concurrency, rate))
    # CPU per request of the server and of this client (warm-up included, a few requests):
    # figures that other load on the machine does not inflate much
    n = max(res["requests"], 1)
    res["server_cpu_ms"] = (cpu_seconds(pid) - cpu0) * 1000 / n
    res["client_cpu_ms"] = (cpu_seconds(os.getpid()) - mine0) * 1000 / n
    res["load_avg"] = max(load_before, os.getloadavg()[0])
    ok = res["errors"] == 0 and res["rps"] >= TARGET_RPS and res["p99_ms"] < TARGET_P99_MS
    return {"scenario": name, "mode": mode, **res, "target_met": ok}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pack", help="a knowledge pack file (default: the embedded pack)")
    ap.add_argument("--a", default="kesimpta")
    ap.add_argument("--b", default="ocrevus")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--scenarios", nargs="+", default=["api_compare", "page", "drugs"])
    ap.add_argument("--modes", nargs="+", default=["max", "210"],
                    help="'max' (closed loop) and/or offered rates in requests/s")  # fmt: skip
    args = ap.parse_args()

    port = free_port()
    rows = []
    with tempfile.TemporaryDirectory() as empty:  # no warehouse: the cached label comparison
        proc = start_server(port, args.pack, empty)
        try:
            paths = scenarios(args.a, args.b)
            for name in args.scenarios:
                for mode in args.modes:
                    rows.append(run(proc.pid, port, name, paths[name], mode, args))
        finally:
            proc.terminate()
            proc.wait(10)

    print(
        f"rxcompare web load, {args.a} vs {args.b}, concurrency {args.concurrency}, "
        f"bounded by {args.requests} requests or {args.seconds:g} s; {os.cpu_count()} CPU(s)"
    )
    print(
        f"{'scenario':<12} {'mode':>5} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu ms/req srv+cli':>18} {'load':>5}  "
        f"target (>= {TARGET_RPS:g}/s, p99 < {TARGET_P99_MS:g} ms, 0 errors)"
    )
    for r in rows:
        print(
            f"{r['scenario']:<12} {r['mode']:>5} {r['requests']:>8} {r['errors']:>6} {r['rps']:>7.1f} "
            f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} "
            f"{r['server_cpu_ms']:>10.2f} + {r['client_cpu_ms']:>5.2f} {r['load_avg']:>5.1f}  "
            f"{'met' if r['target_met'] else 'NOT met'}{' ' + str(r['error_kinds']) if r['errors'] else ''}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "web.csv"
    new = not out.exists()
    with out.open("a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        if new:
            w.writeheader()
        when = datetime.now(UTC).isoformat(timespec="seconds")
        for r in rows:
            fixed = {k: f"{r[k]:.2f}" for k in (*MS_FIELDS, "seconds")}
            w.writerow({**r, **fixed, "when": when, "rps": f"{r['rps']:.1f}",
                        "concurrency": args.concurrency, "cpus": os.cpu_count()})  # fmt: skip
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
