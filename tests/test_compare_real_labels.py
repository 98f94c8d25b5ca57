"""Real US labels the pack never held, compared through the online route: the TAC 2017 training
labels (../shared/data/real/tac2017: boxed warning, warnings and precautions and adverse reactions
as openFDA flattens them) served in openFDA's drug/label.json shape by a real HTTP server on
loopback, fetched by `rxcompare compare A B --online`'s own code.

The expectations below were written from the labels' own subsection headings before the
alignment was run: what both warn of, and what only one warns of (each label's section 5 is
served whole, so a warning one label lacks is a difference, never "not in pack"). Skipped where
../shared is absent (a user's clone)."""

from __future__ import annotations

import itertools

import pytest
from helpers import serve_loopback, tac_label_answer, tac_openfda_results

from rxcompare.comparison import compare
from rxcompare.models import NOT_IN_PACK
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.pack import load_pack
from rxcompare.sources.pack.update import pack_with_online_labels

NAMES = ("Trulicity", "Tanzeum", "Gilenya", "Tecfidera", "Jardiance", "Nesina", "Pradaxa", "Cimzia")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    tac_openfda_results()  # skips without ../shared
    mp = pytest.MonkeyPatch()
    with serve_loopback(tac_label_answer) as base:
        mp.setenv("RXCOMPARE_OPENFDA_BASE", base)
        mp.setenv("RXCOMPARE_CACHE", str(tmp_path_factory.mktemp("cache")))
        with OpenFdaClient() as client:
            yield pack_with_online_labels(load_pack(), NAMES, client)
    mp.undo()


def _names(lines) -> set[str]:
    return {line.text.lower() for line in lines}


# pair -> (warnings both carry, warnings only the first carries, only the second): words each
# must contain, read from the two labels' W&P headings before the code was run
EXPECTED = {
    ("Trulicity", "Tanzeum"): (
        ["pancreatitis", "hypoglyc", "hypersensitivity", "renal", "thyroid"],
        ["gastrointestinal"],
        [],
    ),
    ("Gilenya", "Tecfidera"): (
        ["progressive multifocal"],
        ["macular", "liver", "fetal"],
        ["flushing", "lymphopenia"],
    ),
    ("Jardiance", "Nesina"): (
        ["hypoglyc"],
        ["hypotension", "mycotic", "urinary tract"],
        ["pancreatitis", "hepatic", "arthralgia"],
    ),
}


@pytest.mark.parametrize("pair", list(EXPECTED), ids=["-".join(p) for p in EXPECTED])
def test_shared_and_different_warnings_of_real_labels(pack, pair):
    c = compare(*pair, pack=pack)
    both, only_a, only_b = EXPECTED[pair]
    shared = " | ".join(_names(c.summary.shared))
    for word in both:
        assert word in shared, (pair, word, shared)
    # every difference (the summary shows the weightiest; the findings hold them all)
    differs = [f.statement.lower() for f in c.findings if f.kind == "differs"]
    for word, drug in [(w, pair[0]) for w in only_a] + [(w, pair[1]) for w in only_b]:
        other = pair[1] if drug == pair[0] else pair[0]
        warns = [t for t in differs if word in t and t.startswith("only the")]
        assert warns and all(t.startswith(f"only the {drug.lower()} label") for t in warns), (
            pair,
            word,
            differs,
        )
        assert not any(word in t and other.lower() in t.split(";")[0] for t in warns), (pair, word)


@pytest.mark.parametrize("pair", list(itertools.combinations(NAMES, 2)), ids=lambda p: "-".join(p))
def test_a_section_served_whole_is_never_called_missing(pack, pair):
    """Sections 5 and 6 were served for every label: no cell, statement or summary line says
    they are not in the pack; section 1 was not, so 'no shared indication' is never asserted."""
    c = compare(*pair, pack=pack)
    for f in c.findings:
        if f.topic.startswith(("warning.", "subject.", "title.")):
            assert NOT_IN_PACK not in (f.a_text, f.b_text), (pair, f.topic)
            assert "not held in full" not in f.statement, (pair, f.statement)
    for line in c.summary.lines:
        assert "section 5 of" not in line.text and "share no indication" not in line.text, line.text
    shown = [x for x in c.summary.differs if x.topic != "more"]
    nums = [len(shown), len(c.summary.shared), len(c.summary.cannot_tell)]
    assert all(f"{n} " in c.summary.answer.text for n in nums), c.summary.answer.text
