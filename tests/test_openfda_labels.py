"""Labels fetched from openFDA drug/label.json for drugs the pack does not hold.

Answers come from tests/fixtures/openfda/labels-alphex.json: CONSTRUCTED in openFDA's answer shape,
about FICTIONAL products (Alphex and Alphex IV share the ingredient alphamab), with made-up text.
"""

from __future__ import annotations

import json

import httpx
import pytest
from helpers import KEY, Recorded, fixture_pack_file, make_client

from rxcompare.comparison.resolve import resolve_pair
from rxcompare.errors import AmbiguousDrugError, ConfigError, UnknownDrugError
from rxcompare.models import Product
from rxcompare.sources.openfda.labels import fetch_label, find_brand
from rxcompare.sources.pack import Pack, load_pack
from rxcompare.sources.pack.update import pack_with_online_labels

LABEL_URL = (
    "https://api.fda.gov/drug/label.json?limit=1&search=openfda.brand_name.exact%3A%22Alphex%22"
    "&sort=effective_time%3Adesc"
)


def recorded_client(tmp_path):
    recorded = Recorded("labels-alphex.json")
    return recorded, make_client(tmp_path, recorded.transport())


def brands_client(tmp_path, answers: dict[str, list[str] | None]):
    """A client whose brand-count answers come from ``answers`` (name -> brands, None = 404)."""
    asked: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        asked.append(q)
        name = q["search"].split('"')[1]
        brands = answers.get(name) if "count" in q else None
        if not brands:
            return httpx.Response(
                404, json={"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
            )
        return httpx.Response(
            200,
            json={
                "meta": {"last_updated": "2025-06-24"},
                "results": [{"term": b, "count": 1} for b in brands],
            },
        )

    return asked, make_client(tmp_path, httpx.MockTransport(answer))


@pytest.mark.parametrize("name", ["alphex", "ALPHEX", " Alphex "])
def test_find_brand_takes_the_brand_equal_to_the_name(tmp_path, name):
    recorded, client = recorded_client(tmp_path)
    assert find_brand(name, client) == ("Alphex",)
    ((path, params),) = recorded.requests
    assert path == "/drug/label.json"
    assert params["search"] == 'openfda.brand_name:"ALPHEX" openfda.generic_name:"ALPHEX"'
    assert params["count"] == "openfda.brand_name.exact" and params["limit"] == "1000"


@pytest.mark.parametrize(
    "brands, spellings",
    [
        (["Gammex"], ("Gammex",)),
        (["Gammex", "GAMMEX"], ("Gammex", "GAMMEX")),
        (["Gammanib", "Gammex", "GAMMANIB"], ("Gammanib", "GAMMANIB")),
    ],
)
def test_find_brand_with_one_brand_or_an_exact_one(tmp_path, brands, spellings):
    _, client = brands_client(tmp_path, {"GAMMANIB": brands})
    assert find_brand("gammanib", client) == spellings


def test_every_spelling_of_the_brand_is_searched(tmp_path):
    asked, client = brands_client(tmp_path, {"GAMMANIB": ["Gammex", "GAMMEX"]})
    with pytest.raises(UnknownDrugError, match="returned no label"):
        fetch_label("gammanib", client)
    assert asked[1]["search"] == 'openfda.brand_name.exact:("Gammex" OR "GAMMEX")'


def test_an_ingredient_with_several_brands_is_refused_with_the_choices(tmp_path):
    _, client = recorded_client(tmp_path)
    with pytest.raises(AmbiguousDrugError, match="name the brand") as info:
        find_brand("alphamab", client)
    assert info.value.suggestions == ("Alphex", "Alphex IV")
    assert "Alphex, Alphex IV" in str(info.value)


@pytest.mark.parametrize(
    "name, error", [("nosuchname", UnknownDrugError), ('al"phex', ConfigError), ("", ConfigError)]
)
def test_unknown_or_unsendable_names(tmp_path, name, error):
    recorded, client = recorded_client(tmp_path)
    with pytest.raises(error):
        find_brand(name, client)
    assert len(recorded.requests) == (1 if error is UnknownDrugError else 0)


def test_fetch_label_newest_version_into_product_and_facts(tmp_path):
    recorded, client = recorded_client(tmp_path)
    product, facts, incidences = fetch_label("alphex", client)
    assert [p for _, p in recorded.requests][1] == {
        "api_key": KEY,
        "limit": "1",
        "search": 'openfda.brand_name.exact:"Alphex"',
        "sort": "effective_time:desc",
    }
    assert (product.id, product.brand, product.ingredient) == ("alphex", "Alphex", "alphamab")
    assert product.set_id == "00000000-0000-0000-0000-00000000000d"
    assert facts, "the fixture label has indication, warning and dosing sections"
    for record in [*facts, *incidences]:
        c = record.citation
        assert c.kind == "label" and not c.curated
        assert (c.set_id, c.version, c.effective_date) == (
            "00000000-0000-0000-0000-00000000000d",
            "4",
            "2024-03-15",
        )
        assert c.url == LABEL_URL
        assert record.product == "alphex"
    assert {"indication", "warning.infections"} <= {f.topic for f in facts}
    assert KEY not in json.dumps([str(f) for f in facts])


def test_a_listed_brand_without_a_label_is_an_error(tmp_path):
    _, client = brands_client(tmp_path, {"GAMMANIB": ["Gammex"]})
    with pytest.raises(UnknownDrugError, match="returned no label"):
        fetch_label("gammanib", client)


def test_pack_with_online_labels_adds_what_the_pack_lacks(tmp_path):
    betanib = Product(id="betanib", brand="Betanib", ingredient="betanib", synonyms=("betanib",))
    pack = Pack(
        version=1,
        built="2025-07-01",
        products=(betanib,),
        facts=(),
        incidences=(),
        sources=(("betanib", "curated"),),
    )
    recorded, client = recorded_client(tmp_path)
    grown = pack_with_online_labels(pack, ["Betanib", "alphex"], client)
    assert len(recorded.requests) == 2  # Betanib is held: only alphex is looked up
    assert [p.id for p in grown.products] == ["betanib", "alphex"]
    assert dict(grown.sources) == {"betanib": "curated", "alphex": "openfda"}
    assert grown.facts_for("alphex") and all(
        f.citation.url == LABEL_URL for f in grown.facts_for("alphex")
    )
    assert pack.products == (betanib,)  # the pack given is left as it was
    a, b = resolve_pair("alphex", "betanib", grown)
    assert (a.product.id, b.product.id) == ("alphex", "betanib")


def test_names_the_pack_holds_are_not_fetched(tmp_path):
    pack = load_pack(fixture_pack_file(tmp_path))
    recorded = Recorded()  # no exchanges: any request fails the test
    client = make_client(tmp_path, recorded.transport())
    same = pack_with_online_labels(pack, ["Alphex", "alfex", "BETANIB", "alphex-iv"], client)
    assert same == pack and recorded.requests == []
