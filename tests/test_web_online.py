"""The web app with ``online``, as `rxcompare compare --online`: a name outside the pack is looked up
on openFDA and each comparison records DailyMed's newer labels. A real HTTP server on 127.0.0.1
answers in openFDA's and DailyMed's shapes (labels built from the real SPL samples; the history
reply in the recorded shape, versions constructed)."""

from __future__ import annotations

import json

import pytest
from conftest import shared_path
from helpers import HUMIRA, get, history, openfda_result, server

from rxcompare.sources.pack import build_pack, load_pack, write_pack
from rxcompare.web import create_app


@pytest.fixture
def online(tmp_path, monkeypatch):
    """A pack of Humira and Lipitor (no Viagra), and the servers' routes: openFDA knows Viagra,
    DailyMed lists a newer Humira label."""
    doc = build_pack(spl=[shared_path("spl", n) for n in ("humira.xml", "lipitor-orig.xml")])
    pack = load_pack(write_pack(doc, tmp_path / "pack.json"))
    viagra = openfda_result("viagra-64f8040f.xml")

    def label(params):
        if params.get("count") == "openfda.brand_name.exact":
            return (
                200,
                "application/json",
                json.dumps({"results": [{"term": "Viagra", "count": 1}]}).encode(),
            )
        body = {"meta": {"results": {"skip": 0, "limit": 1, "total": 1}}, "results": [viagra]}
        return 200, "application/json", json.dumps(body).encode()

    routes = {
        "/drug/label.json": label,
        f"/spls/{HUMIRA}/history.json": (
            200,
            "application/json",
            history(HUMIRA, "HUMIRA", (1561, "Oct 01, 2013"), (1560, "Sep 30, 2013")),
        ),
    }
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
    return pack, routes, monkeypatch


def test_online_web_app_adds_openfda_labels_and_newer_label_notices(online):
    pack, routes, monkeypatch = online
    with server(routes) as (base, asked):
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_DAILYMED_BASE", base)
        app = create_app(pack, online=True)
        r = get(app, "/api/compare?a=humira&b=viagra")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert [d["products"][0]["id"] for d in (doc["a"], doc["b"])] == ["humira", "viagra"]
    assert "DailyMed lists version 1561" in doc["provenance"]["newer label: humira"]
    assert any(p.startswith("/drug/label.json") for p in asked)
    assert any((c.get("url") or "").startswith(base) for c in doc["citations"]), (
        "the Viagra findings cite the openFDA label read"
    )


def test_offline_web_app_asks_nobody(online):
    pack, routes, monkeypatch = online
    with server(routes) as (base, asked):
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_DAILYMED_BASE", base)
        app = create_app(pack)
        r = get(app, "/api/compare?a=humira&b=viagra")
        assert get(app, "/api/compare?a=humira&b=lipitor").status_code == 200
    assert r.status_code == 404 and r.json()["error"]
    assert asked == []


def test_ask_online_reaches_a_name_outside_the_pack_as_compare_does(online, tmp_path, capsys):
    from rxcompare.cli import main
    from rxcompare.sources.pack import pack_to_dict
    from rxcompare.sources.pack import write_pack as write

    pack, routes, monkeypatch = online
    start = write(pack_to_dict(pack), tmp_path / "start.json")
    with server(routes) as (base, asked):
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_DAILYMED_BASE", base)
        outcomes = []
        for argv in (["ask", "Is Viagra safer than Humira?"], ["compare", "viagra", "humira"]):
            with pytest.raises(SystemExit) as info:
                main([*argv, "--online", "--pack", str(start), "-f", "json"])
            captured = capsys.readouterr()
            outcomes.append((info.value.code, captured.out))
    (ask_code, ask_out), (compare_code, compare_out) = outcomes
    assert (ask_code or 0, compare_code or 0) == (0, 0)
    a, c = json.loads(ask_out), json.loads(compare_out)
    assert [d["products"][0]["id"] for d in (a["a"], a["b"])] == ["viagra", "humira"]
    assert [a[k]["products"] for k in "ab"] == [c[k]["products"] for k in "ab"]
    assert any(p.startswith("/drug/label.json") for p in asked)


def test_pack_update_adds_a_name_outside_the_pack_from_openfda(online, tmp_path, capsys):
    from rxcompare.cli import main
    from rxcompare.sources.pack import pack_to_dict
    from rxcompare.sources.pack import write_pack as write

    pack, routes, monkeypatch = online
    start = write(pack_to_dict(pack), tmp_path / "start.json")
    out = tmp_path / "user.json"
    with server(routes) as (base, asked):
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_DAILYMED_BASE", base)
        with pytest.raises(SystemExit) as info:
            main(["pack", "update", "viagra", "--pack", str(start), "--out", str(out)])
    captured = capsys.readouterr()
    assert (info.value.code or 0) == 0, captured.err
    assert captured.out.startswith(
        "viagra: added, version 20 of 2017-11-07 (parsed openFDA label) from "
    )
    assert "found by the name 'viagra'" in captured.out
    grown = load_pack(out)
    assert {p.id for p in grown.products} == {"humira", "lipitor", "viagra"}
    assert grown.source_of("viagra") == "openfda" and grown.label_of("viagra").fetched
