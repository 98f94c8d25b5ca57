"""How well the safety-topic vocabulary names what a label warns of: the TAC 2017 training labels.

    python bench/topic_quality.py [--corpus PATH] [--top N] [--misses TOPIC]

Method. The corpus (../shared/data/real/tac2017/tac2017-train-labels.json, see its SOURCES.md) holds,
for 101 products, the boxed warning (38), warnings and precautions (W&P, 100) and adverse reactions
sections as flattened text, each with hand-made gold adverse-reaction mentions and their MedDRA
preferred terms (PTs). Each product becomes one openFDA ``drug/label`` result, all white space
collapsed (openFDA's layout today), read by
:func:`rxcompare.sources.labels.openfda_json.parse_openfda_label` (as ``bench/label_text_quality.py``
does). For each boxed-warning and W&P section:

- gold topics: the topics of the section's gold PTs through
  :func:`rxcompare.sources.labels.vocabulary.term_topics`, with their broader topics
  (``infections.tuberculosis`` also counts as ``infections``); PTs no rule maps ("Death",
  "Nausea") give no topic;
- predicted topics: the union over the section's parsed subsections (or the section itself when
  none was parsed) of :func:`rxcompare.sources.labels.vocabulary.assign_topics` (title first, text
  second, denials and counselling left out), with their broader topics.

Each (product, section, topic) in both is a true positive, predicted only a false positive, gold only
a false negative. Printed: per-topic precision and recall for the ``--top`` topics with most gold
occurrences, and the micro totals over all topics. The gold marks every mention, including those in a
denial or a cross-reference, while the assigner reads a titled subsection's text only for kinds of the
title's topics: recall therefore measures "does a subsection warn of it", against a gold of "is it
named anywhere in the section". ``--misses TOPIC`` lists that topic's false positives and negatives.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from label_text_quality import DEFAULT, openfda_result

from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.openfda_json import parse_openfda_label
from rxcompare.sources.labels.vocabulary import section_topics, term_topics, with_parents

CODES = {
    "boxed warnings": loinc.BOXED_WARNING,
    "warnings and precautions": loinc.WARNINGS_AND_PRECAUTIONS,
}


def load(path: Path) -> dict[str, dict[str, dict]]:
    """{product: {section name: record}} for the boxed-warning and W&P records."""
    products: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in json.loads(path.read_text(encoding="utf-8")):
        if r["section_name"] in CODES:
            products[r["label_id"]][r["section_name"]] = r
    return dict(products)


def measure(products: dict[str, dict[str, dict]]) -> dict:
    """Per-topic true positives, false positives and false negatives, and the cases behind them."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    cases: dict[str, list[str]] = defaultdict(list)
    sections = 0
    for name, records in sorted(products.items()):
        label = parse_openfda_label(openfda_result(name, records, "flat"), f"TAC 2017 {name}")
        for section_name, record in records.items():
            section = next((s for s in label.sections if s.code == CODES[section_name]), None)
            sections += 1
            gold = with_parents(
                k for _, pt, *_ in record["adverse_events"] if pt for k in term_topics(pt)
            )
            parts = section_topics(section) if section is not None else ()
            predicted = with_parents(k for _, keys in parts for k in keys)
            where = "BW" if section_name == "boxed warnings" else "W&P"
            for key in gold & predicted:
                tp[key] += 1
            for key in predicted - gold:
                fp[key] += 1
                titles = [s.title for s, keys in parts if key in with_parents(keys)]
                cases[key].append(f"FP {name} {where}: {titles}")
            for key in gold - predicted:
                fn[key] += 1
                pts = sorted(
                    {
                        pt
                        for _, pt, *_ in record["adverse_events"]
                        if pt and key in with_parents(term_topics(pt))
                    }
                )
                cases[key].append(f"FN {name} {where}: {pts}")
    return {"sections": sections, "tp": tp, "fp": fp, "fn": fn, "cases": cases}


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(r: dict, top: int) -> str:
    tp, fp, fn = r["tp"], r["fp"], r["fn"]
    gold = Counter({k: tp[k] + fn[k] for k in set(tp) | set(fn)})
    lines = [
        f"{r['sections']} sections (boxed warning and W&P) of the TAC 2017 training labels",
        f"{'topic':<32} {'gold':>5} {'pred':>5} {'TP':>4} {'precision':>9} {'recall':>6}",
    ]
    for key, g in sorted(gold.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        p = tp[key] + fp[key]
        lines.append(
            f"{key:<32} {g:>5} {p:>5} {tp[key]:>4} {_ratio(tp[key], p):>9} {_ratio(tp[key], g):>6}"
        )
    t, p, g = sum(tp.values()), sum(tp.values()) + sum(fp.values()), sum(gold.values())
    lines.append(
        f"{'micro (all topics)':<32} {g:>5} {p:>5} {t:>4} {_ratio(t, p):>9} {_ratio(t, g):>6}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--top", type=int, default=15, help="topics listed (most gold first)")
    parser.add_argument("--misses", metavar="TOPIC", help="list the topic's FP and FN cases")
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: not found; give the TAC 2017 training labels with --corpus")
    r = measure(load(args.corpus))
    print(report(r, args.top))
    if args.misses:
        print("\n".join(r["cases"].get(args.misses, [])))


if __name__ == "__main__":
    main()
