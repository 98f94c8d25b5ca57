"""Method evaluation on planted truth: a reference set's controls planted in a synthetic warehouse,
then `rxcompare signals --evaluate` scores every rule on them.

Each positive control of the reference set (its drug name, and the first PT of its outcome's
definition, cycling through the PTs when an outcome has several positives) is planted with relative
reporting ratio ``--rrr``; each negative control is added to the catalogue and left null (drawn
independently). The warehouse then holds every control, so the evaluation should find sensitivity
near 1 for the ROR and IC rules at a strong RRR, and specificity near 1 (a null pair flagged is a
false positive of the rule, at the rate its threshold allows). An outcome with many positive
controls becomes common in this synthetic world (the share of cases reporting each outcome is
printed); that caps its PRR below 1 / share, so the rules that need PRR >= 2 or EBGM >= 2 recover
fewer of its positives than ROR's lower bound does. The figures measure the evaluation code against
a known truth; they say nothing about the rules' performance on real FAERS data.

    python bench/bench_evaluate.py --reference ../shared/data/real/reference-sets --set omop \
        --reports 30000 --rrr 20

Prints the evaluation table (the command's own text output) and the time taken.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def plant_controls(reference, rrr: float) -> list[tuple[str, str, float]]:
    """(ingredient, PT, rrr) for every control whose outcome has a PT definition: positives at ``rrr``,
    negatives at 1 (null)."""
    from rxcompare.signals.reference_sets import outcome_terms
    from rxcompare.sources.faers.normalise import normalise_drug_name

    defined, _ = outcome_terms(reference)
    seen: dict[str, int] = {}
    plant: dict[tuple[str, str], float] = {}
    for c in reference.controls:
        terms = defined.get(c.outcome)
        if not terms:
            continue
        k = seen.get(c.outcome, 0)
        seen[c.outcome] = k + 1
        key = (normalise_drug_name(c.drug), terms[k % len(terms)].capitalize())
        plant[key] = max(plant.get(key, 1.0), rrr if c.positive else 1.0)
    return [(d, t, r) for (d, t), r in plant.items()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", required=True, help="the reference set file or its folder")
    ap.add_argument("--set", default="omop", choices=("omop", "euadr", "harpaz"))
    ap.add_argument("--reports", type=int, default=30000)
    ap.add_argument("--quarters", type=int, default=2)
    ap.add_argument("--rrr", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    from rxcompare.render.evaluation import evaluation_text
    from rxcompare.signals.evaluate import evaluate_reference
    from rxcompare.signals.reference_sets import load_reference
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    reference = load_reference(args.set, args.reference)
    plant = plant_controls(reference, args.rrr)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        truth = synth_quarters(
            root / "q", reports=args.reports, quarters=args.quarters, seed=args.seed, plant=plant
        )
        syn = load_synonyms(root / "q" / "synonyms.csv", use_pack=False)
        wh = Warehouse(root / "wh")
        for i, q in enumerate(truth.quarters):
            wh.ingest(
                root / "q" / f"faers_ascii_{q}.zip",
                synonyms=syn,
                rebuild=i == len(truth.quarters) - 1,
            )
        t1 = time.perf_counter()
        with connect_engine(wh.path) as tables:
            ev = evaluate_reference(tables, reference, synonyms=syn)
        t2 = time.perf_counter()
    print(
        f"{args.set}: {len(plant)} controls planted ({sum(r > 1 for *_, r in plant)} at RRR {args.rrr:g}, "
        f"the others null) in {args.reports:,} synthetic reports over {args.quarters} quarters (seed {args.seed})"
    )
    share: dict[str, float] = {}
    for c in ev.evaluated:
        share[c.outcome] = (c.a + c.c) / (c.a + c.b + c.c + c.d)
    print(
        "share of cases reporting each outcome: "
        + "; ".join(f"{o} {s:.1%}" for o, s in sorted(share.items(), key=lambda x: -x[1]))
    )
    print(evaluation_text(ev).split("\n\nnot evaluated")[0].rstrip())
    print(f"\nwarehouse built in {t1 - t0:.1f} s; evaluation {t2 - t1:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
