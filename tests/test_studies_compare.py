"""What studies address the pair, wired into the comparison: offline the knowledge pack's curated
publications, online the literature index's records (a real HTTP server on loopback answering in
PubMed E-utilities' reply shapes: ESearch ``esearchresult``, ESummary ``result``), then the curated
ones it did not list. Shown as one line of the compact answer, a section of the full answer, a
collapsed section of the HTML page and a ``studies`` field of the JSON; titles and metadata only.
The index's records here are fictional (fixture titles), shaped like PubMed's."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import Reply, run_cli, serve_loopback
from lxml import html as lxml_html

import rxcompare
from rxcompare.render.html import render_html, render_page
from rxcompare.render.json import comparison_document
from rxcompare.render.markdown import render_markdown
from rxcompare.render.terminal import render_terminal
from rxcompare.sources.literature import PubMedClient
from rxcompare.sources.pack import load_pack

CURATED_PMCID = "PMC9315184"  # the ASCLEPIOS RDTN table the KESIMPTA entry cites
CURATED_PMID = "35672145"  # the CD20+ T-cell paper the KESIMPTA entry cites

ESEARCH = {
    "header": {"type": "esearch", "version": "0.3"},
    "esearchresult": {
        "count": "41",
        "retmax": "3",
        "retstart": "0",
        "idlist": ["90000101", "90000102", CURATED_PMID],
        "translationset": [],
        "querytranslation": "fixture",
    },
}


def _record(uid, title, types, year, ids=()):
    return {
        "uid": uid,
        "pubdate": f"{year} Jan",
        "epubdate": "",
        "source": "Fixture J",
        "authors": [{"name": "Doe J", "authtype": "Author", "clusterid": ""}],
        "title": title,
        "pubtype": list(types),
        "fulljournalname": "Fixture journal of neurology",
        "articleids": [{"idtype": "pubmed", "idtypen": 1, "value": uid}, *ids],
        "sortpubdate": f"{year}/01/01 00:00",
    }


ESUMMARY = {
    "header": {"type": "esummary", "version": "0.3"},
    "result": {
        "uids": ["90000101", "90000102", CURATED_PMID],
        "90000101": _record("90000101", "Fixture title: a cohort", ["Journal Article"], 2024),
        "90000102": _record(
            "90000102",
            "Fixture title: a meta-analysis",
            ["Journal Article", "Meta-Analysis"],
            2025,
            [{"idtype": "doi", "idtypen": 3, "value": "10.0000/fixture.102"}],
        ),
        CURATED_PMID: _record(
            CURATED_PMID,
            "Fixture title: the record PubMed holds for a curated paper",
            ["Journal Article"],
            2022,
        ),
    },
}


class PubMed:
    """Answers ESearch and ESummary in their reply shapes; anything else is not found."""

    def __init__(self, esearch=ESEARCH, esummary=ESUMMARY):
        self.esearch, self.esummary = esearch, esummary
        self.seen: list[tuple[str, dict[str, str]]] = []

    def __call__(self, target: str) -> Reply:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.seen.append((parts.path, query))
        if parts.path.endswith("/esearch.fcgi"):
            return self.esearch
        if parts.path.endswith("/esummary.fcgi"):
            return self.esummary
        body = {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
        return Reply(404, json.dumps(body).encode())


def _ok(doc) -> Reply:
    return Reply(200, json.dumps(doc).encode())


@pytest.fixture(scope="module")
def offline():
    return rxcompare.compare("kesimpta", "ocrevus")


def _pack_publications() -> set[str]:
    pack = load_pack()
    return {
        r.citation.url
        for pid in ("kesimpta", "ocrevus")
        for r in pack.facts_for(pid) + pack.incidences_for(pid)
        if r.citation.source_class == "publication"
    }


def test_offline_the_studies_are_the_packs_curated_publications(offline):
    lit = offline.studies
    assert lit is not None and not lit.online and not lit.error and lit.query == ""
    assert {p.url for p in lit.publications} == _pack_publications()
    assert all(p.origin == "curated" and p.cited_for for p in lit.publications)
    asclepios = next(p for p in lit.publications if p.pmcid == CURATED_PMCID)
    assert asclepios.cited_for == (offline.a.name,)  # cited by KESIMPTA's facts, not OCREVUS's


@pytest.mark.parametrize("width", [80, 100, 120])
def test_the_compact_answer_gains_at_most_one_line(offline, width):
    bare = replace(offline, studies=None)
    for render in (
        lambda c: render_terminal(c, width=width, color=False),
        render_markdown,
    ):
        with_studies, without = render(offline).splitlines(), render(bare).splitlines()
        added = [line for line in with_studies if line not in without]
        assert len(with_studies) - len(without) == 1 and len(added) == 1, added
        n = len(offline.studies.publications)
        assert (
            added[0].strip(" *")
            == f"Studies: {n} publications in the pack; --full lists them, --online adds PubMed."
        )
    # a patient's answer, and ``ask``'s, has no such line
    patient = replace(offline, audience="patient")
    assert "Studies:" not in render_terminal(patient, width=100, color=False)


def test_the_full_answer_lists_each_publication_with_its_link(offline):
    text = " ".join(render_terminal(offline, width=200, color=False, full=True).split())
    md = render_markdown(offline, full=True)
    assert "What studies address" in text and "## What studies address" in md
    assert "the knowledge pack cites for these medicines (offline" in text
    for p in offline.studies.publications:
        assert f"“{p.title}”" in text and p.url in text
        assert f"<{p.url}>" in md
    assert f"PMCID {CURATED_PMCID}" in text and f"cited in the pack for {offline.a.name}" in text


def test_json_and_html_carry_the_studies(offline):
    doc = comparison_document(offline)
    studies = doc["studies"]
    assert studies["online"] is False and studies["error"] == ""
    assert {p["url"] for p in studies["publications"]} == _pack_publications()
    assert all(p["origin"] == "curated" for p in studies["publications"])
    report = lxml_html.fromstring(render_html(offline))
    (section,) = report.xpath("//details[@id='studies']")
    assert section.get("open") is not None  # a report file is read and printed whole
    links = {a.get("href") for a in section.xpath(".//ul[@class='publications']/li/a")}
    assert links == _pack_publications()
    page = lxml_html.fromstring(render_page(offline, a="kesimpta", b="ocrevus"))
    (collapsed,) = page.xpath("//details[@id='studies']")
    assert collapsed.get("open") is None  # on the web page, one step away


def test_online_the_index_records_come_first_then_the_curated_ones(tmp_path):
    server = PubMed(_ok(ESEARCH), _ok(ESUMMARY))
    with serve_loopback(server) as base:
        with PubMedClient(
            base + "/entrez/eutils", cache_dir=tmp_path, sleep=lambda s: None
        ) as client:
            c = rxcompare.compare("kesimpta", "ocrevus", literature=client)
    (p1, q1), (p2, q2) = server.seen
    assert p1 == "/entrez/eutils/esearch.fcgi" and p2 == "/entrez/eutils/esummary.fcgi"
    for name in ("kesimpta", "ofatumumab", "ocrevus", "ocrelizumab"):
        assert f'"{name}"[tiab]' in q1["term"]
    lit = c.studies
    assert lit.online and lit.count == 41 and lit.query == q1["term"] and not lit.error
    origins = [p.origin for p in lit.publications]
    assert origins == sorted(origins, key=lambda o: o != "pubmed")  # the index's records first
    pubmed = [p for p in lit.publications if p.origin == "pubmed"]
    assert [p.pmid for p in pubmed] == ["90000102", "90000101", CURATED_PMID]  # designs first
    # the curated paper PubMed listed is not listed twice; the other curated one follows
    curated = [p for p in lit.publications if p.origin == "curated"]
    assert CURATED_PMID not in {p.pmid for p in curated}
    assert {p.url for p in curated} == _pack_publications() - {
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC9272791"
    }
    compact = render_terminal(c, width=100, color=False)
    line = f"Studies: {len(lit.publications)} publications listed (PubMed and the pack)"
    assert line in compact
    full = " ".join(render_terminal(c, width=200, color=False, full=True).split())
    assert "PubMed records for the search term" in full and "3 listed of the 41 it holds" in full
    assert (
        "“Fixture title: a meta-analysis” (Fixture journal of neurology; 2025; design: meta-analysis; PMID 90000102; DOI 10.0000/fixture.102) https://pubmed.ncbi.nlm.nih.gov/90000102/"
        in full
    )


def test_an_index_that_cannot_be_asked_leaves_the_curated_list_and_says_why(tmp_path):
    refused = Reply(400, b"bad request", content_type="text/plain")
    with serve_loopback(PubMed(refused, refused)) as base:
        with PubMedClient(
            base + "/entrez/eutils", cache_dir=tmp_path, sleep=lambda s: None
        ) as client:
            c = rxcompare.compare("kesimpta", "ocrevus", literature=client)
    lit = c.studies
    assert "400" in lit.error and not lit.online
    assert {p.url for p in lit.publications} == _pack_publications()
    assert c.dimensions  # the rest of the comparison goes on
    compact = render_terminal(c, width=100, color=False)
    n = len(_pack_publications())
    assert f"Studies: the index failed (--full says why); {n} publications in the pack." in compact
    full = " ".join(render_markdown(c, full=True).split())
    assert "The literature index could not be asked (" in full and "400" in full


def test_compare_online_asks_pubmed_at_the_configured_base(tmp_path, monkeypatch, capsys):
    server = PubMed(_ok(ESEARCH), _ok(ESUMMARY))
    with serve_loopback(server) as base:
        for setting in ("OPENFDA", "DAILYMED", "CTGOV"):
            monkeypatch.setenv(f"RXCOMPARE_{setting}_BASE", base)
        monkeypatch.setenv("RXCOMPARE_PUBMED_BASE", base + "/entrez/eutils")
        monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
        doc = json.loads(
            run_cli(capsys, "compare", "kesimpta", "ocrevus", "--online", "-f", "json")
        )
    assert any(path == "/entrez/eutils/esearch.fcgi" for path, _q in server.seen)
    studies = doc["studies"]
    assert studies["online"] is True and studies["count"] == 41
    assert [p["pmid"] for p in studies["publications"][:3]] == [
        "90000102",
        "90000101",
        CURATED_PMID,
    ]
    assert studies["urls"][0].startswith(base + "/entrez/eutils/esearch.fcgi?")


EPMC = {
    "version": "6.9",
    "hitCount": 7,
    "request": {"queryString": "fixture", "resultType": "lite", "pageSize": 20},
    "resultList": {
        "result": [
            {
                "id": "90000201",
                "source": "MED",
                "pmid": "90000201",
                "doi": "10.0000/fixture.201",
                "title": "Fixture title: a registry comparison",
                "journalTitle": "Fixture J",
                "pubYear": "2025",
                "pubType": "research-article; journal article; observational study",
            }
        ]
    },
}


def test_europe_pmc_is_the_other_index_a_comparison_can_ask(tmp_path):
    from rxcompare.sources.literature import EuropePmcClient

    seen: list[str] = []

    def answer(target: str) -> Reply:
        seen.append(target)
        if urlsplit(target).path.endswith("/search"):
            return _ok(EPMC)
        return Reply(404, b"not here")

    with serve_loopback(answer) as base:
        with EuropePmcClient(
            base + "/europepmc/webservices/rest", cache_dir=tmp_path, sleep=lambda s: None
        ) as client:
            c = rxcompare.compare("kesimpta", "ocrevus", literature=client)
    assert len(seen) == 1 and "resultType=lite" in seen[0]
    lit = c.studies
    assert lit.online and lit.count == 7
    first = lit.publications[0]
    assert (first.origin, first.pmid, first.design) == (
        "europepmc",
        "90000201",
        "observational study",
    )
    assert "Studies: " in render_terminal(c, width=100, color=False)
    assert "(Europe PMC and the pack)" in render_terminal(c, width=100, color=False)
    full = " ".join(render_terminal(c, width=200, color=False, full=True).split())
    assert "Europe PMC records for the search term" in full and "1 listed of the 7 it holds" in full
