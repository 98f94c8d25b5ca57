"""How well the openFDA text path reads real flattened labels: the TAC 2017 training labels.

    python bench/label_text_quality.py [--corpus PATH] [--layout flat|lines|both] [--misses N]
                                       [--before REV]

``--before REV`` measures the parser as it was at a git revision (its ``src`` exported by ``git
archive`` to a temporary folder, this script run on it in a child process) and prints both side by
side: ``--before 1e1d946`` is the parser before this benchmark's work on the text path.

The corpus (../shared/data/real/tac2017/tac2017-train-labels.json, see its SOURCES.md) holds, for 101
products, the boxed warning, warnings and precautions (W&P) and adverse reactions sections as text,
with hand-made gold adverse-reaction mentions (MedDRA preferred terms). Each product becomes one
openFDA ``drug/label`` result (``boxed_warning``, ``warnings_and_cautions``, ``adverse_reactions``)
read by :func:`rxcompare.sources.labels.openfda_json.parse_openfda_label` and
:func:`rxcompare.sources.labels.facts.extract_facts`, exactly as ``pack update`` reads openFDA.

Layouts: ``flat`` collapses all white space (what openFDA's fields hold today: headings, Highlights
excerpts and tables run together on one line); ``lines`` keeps the corpus's line breaks (an older
openFDA layout, read by the parser's line path).

Figures printed:

- W&P numbers: a product's expected subsection numbers are every "5.k" its own text cross-references
  (inside brackets or parentheses holding only section numbers, e.g. "[see Warnings and Precautions
  (5.3)]" or "(5.1, 5.2)", in any of its three sections), kept when "5.k" also stands in the W&P text
  outside such a reference (a number cited but printed nowhere else is a label error, listed apart),
  plus, "contiguous", 5.1 up to the highest expected number. "All found" means every expected number
  is the number of a subsection of the parsed W&P section. Both definitions are printed.
- topics: the share of parsed W&P subsections whose fact carries a topic other than
  ``warning.other``, or ``warning.other`` with a ``subject`` qualifier (cardiac, bleeding, ...;
  see ``WARNING_SUBJECTS`` in rxcompare.sources.labels.topics); a subsection without a fact counts
  as not given a topic.
- titles: how many parsed W&P subsections have a title, and how many were left untitled (the
  parser found no bounded heading).
- title agreement: the corpus keeps line breaks, and a heading stands on its own line ("5.3
  Progressive Multifocal Leukoencephalopathy"); each parsed subsection title is compared with that
  line's title (white space normalised, case-sensitive), in both layouts (the line layout's parser
  reads those same lines, so there the figure only shows the two agree; the flat layout's is the
  test). Subsections whose number
  has no such line are counted apart (a heading line the reference rule missed, or a false split).
- boxed warnings: products whose corpus has a boxed-warning section and whose facts hold at least one
  ``boxed_warning`` fact.
- incidences: Incidence records extracted, and the number of products with at least one.
- recall: gold mentions are reduced to one (product, preferred term) pair each; a pair is recalled
  when a reaction the extraction names matches it. Names: every incidence's event, every fact's
  text and every W&P subsection title. Match "PT": the preferred-term name occurs in a name as
  whole words, case-insensitive (an incidence event must equal it). Match "PT or mention": the PT
  name or one of the gold mention strings for that pair occurs likewise (the labels write "anemia"
  where MedDRA's PT is "Anaemia"). Both are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from rxcompare.models import Fact, Incidence, Label, Section
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.facts import extract_facts
from rxcompare.sources.labels.openfda_json import parse_openfda_label

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/real/tac2017/tac2017-train-labels.json"
)
FIELDS = {
    "boxed warnings": "boxed_warning",
    "warnings and precautions": "warnings_and_cautions",
    "adverse reactions": "adverse_reactions",
}
# a reference: "(5.1)", "(5.1, 5.2)", "[see Warnings and Precautions (5.3)]", "(5.2, 6.1)"
_REF = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_REF_BODY = re.compile(r"^(?:see\s+)?(?:[A-Z][A-Za-z ,&]*)?\s*\(?\s*[\d.,\s]+\)?\s*$")
_W_NUMBER = re.compile(r"(?<![\d.])5\.(\d{1,2})(?![\d])")


def load_products(path: Path) -> dict[str, dict]:
    """Corpus records grouped by product: {label_id: {section name: record}}."""
    records = json.loads(path.read_text(encoding="utf-8"))
    products: dict[str, dict] = defaultdict(dict)
    for r in records:
        products[r["label_id"]][r["section_name"]] = r
    return dict(products)


def openfda_result(name: str, sections: dict, layout: str) -> dict:
    """One openFDA drug/label result holding a corpus product's sections."""
    result = {
        "set_id": f"tac2017-{name}",
        "version": "0",
        "effective_time": "20170101",
        "openfda": {"brand_name": [name]},
    }
    for section_name, record in sections.items():
        text = record["section_text"]
        if layout == "flat":
            text = " ".join(text.split())
        result[FIELDS[section_name]] = [text]
    return result


