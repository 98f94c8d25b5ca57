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
            return 200, "application/json", json.dumps({"results": [{"term": "Viagra", "count": 1}]}).encode()
        body = {"meta": {"results": {"skip": 0, "limit": 1, "total": 1}}, "results": [viagra]}
        return 200, "application/json", json.dumps(body).encode()

    routes = {
        "/drug/label.json": label,
        f"/spls/{HUMIRA}/history.json": (200, "application/json",
                                         history(HUMIRA, "HUMIRA", (1561, "Oct 01, 2013"), (1560, "Sep 30, 2013"))),
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
    assert any((c.get("url") or "").startswith(base) for c in doc["citations"]), \
        "the Viagra findings cite the openFDA label read"


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
