"""The RxNav (RxNorm) client against a real HTTP server on 127.0.0.1 answering in RxNav's reply
shapes (getDrugs, getApproximateMatch, getRxConceptProperties; see sources/rxnorm/client.py). The
names and RxCUIs are FICTIONAL (the fixture pack's medicines), so that no test states a fact about
a real medicine; the shapes are RxNav's."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from helpers import Reply, fixture_pack_file, serve_loopback

from rxcompare.cli import main
from rxcompare.errors import OnlineError
from rxcompare.sources.rxnorm import (
    Concept,
    RxNavClient,
    approximate,
    concept,
    concepts_named,
    identify,
)

# RxNorm's answers for the fictional medicines
CONCEPTS = {
    "900001": {
        "rxcui": "900001",
        "name": "gammazumab",
        "synonym": "",
        "tty": "IN",
        "language": "ENG",
        "suppress": "N",
        "umlscui": "",
    },
    "900002": {
        "rxcui": "900002",
        "name": "Gammex",
        "synonym": "",
        "tty": "BN",
        "language": "ENG",
        "suppress": "N",
        "umlscui": "",
    },
    "900003": {
        "rxcui": "900003",
        "name": "gammazumab 100 MG Injection [Gammex]",
        "synonym": "Gammex 100 MG Injection",
        "tty": "SBD",
        "language": "ENG",
        "suppress": "N",
        "umlscui": "",
    },
}
DRUGS = {
    "gammex": [("BPCK", []), ("SBD", ["900003"]), ("BN", ["900002"])],
    "gammazumab": [("IN", ["900001"]), ("SBD", ["900003"])],
}


def drugs(name: str) -> dict:
    if name == "broken":
        return {"drugGroup": ["not", "an", "object"]}
    groups = DRUGS.get(name.lower())
    if groups is None:  # RxNav: the name back, groups without concepts
        return {"drugGroup": {"name": None, "conceptGroup": None}}
    return {
        "drugGroup": {
            "name": name,
            "conceptGroup": [
                {"tty": tty, **({"conceptProperties": [CONCEPTS[c] for c in ids]} if ids else {})}
                for tty, ids in groups
            ],
        }
    }


def approximate_term(term: str) -> dict:
    close = {"gamazumab": [("900001", "1"), ("900001", "1"), ("900002", "2"), ("900003", "3")]}.get(
        term.lower(), []
    )
    return {
        "approximateGroup": {
            "inputTerm": None,
            "candidate": [
                {"rxcui": rxcui, "rxaui": f"{i}", "score": "8.5", "rank": rank, "source": "RXNORM"}
                for i, (rxcui, rank) in enumerate(close)
            ],
        }
    }


@pytest.fixture
def rxnav(tmp_path, monkeypatch):
    """A loopback RxNav; yields (base, the request targets asked)."""
    asked: list[str] = []

    def answer(target: str) -> Reply:
        asked.append(target)
        parts = urlsplit(target)
        q = dict(parse_qsl(parts.query))
        if parts.path == "/REST/drugs.json":
            body = drugs(q["name"])
        elif parts.path == "/REST/approximateTerm.json":
            body = approximate_term(q["term"])
        elif parts.path.startswith("/REST/rxcui/") and parts.path.endswith("/properties.json"):
            found = CONCEPTS.get(parts.path.split("/")[3])
            body = {"properties": found} if found else {}
        else:
            return Reply(404, b"<html>Not Found</html>", "text/html")
        return Reply(200, json.dumps(body).encode())

    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
    with serve_loopback(answer) as base:
        monkeypatch.setenv("RXCOMPARE_RXNAV_BASE", base)
        yield base, asked


def test_a_brand_gives_its_concepts_ingredients_and_brands_first(rxnav):
    with RxNavClient() as client:
        found = concepts_named(client, "Gammex")
    assert [(c.rxcui, c.tty) for c in found] == [("900002", "BN"), ("900003", "SBD")]


def test_a_name_rxnorm_does_not_hold_gives_none(rxnav):
    with RxNavClient() as client:
        assert concepts_named(client, "gamazumab") == []


def test_properties_of_a_concept_and_of_one_not_active(rxnav):
    with RxNavClient() as client:
        assert concept(client, "900001") == Concept("900001", "gammazumab", "IN")
        assert concept(client, "123") is None
        with pytest.raises(OnlineError, match="is not a number"):
            concept(client, "12a")


def test_approximate_matches_are_named_ranked_and_each_once(rxnav):
    with RxNavClient() as client:
        found = approximate(client, "gamazumab")
    assert [(c.rxcui, rank) for c, rank in found] == [("900001", 1), ("900002", 2), ("900003", 3)]


def test_identify_offers_the_closest_but_never_takes_them(rxnav):
    with RxNavClient() as client:
        assert identify(client, "gammazumab") == (
            [CONCEPTS_AS("900001"), CONCEPTS_AS("900003")],
            [],
        )
        exact, close = identify(client, "gamazumab")
    assert exact == [] and [c.rxcui for c in close] == ["900001", "900002"]  # ranks 1 and 2


def CONCEPTS_AS(rxcui: str) -> Concept:
    d = CONCEPTS[rxcui]
    return Concept(d["rxcui"], d["name"], d["tty"], d["synonym"])


def test_answers_are_cached_on_disk(rxnav):
    base, asked = rxnav
    with RxNavClient() as client:
        concepts_named(client, "gammex")
    with RxNavClient() as client:
        concepts_named(client, "gammex")
    assert asked == ["/REST/drugs.json?name=gammex"]


def test_a_reply_not_in_rxnav_shape_is_an_error(rxnav):
    with (
        RxNavClient() as client,
        pytest.raises(OnlineError, match="'drugGroup' that is not an object"),
    ):
        concepts_named(client, "broken")


def test_base_url_must_be_http(monkeypatch):
    from rxcompare.errors import ConfigError

    monkeypatch.setenv("RXCOMPARE_RXNAV_BASE", "ftp://example")
    with pytest.raises(ConfigError, match="RXCOMPARE_RXNAV_BASE"):
        RxNavClient()


def test_compare_online_refuses_a_name_openfda_lacks_with_rxnorms_closest(
    rxnav, tmp_path, capsys, monkeypatch
):
    """`compare --online` with a misspelt name outside the pack: openFDA (loopback) has no label,
    RxNorm (loopback) offers the closest concepts, and nothing is taken in its place."""
    not_found = json.dumps(
        {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
    ).encode()
    with serve_loopback(lambda _t: Reply(404, not_found)) as openfda:
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", openfda)
        with pytest.raises(SystemExit) as info:
            main(
                [
                    "compare",
                    "gamazumab",
                    "alphex",
                    "--online",
                    "--pack",
                    str(fixture_pack_file(tmp_path)),
                ]
            )
    err = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 1, err
    assert (
        "RxNorm knows no medicine called 'gamazumab' either; its closest names, not taken in its place: "
        "gammazumab (RxCUI 900001, IN); Gammex (RxCUI 900002, BN)." in err
    )