def cited_numbers(text: str) -> set[int]:
    """k of every 5.k cross-referenced in the text (brackets holding section numbers)."""
    out: set[int] = set()
    flat = " ".join(text.split())
    for m in _REF.finditer(flat):
        body = m.group(1)
        if not re.search(r"\d", body):
            continue
        # a reference's body is section numbers, optionally after a section's name
        names_removed = re.sub(r"[A-Za-z][A-Za-z ,&]*\(?", " ", body)
        if re.fullmatch(r"[\d.,;\s)]*", names_removed):
            out |= {int(k) for k in _W_NUMBER.findall(body)}
    return out


def printed_numbers(text: str) -> set[int]:
    """k of every 5.k standing in the text outside a bracketed reference."""
    flat = _REF.sub(" ", " ".join(text.split()))
    return {int(k) for k in _W_NUMBER.findall(flat)}


def expected_numbers(sections: dict) -> tuple[set[int], set[int]]:
    """(expected, cited but printed nowhere else) W&P subsection numbers of a product."""
    wp = sections.get("warnings and precautions")
    if wp is None:
        return set(), set()
    cited: set[int] = set()
    for record in sections.values():
        cited |= cited_numbers(record["section_text"])
    printed = printed_numbers(wp["section_text"])
    return cited & printed, cited - printed


def heading_lines(text: str) -> dict[int, str]:
    """The title of each "5.k Title" heading line of the stored text (its line breaks kept): the
    reference the flat layout's titles are checked against."""
    out: dict[int, str] = {}
    for line in text.splitlines():
        m = re.match(r"^\s*5\.(\d{1,2})\s+(\S.*?)\s*$", line)
        if m and len(m.group(2).split()) <= 20 and not m.group(2).endswith("."):
            out.setdefault(int(m.group(1)), " ".join(m.group(2).split()))
    return out


def wp_section(label: Label) -> Section | None:
    return next((s for s in label.sections if s.code == loinc.WARNINGS_AND_PRECAUTIONS), None)


def names_of(
    facts: list[Fact], incidences: list[Incidence], label: Label
) -> tuple[list[str], set[str]]:
    """(texts that name reactions: facts and W&P titles; incidence events, lower-case)."""
    texts = [f.text for f in facts]
    wp = wp_section(label)
    if wp is not None:
        texts += [s.title for s in wp.walk() if s.title]
    events = {" ".join(i.event.lower().split()) for i in incidences}
    return texts, events


def _words(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(" ".join(term.lower().split())) + r"(?![\w])")


