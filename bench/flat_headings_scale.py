"""How the openFDA text path scales with the number of numbered subsections (issue 30).

    python bench/flat_headings_scale.py [--sizes 1000,4000,16000,60000]

A label's flattened "warnings_and_cautions" string with N subsection headings ("5.k Title words ..."),
or N Highlights bullets pointing at them ("* Title words: monitor (5.k)"), or both, k cycling over
1..99 (a section number has at most two digits), read by
:func:`rxcompare.sources.labels.openfda_json.parse_openfda_label` exactly as ``pack update`` reads
openFDA. Prints seconds per size and seconds per thousand subsections: a linear parser keeps the
second column flat; a quadratic one doubles it with each doubling of N. The input is made up (no
medicine is named); its shape is that of real openFDA text.
"""

from __future__ import annotations

import argparse
import time

from rxcompare.sources.labels.openfda_json import parse_openfda_label

SHAPES = ("headings", "bullets", "both")


def label(n: int, shape: str = "both") -> dict:
    bullets = " ".join(
        f"* Condition {k % 97} Reaction: monitor patients (5.{k % 99 + 1})" for k in range(n)
    )
    body = " ".join(
        f"5.{k % 99 + 1} Condition {k % 97} Reaction Patients treated had events"
        + (f" [see (5.{k % 99 + 1})]." if shape == "both" else ".")
        for k in range(n)
    )
    text = {
        "headings": body,
        "bullets": f"EXCERPT: {bullets}",
        "both": f"EXCERPT: {bullets} {body}",
    }[shape]
    return {
        "set_id": "00000000-0000-0000-0000-000000000000",
        "version": "1",
        "effective_time": "20240101",
        "warnings_and_cautions": [f"5 WARNINGS AND PRECAUTIONS {text}"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,4000,16000,60000")
    ap.add_argument(
        "--shapes",
        default=",".join(SHAPES),
        help="headings (N '5.k Title text.'), bullets "
        "(N '* Phrase: text (5.k)'), both (N of each, and a '[see (5.k)]' after each heading)",
    )
    args = ap.parse_args()
    print(f"{'shape':>9} {'items':>8} {'chars':>10} {'seconds':>9} {'s per 1,000':>12}")
    for shape in args.shapes.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            doc = label(n, shape)
            began = time.perf_counter()
            parsed = parse_openfda_label(doc, "bench")
            took = time.perf_counter() - began
            assert parsed.sections, "nothing parsed"
            print(
                f"{shape:>9} {n:>8,} {len(doc['warnings_and_cautions'][0]):>10,} {took:>9.3f} "
                f"{took / n * 1000:>12.4f}"
            )


if __name__ == "__main__":
    main()
