"""`rxcompare compare --online` end to end: the CLI against a real HTTP server on loopback that
answers in openFDA's response shapes (counts made up for the test, on FICTIONAL products)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from helpers import FIXTURES, loopback_server

from rxcompare.cli import main
from rxcompare.sources.pack import build_pack, write_pack


def answer(path: str, params: dict[str, str]) -> tuple[int, dict]:
    """openFDA-shaped answers: totals in meta.results.total; count=receivedate as time/count rows."""
    search = params.get("search", "")
    if path != "/drug/event.json":
        return 404, {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
    if params.get("count") == "receivedate":
        a = "ALPHEX" in search.split(" AND NOT ")[0]
        rows = [
            {"time": "20230115", "count": 7 if a else 3},
            {"time": "20240210", "count": 9 if a else 4},
        ]
        return 200, {"meta": {"last_updated": "2026-10-28"}, "results": rows}
    a = "ALPHEX" in search.split(" AND NOT ")[0]
    if "serious:1" in search or "seriousnessdeath" in search:
        total = 12 if a else 5
    elif "reactionmeddrapt" in search:
        total = 30 if a else 10
    else:
        total = 1200 if a else 800
    meta = {"last_updated": "2026-10-28", "results": {"skip": 0, "limit": 1, "total": total}}
    return 200, {"meta": meta, "results": [{}]}


class Answers:
    """Adapter for test_online.loopback_server: generated answers instead of recorded ones."""

    def answer(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        status, body = answer(path, dict(parse_qsl(query)))
        return status, {}, json.dumps(body).encode()


def test_compare_online_uses_openfda_counts(tmp_path, monkeypatch, capsys):
    groups = tmp_path / "groups.json"
    # the fixture labels warn of PML (Alphex) and not of herpes: only PML and deaths are asked
    groups.write_text(
        json.dumps(
            {
                "progressive multifocal leukoencephalopathy": [
                    "PROGRESSIVE MULTIFOCAL LEUKOENCEPHALOPATHY"
                ],
                "herpes infection": ["HERPES ZOSTER", "ORAL HERPES"],
            }
        )
    )
    pack = write_pack(
        build_pack(curated=sorted((FIXTURES / "curated").glob("*.json")), event_groups=groups),
        tmp_path / "pack.json",
    )
    with loopback_server(Answers()) as base:
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
        with pytest.raises(SystemExit) as done:
            main(["compare", "alphex", "betanib", "--pack", str(pack), "--online", "-f", "json"])
    assert done.value.code in (0, None)
    doc = json.loads(capsys.readouterr().out)
    (dim,) = [d for d in doc["dimensions"] if d["key"] == "postmarketing"]
    statements = [f["statement"] for f in dim["findings"]]
    assert statements[0].startswith("Source: openFDA") and "counted in reports" in statements[0]
    assert not any(f["topic"] == "postmarketing.herpes_infection" for f in dim["findings"])
    herpes = next(
        f
        for f in dim["findings"]
        if f["topic"] == "postmarketing.progressive_multifocal_leukoencephalopathy"
    )
    assert "30 of 1200 reports" in herpes["statement"] and "10 of 800" in herpes["statement"]
    assert herpes["citations"][0]["kind"] == "openfda" and herpes["citations"][0]["url"].startswith(
        base
    )
    per_year = next(f for f in dim["findings"] if f["topic"] == "postmarketing.per_year")
    assert "2023: 7, 2024: 9" in per_year["statement"]