def measure(products: dict[str, dict], layout: str, misses: int = 0) -> dict:
    """Every figure of the benchmark for one layout."""
    n_wp = all_cited = all_contig = 0
    subs = topical = titled = 0
    title_checked = title_equal = 0
    wrong_titles: list[str] = []
    unheaded: list[str] = []
    n_boxed = boxed_found = 0
    incidences = 0
    with_incidences = 0
    gold = recalled_pt = recalled_any = 0
    mis_cited: list[str] = []
    failures: list[str] = []
    untopical: list[str] = []
    for name, sections in sorted(products.items()):
        label = parse_openfda_label(openfda_result(name, sections, layout), f"TAC 2017 {name}")
        facts, incs = extract_facts(label, name.lower())
        wp = wp_section(label)
        if "warnings and precautions" in sections:
            n_wp += 1
            expected, only_cited = expected_numbers(sections)
            mis_cited += [f"{name} 5.{k}" for k in sorted(only_cited)]
            found = set()
            if wp is not None:
                found = {
                    int(s.number.split(".")[1])
                    for s in wp.subsections
                    if s.number and s.number.count(".") == 1
                }
            contiguous = set(range(1, max(expected, default=0) + 1))
            all_cited += expected <= found
            all_contig += (expected | contiguous) <= found
            if not expected <= found:
                failures.append(f"{name}: missing {sorted(expected - found)}")
            reference = heading_lines(sections["warnings and precautions"]["section_text"])
            if wp is not None:
                for s in wp.subsections:
                    subs += 1
                    titled += bool(s.title)
                    want = reference.get(int(s.number.split(".")[1])) if s.number else None
                    if want is None:
                        unheaded.append(f"{name} {s.number} {s.title!r}")
                    else:
                        title_checked += 1
                        title_equal += s.title == want
                        if s.title != want:
                            wrong_titles.append(f"{name} {s.number} {s.title!r} (line: {want!r})")
                    warned = [
                        f
                        for f in facts
                        if f.citation.section == s.number and f.topic.startswith("warning.")
                    ]
                    if warned and (
                        warned[0].topic != "warning.other" or warned[0].qualifier("subject")
                    ):
                        topical += 1
                    else:
                        untopical.append(f"{name} {s.number} {s.title!r}")
        if "boxed warnings" in sections:
            n_boxed += 1
            boxed_found += any(f.topic == "boxed_warning" for f in facts)
        incidences += len(incs)
        with_incidences += bool(incs)
        texts, events = names_of(facts, incs, label)
        low_texts = [t.lower() for t in texts]
        pairs: dict[str, set[str]] = defaultdict(set)
        for record in sections.values():
            for mention, pt, *_ in record["adverse_events"]:
                if pt:
                    pairs[pt.lower()].add(mention.lower())
        for pt, mentions in pairs.items():
            gold += 1
            pt_hit = pt in events or any(_words(pt).search(t) for t in low_texts)
            any_hit = pt_hit or any(
                " ".join(m.split()) in events or any(_words(m).search(t) for t in low_texts)
                for m in mentions
            )
            recalled_pt += pt_hit
            recalled_any += any_hit
    result = {
        "layout": layout,
        "products": len(products),
        "wp_products": n_wp,
        "all_cited_found": all_cited,
        "all_contiguous_found": all_contig,
        "subsections": subs,
        "titled": titled,
        "with_topic": topical,
        "title_checked": title_checked,
        "title_equal": title_equal,
        "unheaded": unheaded,
        "boxed": n_boxed,
        "boxed_found": boxed_found,
        "incidences": incidences,
        "products_with_incidences": with_incidences,
        "gold_pairs": gold,
        "recalled_pt": recalled_pt,
        "recalled_pt_or_mention": recalled_any,
        "cited_not_printed": mis_cited,
    }
    if misses:
        result["missing"] = failures[:misses]
        result["untopical"] = untopical[:misses]
        result["wrong_title"] = wrong_titles[:misses]
    return result


def _share(a: int, b: int) -> str:
    return f"{a}/{b} = {100 * a / b:.1f}%" if b else f"{a}/0"


