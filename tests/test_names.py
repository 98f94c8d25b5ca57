"""Which medicine is this? The embedded pack's answer to each kind of name a user types: brands,
generics, misspellings, other medicines of the class, names outside the pack (issue 26).

A near spelling is offered in the error, never taken in place of the name typed; a generic name of
several products is resolved as a brand is, and the comparison says which product it took and
names the others.
"""

from __future__ import annotations

import pytest

from rxcompare.comparison import compare, names_in_question
from rxcompare.comparison.resolve import WAYS_IN, resolve, resolve_pair
from rxcompare.errors import AmbiguousDrugError, QuestionError, UnknownDrugError
from rxcompare.sources.pack import load_pack


@pytest.fixture(scope="module")
def pack():
    return load_pack()


# name -> the product it resolves to alone, or the error it must get (with what the error offers)
ALONE = [
    # brands, any case, with marks
    ("Kesimpta", "kesimpta"),
    ("OCREVUS®", "ocrevus"),
    ("ocrevus zunovo", "ocrevus-zunovo"),
    ("Zunovo", "ocrevus-zunovo"),
    ("briumvi", "briumvi"),
    # generics of one product
    ("ublituximab", "briumvi"),
    ("teriflunomide", "aubagio"),
    ("interferon beta-1a", "rebif"),
    # a misspelling the pack lists as a synonym is a name of the pack
    ("kesimta", "kesimpta"),
    # generics of several products: refused alone (the pair resolves them, below)
    ("ofatumumab", (AmbiguousDrugError, ("KESIMPTA", "ARZERRA"))),
    ("ocrelizumab", (AmbiguousDrugError, ("OCREVUS", "OCREVUS ZUNOVO"))),
    # misspellings: offered, never taken
    ("kesimpa", (UnknownDrugError, ("KESIMPTA",))),
    ("ocrevsu", (UnknownDrugError, ("OCREVUS",))),
    ("teriflunomid", (UnknownDrugError, ("AUBAGIO",))),
    ("ocrevus zunvo", (UnknownDrugError, ("OCREVUS ZUNOVO",))),
    # other medicines of the class: not the pack's neighbour of a like spelling
    ("rituximab", (UnknownDrugError, ("BRIUMVI",))),
    ("Rituxan", (UnknownDrugError, ())),
    ("ofatumumab-xyz", (UnknownDrugError, ())),
    ("natalizumab", (UnknownDrugError, ())),
    # outside the pack
    ("clopidogrel", (UnknownDrugError, ())),
    ("Plavix", (UnknownDrugError, ())),
]


def _expected(value):
    return value[0].__name__ if isinstance(value, tuple) else value


@pytest.mark.parametrize("name, expected", ALONE, ids=[f"{n}->{_expected(e)}" for n, e in ALONE])
def test_each_name_gets_its_product_or_its_refusal(pack, name, expected):
    if isinstance(expected, tuple):
        error, offers = expected
        with pytest.raises(error) as info:
            resolve(name, pack)
        assert type(info.value) is error
        offered = set(info.value.suggestions)
        assert set(offers) <= offered, (offers, offered)
        if error is UnknownDrugError:
            # the ways in for a medicine the pack does not hold, and no option that does not exist
            assert WAYS_IN in str(info.value)
            assert "--online" in str(info.value) and "rxcompare pack add FILE" in str(info.value)
        assert "--route" not in str(info.value)
    else:
        drug = resolve(name, pack)
        assert drug.product.id == expected
        assert drug.products == (drug.product,)


def test_a_near_spelling_is_never_the_answer(pack):
    # the defect of issue 26: rituximab answered with BRIUMVI (ublituximab)
    with pytest.raises(UnknownDrugError) as info:
        resolve_pair("rituximab", "ocrevus", pack)
    assert "no medicine called 'rituximab'" in str(info.value)
    assert "Not taken in its place" in str(info.value)
    with pytest.raises(UnknownDrugError):
        compare("rituximab", "ocrevus", pack=pack)


