"""How long loading the embedded knowledge pack takes, in fresh processes (target: under 200 ms).

    python bench/pack_load.py [--runs 10]

Each run is a new Python process that imports rxcompare.sources.pack and calls load_pack() with
RXCOMPARE_EMBEDDED_PACK=1; the time printed covers the import and the load (not interpreter start).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CODE = (
    "import time; t = time.perf_counter(); from rxcompare.sources.pack import load_pack; "
    "p = load_pack(); print(time.perf_counter() - t, p.origin, len(p.products), len(p.facts))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    env = {**os.environ, "RXCOMPARE_EMBEDDED_PACK": "1"}
    times = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True
        ).stdout
        seconds, origin, products, facts = out.split()
        times.append(float(seconds) * 1000)
    print(
        f"{origin} pack, {products} products, {facts} facts: import + load_pack() over {args.runs} fresh "
        f"processes: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