def report(r: dict) -> str:
    lines = [
        f"layout {r['layout']}: {r['products']} products",
        f"  W&P subsection numbers all found (cross-referenced): {_share(r['all_cited_found'], r['wp_products'])}",
        f"  W&P subsection numbers all found (5.1..5.max contiguous): {_share(r['all_contiguous_found'], r['wp_products'])}",
        f"  W&P subsections given a topic: {_share(r['with_topic'], r['subsections'])}",
        f"  W&P subsections with a title: {_share(r['titled'], r['subsections'])}",
        f"  W&P titles equal to the stored text's heading line: {_share(r['title_equal'], r['title_checked'])}",
        f"  W&P subsections without a heading line of that number in the stored text: "
        f"{len(r['unheaded'])}" + (f" ({'; '.join(r['unheaded'][:6])})" if r["unheaded"] else ""),
        f"  boxed warnings recognised: {_share(r['boxed_found'], r['boxed'])}",
        f"  incidences extracted: {r['incidences']} in {r['products_with_incidences']} products",
        f"  gold (product, PT) pairs recalled, PT match: {_share(r['recalled_pt'], r['gold_pairs'])}",
        f"  gold (product, PT) pairs recalled, PT or mention match: {_share(r['recalled_pt_or_mention'], r['gold_pairs'])}",
        f"  numbers cross-referenced but printed nowhere else (not expected): {len(r['cited_not_printed'])}"
        + (f" ({', '.join(r['cited_not_printed'][:8])})" if r["cited_not_printed"] else ""),
    ]
    for key in ("missing", "untopical", "wrong_title"):
        for item in r.get(key, []):
            lines.append(f"    {key}: {item}")
    return "\n".join(lines)


def before(rev: str, corpus: Path, layout: str) -> list[dict]:
    """The figures of the parser as it was at git revision ``rev``: its ``src`` exported with
    ``git archive`` to a temporary folder and this same script run on it in a child process."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="rxcompare-before-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", rev, "src"], capture_output=True, check=False
        )
        if archive.returncode:
            sys.exit(f"git archive {rev} failed: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        out = subprocess.run(
            [sys.executable, __file__, "--json", "--layout", layout, "--corpus", str(corpus)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            sys.exit(f"the parser at {rev} failed on the corpus:\n{out.stderr[-2000:]}")
        return json.loads(out.stdout)


_ROWS = (
    ("W&P numbers all found (cross-referenced)", "all_cited_found", "wp_products"),
    ("W&P numbers all found (contiguous)", "all_contiguous_found", "wp_products"),
    ("W&P subsections given a topic", "with_topic", "subsections"),
    ("W&P titles equal to the heading line", "title_equal", "title_checked"),
    ("boxed warnings recognised", "boxed_found", "boxed"),
    ("products with incidences", "products_with_incidences", "products"),
    ("gold pairs recalled, PT match", "recalled_pt", "gold_pairs"),
    ("gold pairs recalled, PT or mention", "recalled_pt_or_mention", "gold_pairs"),
)


def side_by_side(old: dict, new: dict, rev: str) -> str:
    """Before and after, one row per figure."""
    lines = [f"{'layout ' + new['layout']:<60} {'at ' + rev:>22} {'now':>22}"]
    for label, num, den in _ROWS:
        lines.append(
            f"  {label:<58} {_share(old[num], old[den]):>22} {_share(new[num], new[den]):>22}"
        )
    lines.append(f"  {'incidences extracted':<58} {old['incidences']:>22} {new['incidences']:>22}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--layout", choices=("flat", "lines", "both"), default="both")
    parser.add_argument("--misses", type=int, default=0, help="list up to N misses of each kind")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--before", metavar="REV", help="also measure the parser at git revision REV, side by side"
    )
    args = parser.parse_args()
    if not args.corpus.exists():
        sys.exit(f"{args.corpus}: corpus not found; pass --corpus PATH (tac2017-train-labels.json)")
    products = load_products(args.corpus)
    layouts = ("flat", "lines") if args.layout == "both" else (args.layout,)
    results = [measure(products, layout, args.misses) for layout in layouts]
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print("\n".join(report(r) for r in results))
    if args.before:
        old = before(args.before, args.corpus.resolve(), args.layout)
        print()
        print("\n".join(side_by_side(o, n, args.before) for o, n in zip(old, results)))


if __name__ == "__main__":
    main()
