"""The comparison on the embedded knowledge pack: Kesimpta vs Ocrevus, the Kesimpta/Arzerra
distinction, a pair that is not anti-CD20 vs anti-CD20, and every finding cited."""

from __future__ import annotations

import json

import pytest

from rxcompare.comparison import compare, names_in_question
from rxcompare.comparison.resolve import resolve, resolve_pair
from rxcompare.errors import AmbiguousDrugError
from rxcompare.models import Favours
from rxcompare.render.json import render_json
from rxcompare.sources.pack import load_pack

DIMENSIONS = {
    "mechanism",
    "administration",
    "administration_reactions",
    "infections",
    "vaccinations",
    "malignancy",
    "immunoglobulins",
    "pregnancy",
    "other_warnings",
    "trial_reactions",
    "postmarketing",
    "monitoring",
    "convenience",
}


@pytest.fixture(scope="module")
def pack():
    return load_pack()


@pytest.mark.parametrize(
    "name, product",
    [
        ("Kesimpta", "kesimpta"),
        ("kesimta", "kesimpta"),
        ("OCREVUS", "ocrevus"),
        ("ocrelizumab zunovo", "ocrevus-zunovo"),
        ("Ocrevus Zunovo", "ocrevus-zunovo"),
        ("arzerra", "arzerra"),
        ("ublituximab", "briumvi"),
        ("teriflunomide", "aubagio"),
        ("interferon beta-1a", "rebif"),
    ],
)
def test_pack_names_resolve(pack, name, product):
    assert resolve(name, pack).product.id == product


def test_ofatumumab_is_never_merged(pack):
    with pytest.raises(AmbiguousDrugError) as info:
        resolve("ofatumumab", pack)
    assert set(info.value.suggestions) == {"KESIMPTA", "ARZERRA"}
    assert resolve("ofatumumab", pack, indication="multiple sclerosis").product.id == "kesimpta"
    assert resolve("ofatumumab", pack, route="intravenous").product.id == "arzerra"
    a, b = resolve_pair("ofatumumab", "ocrevus", pack)  # the other drug's indication decides
    assert a.product.id == "kesimpta"


def test_kesimpta_and_arzerra_are_compared_as_different_products(pack):
    c = compare("arzerra", "kesimpta", pack=pack)
    boxed = next(f for f in c.findings if f.topic == "boxed_warning")
    assert (
        boxed.favours is Favours.B
        and "Only the ARZERRA label carries a boxed warning" in boxed.statement
    )
    assert all(cit.set_id != pack.product("kesimpta").set_id for cit in boxed.citations[:1])


@pytest.mark.parametrize(
    "pair",
    [("kesimpta", "ocrevus"), ("ocrevus", "aubagio"), ("briumvi", "rebif"), ("humira", "lipitor")],
)
def test_every_dimension_and_every_finding_cited(pack, pair):
    c = compare(*pair, pack=pack)
    # a dimension on which the pack holds nothing for either drug is left out (the coverage lines
    # of the summary say which sections it lacks)
    assert {d.key for d in c.dimensions} <= DIMENSIONS and "administration" in {
        d.key for d in c.dimensions
    }
    doc = json.loads(render_json(c))
    for d in doc["dimensions"]:
        assert d["findings"], d["key"]
        for f in d["findings"]:
            assert f["citations"], f"{d['key']}: {f['statement']}"
            for cit in f["citations"]:
                assert cit["kind"] in ("label", "faers", "openfda", "trial", "pack")
                if cit["kind"] == "label":
                    # a label version read is dated; a document that shows no version says so
                    # ("version not shown") and then may show no date either
                    assert cit["set_id"] and cit["version"]
                    if (
                        cit.get("source_class", "label") == "label"
                        and cit["version"] != "version not shown"
                    ):
                        assert cit["effective_date"]
                if (
                    cit["kind"] == "pack"
                ):  # a statement about the pack's gaps cites no label section
                    assert not cit["section"]


def test_numbers_in_statements_trace_to_cited_facts(pack):
    """Every percentage in a label-grade statement or side text appears in a cited fact's text."""
    import re

    c = compare("kesimpta", "ocrevus", pack=pack)
    texts = {f.text for f in pack.facts}
    for f in c.findings:
        if f.grade.value != "label":
            continue
        for side in (f.a_text, f.b_text):
            for pct in re.findall(r"\d+(?:\.\d+)?%", side):
                assert any(pct in t for t in texts), (pct, side)


def test_spl_built_entry_trial_figures_use_the_same_trial_comparator(pack):
    c = compare("humira", "lipitor", pack=pack)
    trial = [f for f in c.findings if f.dimension == "trial_reactions" and f.estimates]
    assert trial, "Humira's SPL tables give placebo-controlled incidences"
    assert all(f.favours is Favours.UNCLEAR for f in trial)  # not head-to-head: never favours
    assert any(f.topic == "trial.no_head_to_head" for f in c.findings)


def test_ask_finds_the_two_medicines(pack):
    assert names_in_question("Is Kesimpta safer than Ocrevus?", pack) == ("kesimpta", "ocrevus")
    assert names_in_question("kesimta or ocrelizumab zunovo for my MS?", pack) == (
        "kesimta",
        "ocrelizumab zunovo",
    )
