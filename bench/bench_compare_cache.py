"""Benchmark: a comparison of two labels the pack does not hold, answered from the cache, against
``rxcompare --help`` in the same run (issue 24, item 8: <= 2.5x ``--help`` wall).

The labels are real: two TAC 2017 training labels (``../shared/data/real/tac2017``) served in
openFDA's ``drug/label.json`` shape by a real HTTP server on loopback, which also answers the
post-marketing counts (openFDA's empty ``NOT_FOUND``), DailyMed (404) and ClinicalTrials.gov (no
study). One ``rxcompare compare A B --online`` fills the cache; then the timed rounds run
``compare A B --online`` (every answer from the cache: the server counts the requests it gets
during the rounds and the table prints that count) and ``rxcompare --help`` in turn, each a fresh
process timed from outside, the medians of ``--runs`` rounds after one warm-up round.

``--baseline SRC`` (the ``src`` folder of another checkout) also times ``compare A B --online``
with that tree first on ``PYTHONPATH``, in the same rounds and from its own cache (filled first
in the same way): before and after a change in one machine state.

Usage: python bench/bench_compare_cache.py [--runs 11] [--pair Trulicity Tanzeum] [--baseline SRC]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_start import child_env, run_once, rxcompare_cmd  # noqa: E402
from helpers import Reply, serve_loopback, tac_label_answer  # noqa: E402

TAC = HERE.parent.parent / "shared" / "data" / "real" / "tac2017" / "tac2017-train-labels.json"


class Server:
    """The TAC labels in openFDA's shape (tests/helpers.py), ClinicalTrials.gov with no study,
    and a count of the requests answered."""

    def __init__(self):
        self.requests = 0

    def answer(self, target: str) -> Reply:
        self.requests += 1
        if target.partition("?")[0] == "/studies":
            return Reply(200, b'{"studies": [], "totalCount": 0}')
        return tac_label_answer(target)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--pair", nargs=2, default=("Trulicity", "Tanzeum"))
    ap.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="src folder of another checkout: its cached compare timed in the same rounds",
    )
    args = ap.parse_args()
    if args.baseline is not None and not (args.baseline / "rxcompare" / "__init__.py").is_file():
        sys.exit(f"--baseline {args.baseline}: no rxcompare package in it (give a src folder)")
    if not TAC.is_file():
        sys.exit(f"needs the TAC 2017 labels at {TAC.name} under ../shared/data/real/tac2017")
    server = Server()
    with tempfile.TemporaryDirectory() as tmp, serve_loopback(server.answer) as base:
        env = child_env(Path(tmp) / "pyc")
        env.update(
            {
                "RXCOMPARE_OPENFDA_BASE": base,
                "RXCOMPARE_DAILYMED_BASE": base,
                "RXCOMPARE_CTGOV_BASE": base,
                "RXCOMPARE_CACHE": str(Path(tmp) / "cache"),
            }
        )
        cmd = rxcompare_cmd()
        compare = cmd + ["compare", *args.pair, "--online", "-f", "json"]
        jobs = {
            "rxcompare --help": (cmd + ["--help"], env),
            "compare --online (cached)": (compare, env),
        }
        if args.baseline is not None:
            tree = {
                "PYTHONPATH": str(args.baseline.resolve()),
                "RXCOMPARE_CACHE": str(Path(tmp) / "cache-baseline"),
            }
            jobs["compare --online (cached) [baseline]"] = (compare, {**env, **tree})
        for job, job_env in list(jobs.values())[1:]:
            run_once(job, job_env)  # fills the cache
        before = server.requests
        times: dict[str, list[float]] = {k: [] for k in jobs}
        for i in range(args.runs + 1):
            for name, (job, job_env) in jobs.items():
                wall, _cpu, code = run_once(job, job_env)
                if code != 0:
                    sys.exit(f"{name} exited {code}")
                if i:
                    times[name].append(wall)
        during = server.requests - before
    help_s = statistics.median(times["rxcompare --help"])
    cmp_s = statistics.median(times["compare --online (cached)"])
    width = max(len(name) for name in times)
    print(f"{'job':{width}} {'median wall s':>14}")
    for name, values in times.items():
        print(f"{name:{width}} {statistics.median(values):14.3f}")
    print(f"ratio compare (cached) / --help: {cmp_s / help_s:.2f} (target <= 2.5)")
    if args.baseline is not None:
        base_s = statistics.median(times["compare --online (cached) [baseline]"])
        print(f"ratio baseline compare (cached) / --help: {base_s / help_s:.2f}")
    print(
        f"requests the server answered during the timed rounds: {during} (DailyMed's newer-label "
        "check and any query the cache does not keep)"
    )


if __name__ == "__main__":
    main()
