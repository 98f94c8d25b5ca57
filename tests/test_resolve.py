"""Resolution of free text to products, on the fictional fixture pack and the embedded pack."""

from __future__ import annotations

import pytest
from helpers import fixture_pack_file

from rxcompare.comparison.resolve import find_mentions, normalise_name, resolve, resolve_pair
from rxcompare.errors import AmbiguousDrugError, QuestionError, UnknownDrugError
from rxcompare.sources.pack import load_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return load_pack(fixture_pack_file(tmp_path_factory.mktemp("pack")))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Alphex", "alphex"),
        ("ALPHEX®", "alphex"),
        ("  alphex  ", "alphex"),
        ("alfex", "alphex"),  # a listed synonym
        ("Alphex IV", "alphex-iv"),
        ("alphamab iv", "alphex-iv"),  # ingredient + brand token
        ("betanib", "betanib"),
    ],
)
def test_resolves_names(pack, text, expected):
    assert resolve(text, pack).product.id == expected


def test_ingredient_with_several_products_is_never_merged(pack):
    with pytest.raises(AmbiguousDrugError) as info:
        resolve("alphamab", pack)
    assert set(info.value.suggestions) == {"Alphex", "Alphex IV"}
    assert "Alphex IV (alphamab; intravenous; fictional leukemia)" in str(info.value)


@pytest.mark.parametrize(
    "context, expected",
    [({"indication": "fictional leukemia"}, "alphex-iv"), ({"route": "subcutaneous"}, "alphex")],
)
def test_context_resolves_ambiguity(pack, context, expected):
    assert resolve("alphamab", pack, **context).product.id == expected


def test_pair_uses_other_drug_indication(pack):
    a, b = resolve_pair("alphamab", "betanib", pack)
    assert (a.product.id, b.product.id) == ("alphex", "betanib")


@pytest.mark.parametrize("text", ["aspirinx", "zzzz", "", " ", "x" * 500])
def test_unknown_names_fail_clearly(pack, text):
    with pytest.raises(UnknownDrugError):
        resolve(text, pack)


@pytest.mark.parametrize(
    "text, offered", [("betanip x", "Betanib"), ("alphexx", "Alphex"), ("alphex ivv", "Alphex IV")]
)
def test_a_close_name_is_offered_never_taken(pack, text, offered):
    with pytest.raises(UnknownDrugError) as info:
        resolve(text, pack)
    assert offered in info.value.suggestions
    assert "Not taken in its place" in str(info.value)


def test_same_product_twice_is_refused(pack):
    with pytest.raises(QuestionError):
        resolve_pair("alphex", "ALFEX", pack)


@pytest.mark.parametrize(
    "question, mentions",
    [
        ("Is Alphex safer than Betanib?", ["alphex", "betanib"]),
        ("alphex or betanib, which one?", ["alphex", "betanib"]),
        ("Is Alphex IV safer than betanib", ["alphex iv", "betanib"]),
        ("Is Alphex safe?", ["alphex"]),
        ("Alphex, Alphex and alfex", ["alphex"]),
    ],
)
def test_mentions_in_questions(pack, question, mentions):
    assert find_mentions(question, pack) == mentions


def test_normalise_name():
    assert normalise_name("OCREVUS® (ocrelizumab) Zunovo™") == "ocrevus ocrelizumab zunovo"