# pair -> the two products, and how each was taken (the indication it shares, the others named)
PAIRS = [
    (("kesimpta", "ocrevus"), ("kesimpta", ""), ("ocrevus", "")),
    (("ofatumumab", "ocrelizumab"), ("kesimpta", "multiple sclerosis"), ("ocrevus", "")),
    (("ocrelizumab", "ofatumumab"), ("ocrevus", ""), ("kesimpta", "multiple sclerosis")),
    (("ofatumumab", "ocrevus"), ("kesimpta", "multiple sclerosis"), ("ocrevus", "")),
    (("ublituximab", "ocrelizumab"), ("briumvi", ""), ("ocrevus", "")),
    (("ocrelizumab", "aubagio"), ("ocrevus", ""), ("aubagio", "")),
]
OTHERS = {"kesimpta": ("arzerra",), "ocrevus": ("ocrevus-zunovo",)}


@pytest.mark.parametrize("names, a, b", PAIRS, ids=[" vs ".join(p[0]) for p in PAIRS])
def test_generics_resolve_as_brands_in_a_pair(pack, names, a, b):
    da, db = resolve_pair(*names, pack)
    for name, drug, (pid, by) in ((names[0], da, a), (names[1], db, b)):
        assert (drug.product.id, drug.resolved_by) == (pid, by)
        # the products a generic name also names are kept, to be said; a brand names no other
        generic = name == drug.ingredient
        assert tuple(p.id for p in drug.others) == (OTHERS.get(pid, ()) if generic else ())


@pytest.mark.parametrize(
    "names, message",
    [
        (("ofatumumab", "arzerra"), "'arzerra' is one of them"),
        (("ocrelizumab", "ocrevus zunovo"), "'ocrevus zunovo' is one of them"),
        (("ofatumumab", "humira"), "matches 2 products"),  # no indication in common: not guessed
    ],
)
def test_a_pair_that_does_not_settle_a_generic_is_refused(pack, names, message):
    with pytest.raises(AmbiguousDrugError) as info:
        resolve_pair(*names, pack)
    assert message in str(info.value) and "--indication" in str(info.value)
    assert "--route" not in str(info.value)


def test_the_comparison_says_which_product_it_took_and_names_the_other(pack):
    c = compare("ofatumumab", "ocrelizumab", pack=pack)
    assert (c.a.product.brand, c.b.product.brand) == ("KESIMPTA", "OCREVUS")
    lines = [line.text for line in c.summary.notices if line.topic == "resolution"]
    assert lines == [
        "'ofatumumab' taken as KESIMPTA, the ofatumumab product for multiple sclerosis, the indication "
        "it shares with OCREVUS. ARZERRA (ofatumumab; intravenous; chronic lymphocytic leukemia) is "
        "another ofatumumab product, not compared here; name it by its brand to compare it.",
        "'ocrelizumab' taken as OCREVUS (ocrelizumab; intravenous; multiple sclerosis). OCREVUS ZUNOVO "
        "(ocrelizumab; subcutaneous; multiple sclerosis) is another ocrelizumab product, not compared "
        "here; name it by its brand to compare it.",
    ]


@pytest.mark.parametrize(
    "question, names",
    [
        ("Is Kesimpta safer than Ocrevus?", ("kesimpta", "ocrevus")),
        ("Is rituximab safer than Ocrevus?", ("rituximab", "Ocrevus")),  # compare then refuses it
        ("clopidogrel vs ticagrelor", ("clopidogrel", "ticagrelor")),
        ("Which is safer, Plavix or Brilinta for older patients?", ("Plavix", "Brilinta")),
    ],
)
def test_ask_finds_the_names_compare_would_be_given(pack, question, names):
    assert names_in_question(question, pack) == names


@pytest.mark.parametrize("question", ["Is Kesimpta safe?", "Kesimpta or not?", "what is this"])
def test_ask_refuses_a_question_without_two_names(pack, question):
    with pytest.raises(QuestionError):
        names_in_question(question, pack)
