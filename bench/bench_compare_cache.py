"""Benchmark: a comparison of two labels the pack does not hold, answered from the cache, against
``rxcompare --help`` in the same run (issue 24, item 8: <= 2.5x ``--help`` wall).

The labels are real: two TAC 2017 training labels (``../shared/data/real/tac2017``) served in
openFDA's ``drug/label.json`` shape by a real HTTP server on loopback, which also answers the
post-marketing counts (openFDA's empty ``NOT_FOUND``), DailyMed (404) and ClinicalTrials.gov (no
study). One ``rxcompare compare A B --online`` fills the cache; then the timed rounds run
``compare A B --online`` (every answer from the cache: the server counts the requests it gets
during the rounds and the table prints that count) and ``rxcompare --help`` in turn, each a fresh
process timed from outside, the medians of ``--runs`` rounds after one warm-up round.

Usage: python bench/bench_compare_cache.py [--runs 11] [--pair Trulicity Tanzeum]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_start import child_env, run_once, rxcompare_cmd  # noqa: E402
from helpers import Reply, serve_loopback  # noqa: E402

TAC = HERE.parent.parent / "shared" / "data" / "real" / "tac2017" / "tac2017-train-labels.json"
FIELDS = {
    "boxed warnings": "boxed_warning",
    "warnings and precautions": "warnings_and_cautions",
    "adverse reactions": "adverse_reactions",
}
NOT_FOUND = b'{"error": {"code": "NOT_FOUND", "message": "No matches found!"}}'


def records() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in json.loads(TAC.read_text(encoding="utf-8")):
        name = r["label_id"]
        res = out.setdefault(name, {
            "set_id": f"tac2017-{name.lower()}", "version": "1", "effective_time": "20170101",
            "openfda": {"brand_name": [name.upper()], "generic_name": [f"{name.upper()} GENERIC"]},
        })
        res[FIELDS[r["section_name"]]] = [" ".join(r["section_text"].split())]
    return out


class Server:
    def __init__(self, labels: dict[str, dict]):
        self.labels = labels
        self.requests = 0

    def answer(self, target: str) -> Reply:
        self.requests += 1
        path, _, query = target.partition("?")
        params = dict(parse_qsl(query))
        if path == "/studies":
            return Reply(200, b'{"studies": [], "totalCount": 0}')
        if path != "/drug/label.json":
            return Reply(404, NOT_FOUND)
        search = params.get("search", "")
        hits = [r for r in self.labels.values() if f'"{r["openfda"]["brand_name"][0]}"' in search]
        if not hits:
            return Reply(404, NOT_FOUND)
        if params.get("count"):
            body = {"results": [{"term": hits[0]["openfda"]["brand_name"][0], "count": 1}]}
        else:
            body = {"meta": {"results": {"skip": 0, "limit": 1, "total": 1}}, "results": hits[:1]}
        return Reply(200, json.dumps(body).encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--pair", nargs=2, default=("Trulicity", "Tanzeum"))
    args = ap.parse_args()
    if not TAC.is_file():
        sys.exit(f"needs the TAC 2017 labels at {TAC.name} under ../shared/data/real/tac2017")
    server = Server(records())
    with tempfile.TemporaryDirectory() as tmp, serve_loopback(server.answer) as base:
        env = child_env(Path(tmp) / "pyc")
        env.update({
            "RXCOMPARE_OPENFDA_BASE": base, "RXCOMPARE_DAILYMED_BASE": base,
            "RXCOMPARE_CTGOV_BASE": base, "RXCOMPARE_CACHE": str(Path(tmp) / "cache"),
        })
        cmd = rxcompare_cmd()
        compare = cmd + ["compare", *args.pair, "--online", "-f", "json"]
        jobs = {"rxcompare --help": cmd + ["--help"], "compare --online (cached)": compare}
        run_once(compare, env)  # fills the cache
        before = server.requests
        times: dict[str, list[float]] = {k: [] for k in jobs}
        for i in range(args.runs + 1):
            for name, job in jobs.items():
                wall, _cpu, code = run_once(job, env)
                if code != 0:
                    sys.exit(f"{name} exited {code}")
                if i:
                    times[name].append(wall)
        during = server.requests - before
    help_s = statistics.median(times["rxcompare --help"])
    cmp_s = statistics.median(times["compare --online (cached)"])
    print(f"{'job':32} {'median wall s':>14}")
    for name, values in times.items():
        print(f"{name:32} {statistics.median(values):14.3f}")
    print(f"ratio compare (cached) / --help: {cmp_s / help_s:.2f} (target <= 2.5)")
    print(f"requests the server answered during the timed rounds: {during} (DailyMed's newer-label "
          "check and any query the cache does not keep)")


if __name__ == "__main__":
    main()
