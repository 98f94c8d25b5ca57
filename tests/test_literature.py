"""The literature stream against a real HTTP server on loopback answering in PubMed E-utilities'
reply shapes (ESearch ``esearchresult`` with ``count``/``idlist``, ESummary ``result`` with
``uids`` and one record per PMID, an unknown PMID answering ``{"uid", "error"}``); offline, the
pack's curated publications. The records here are fictional (fixture titles), shaped like
PubMed's."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from helpers import Reply, serve_loopback

from rxcompare.errors import ConfigError, OnlineError
from rxcompare.models import Drug, Product
from rxcompare.sources.literature import (
    PubMedClient,
    curated_publications,
    design_of,
    pair_term,
    studies_for_pair,
)
from rxcompare.sources.pack import load_pack

A = Drug("alphex", "alphamab", (Product("alphex", "Alphex", "alphamab"),))
B = Drug("betanib", "betanib", (Product("betanib", "Betanib", "betanib"),))

ESEARCH = {
    "header": {"type": "esearch", "version": "0.3"},
    "esearchresult": {
        "count": "57",
        "retmax": "4",
        "retstart": "0",
        "idlist": ["90000001", "90000002", "90000003", "99999999"],
        "translationset": [],
        "querytranslation": "fixture",
    },
}


def _record(uid, title, types, sortpubdate, ids=()):
    return {
        "uid": uid,
        "pubdate": sortpubdate[:4] + " Jan",
        "epubdate": "",
        "source": "Fixture J",
        "authors": [{"name": "Doe J", "authtype": "Author", "clusterid": ""}],
        "title": title,
        "volume": "1",
        "issue": "1",
        "pages": "1-2",
        "lang": ["eng"],
        "pubtype": list(types),
        "fulljournalname": "Fixture journal of medicine",
        "articleids": [{"idtype": "pubmed", "idtypen": 1, "value": uid}, *ids],
        "sortpubdate": sortpubdate,
    }


ESUMMARY = {
    "header": {"type": "esummary", "version": "0.3"},
    "result": {
        "uids": ["90000001", "90000002", "90000003", "99999999"],
        "90000001": _record(
            "90000001", "Fixture title: a case series", ["Journal Article"], "2021/03/01 00:00"
        ),
        "90000002": _record(
            "90000002",
            "Fixture title: comparative safety of alphamab and betanib",
            ["Comparative Study", "Journal Article", "Observational Study"],
            "2025/02/01 00:00",
            [
                {"idtype": "doi", "idtypen": 3, "value": "10.0000/fixture.2"},
                {"idtype": "pmc", "idtypen": 8, "value": "PMC9000002"},
            ],
        ),
        "90000003": _record(
            "90000003",
            "Fixture title: a systematic review",
            ["Journal Article", "Review", "Systematic Review"],
            "2024/11/15 00:00",
        ),
        "99999999": {"uid": "99999999", "error": "cannot get document summary"},
    },
}


class Recorder:
    def __init__(self, replies):
        self.replies = list(replies)
        self.seen: list[tuple[str, dict]] = []

    def __call__(self, target: str) -> Reply:
        parts = urlsplit(target)
        self.seen.append((parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}))
        path = parts.path.rsplit("/", 1)[-1]
        for want, reply in self.replies:
            if want == path:
                if isinstance(reply, list):
                    return reply.pop(0) if len(reply) > 1 else reply[0]
                return reply
        return Reply(404, b"not here")


def _ok(doc) -> Reply:
    return Reply(200, json.dumps(doc).encode())


def _client(base, tmp_path, **kw):
    return PubMedClient(
        base + "/entrez/eutils", cache_dir=tmp_path / "cache", sleep=lambda s: None, **kw
    )


def test_a_pair_lists_pubmed_records_designs_first(tmp_path):
    rec = Recorder([("esearch.fcgi", _ok(ESEARCH)), ("esummary.fcgi", _ok(ESUMMARY))])
    with serve_loopback(rec) as base, _client(base, tmp_path) as client:
        lit = studies_for_pair(A, B, client, limit=4)
    (p1, q1), (p2, q2) = rec.seen
    assert p1 == "/entrez/eutils/esearch.fcgi" and p2 == "/entrez/eutils/esummary.fcgi"
    assert q1["db"] == "pubmed" and q1["retmode"] == "json" and q1["retmax"] == "4"
    assert (
        '"alphex"[tiab]' in q1["term"]
        and '"betanib"[tiab]' in q1["term"]
        and "safety[tiab]" in q1["term"]
    )
    assert q2 == {"db": "pubmed", "id": "90000001,90000002,90000003,99999999", "retmode": "json"}
    assert lit.online and lit.count == 57 and lit.query == q1["term"] and len(lit.urls) == 2
    # the unknown PMID is left out; a systematic review, then an observational study, then no design
    assert [p.pmid for p in lit.publications] == ["90000003", "90000002", "90000001"]
    review, comparative, plain = lit.publications
    assert review.design == "systematic review" and review.year == 2024
    assert comparative.design == "observational study"  # the stronger of its types
    assert comparative.publication_types == (
        "Comparative Study",
        "Journal Article",
        "Observational Study",
    )
    assert (comparative.doi, comparative.pmcid) == ("10.0000/fixture.2", "PMC9000002")
    assert comparative.title == "Fixture title: comparative safety of alphamab and betanib"
    assert comparative.journal == "Fixture journal of medicine" and comparative.year == 2025
    assert comparative.url == "https://pubmed.ncbi.nlm.nih.gov/90000002/"
    assert comparative.source_url == lit.urls[1] and comparative.origin == "pubmed"
    assert plain.design == "design not given by the publication types"


def test_answers_are_cached_and_server_errors_retried(tmp_path):
    rec = Recorder(
        [("esearch.fcgi", [Reply(503, b"{}"), _ok(ESEARCH)]), ("esummary.fcgi", _ok(ESUMMARY))]
    )
    with serve_loopback(rec) as base:
        with _client(base, tmp_path) as client:
            first = studies_for_pair(A, B, client, limit=4)
        assert len(rec.seen) == 3  # the 503 was asked again
        with _client(base, tmp_path) as client:
            again = studies_for_pair(A, B, client, limit=4)
    assert len(rec.seen) == 3 and again == first  # the second run read the cache


def test_an_esearch_error_is_an_online_error_quoting_pubmed(tmp_path):
    bad = {
        "header": {"type": "esearch", "version": "0.3"},
        "esearchresult": {"ERROR": "Invalid query"},
    }
    rec = Recorder([("esearch.fcgi", _ok(bad))])
    with serve_loopback(rec) as base, _client(base, tmp_path) as client:
        with pytest.raises(OnlineError, match="Invalid query"):
            studies_for_pair(A, B, client)


def test_a_refusal_and_an_unreachable_host_say_what_to_do(tmp_path, monkeypatch):
    rec = Recorder([("esearch.fcgi", Reply(400, b"bad request", content_type="text/plain"))])
    with serve_loopback(rec) as base, _client(base, tmp_path) as client:
        with pytest.raises(OnlineError, match="400.*RXCOMPARE_PUBMED_BASE"):
            studies_for_pair(A, B, client)
    with _client("http://127.0.0.1:9", tmp_path) as client:  # nothing listens there
        with pytest.raises(OnlineError, match="unreachable"):
            studies_for_pair(A, B, client)
    monkeypatch.setenv("RXCOMPARE_PUBMED_BASE", "eutils.ncbi.nlm.nih.gov")
    with pytest.raises(ConfigError, match="RXCOMPARE_PUBMED_BASE"):
        PubMedClient(cache_dir=tmp_path)


def test_the_base_comes_from_the_setting(tmp_path, monkeypatch):
    rec = Recorder([("esearch.fcgi", _ok(ESEARCH)), ("esummary.fcgi", _ok(ESUMMARY))])
    with serve_loopback(rec) as base:
        monkeypatch.setenv("RXCOMPARE_PUBMED_BASE", base + "/entrez/eutils/")
        with PubMedClient(cache_dir=tmp_path) as client:
            lit = studies_for_pair(A, B, client, limit=4)
    assert lit.urls[0].startswith(base + "/entrez/eutils/esearch.fcgi?")


def test_the_term_needs_both_medicines():
    term = pair_term(["Alphex", "alphamab", "alphamab"], ["Betanib"])
    assert term.startswith('("alphex"[tiab] OR "alphamab"[tiab]) AND ("betanib"[tiab]) AND (')
    with pytest.raises(ConfigError):
        pair_term([], ["Betanib"])


@pytest.mark.parametrize(
    "types, design",
    [
        (["Journal Article", "Meta-Analysis", "Systematic Review"], "meta-analysis"),
        (["Randomized Controlled Trial", "Multicenter Study"], "randomised controlled trial"),
        (["Case Reports"], "case report"),
        (["Journal Article"], "design not given by the publication types"),
    ],
)
def test_design_is_read_from_the_publication_types(types, design):
    assert design_of(types) == design


def test_offline_lists_the_packs_curated_publications():
    pack = load_pack()
    records = (
        pack.facts_for("kesimpta") + pack.incidences_for("kesimpta") + pack.facts_for("ocrevus")
    )
    pubs = curated_publications(records)
    assert pubs and all(p.origin == "curated" for p in pubs)
    assert len({p.url for p in pubs}) == len(pubs)  # one per document, not per row
    kesimpta = next(p for p in pubs if p.pmcid == "PMC9315184")
    assert kesimpta.doi == "10.1177/13524585221078825" and kesimpta.year == 2022
    lit = studies_for_pair(_drug(pack, "kesimpta"), _drug(pack, "ocrevus"), curated=records)
    assert not lit.online and lit.publications == tuple(pubs)


def _drug(pack, pid):
    p = pack.product(pid)
    return Drug(pid, p.ingredient, (p,))


# ---- Europe PMC ----------------------------------------------------------------------------------

EPMC = {
    "version": "6.9",
    "hitCount": 12,
    "nextCursorMark": "AoIIP4AAACgzNjk1NDc0Ng==",
    "request": {
        "queryString": "fixture",
        "resultType": "lite",
        "cursorMark": "*",
        "pageSize": 3,
        "sort": "",
        "synonym": False,
    },
    "resultList": {
        "result": [
            {
                "id": "90000011",
                "source": "MED",
                "pmid": "90000011",
                "title": "Fixture title: a registry study",
                "authorString": "Doe J, Roe R.",
                "journalTitle": "Fixture J",
                "pubYear": "2024",
                "pubType": "research-article; journal article",
                "isOpenAccess": "N",
                "citedByCount": 0,
            },
            {
                "id": "90000012",
                "source": "MED",
                "pmid": "90000012",
                "pmcid": "PMC9000012",
                "doi": "10.0000/fixture.12",
                "title": "Fixture title: a meta-analysis",
                "authorString": "Doe J.",
                "journalTitle": "Fixture Reviews",
                "pubYear": "2025",
                "pubType": "review; meta-analysis; journal article",
                "isOpenAccess": "Y",
            },
            {
                "id": "PPR000001",
                "source": "PPR",
                "title": "Fixture title: a preprint",
                "authorString": "Roe R.",
                "pubYear": "2025",
                "pubType": "preprint",
            },
        ]
    },
}


def test_europe_pmc_lists_the_pairs_records(tmp_path):
    from rxcompare.sources.literature import EuropePmcClient

    rec = Recorder([("search", _ok(EPMC))])
    with serve_loopback(rec) as base:
        with EuropePmcClient(
            base + "/europepmc/webservices/rest", cache_dir=tmp_path, sleep=lambda s: None
        ) as c:
            lit = studies_for_pair(A, B, c, limit=3)
    ((path, q),) = rec.seen
    assert path == "/europepmc/webservices/rest/search"
    assert q["format"] == "json" and q["resultType"] == "lite" and q["pageSize"] == "3"
    assert '"alphex"' in q["query"] and '"betanib"' in q["query"] and "safety" in q["query"]
    assert lit.online and lit.count == 12 and lit.urls == (lit.publications[0].source_url,)
    meta, registry, preprint = lit.publications
    assert meta.design == "meta-analysis" and meta.pmcid == "PMC9000012" and meta.year == 2025
    assert meta.url == "https://pubmed.ncbi.nlm.nih.gov/90000012/" and meta.origin == "europepmc"
    assert registry.publication_types == ("research-article", "journal article")
    assert registry.design == "design not given by the publication types"
    assert preprint.pmid is None and preprint.url == "https://europepmc.org/article/PPR/PPR000001"


def test_europe_pmc_without_a_result_list_is_an_online_error(tmp_path, monkeypatch):
    from rxcompare.sources.literature import EuropePmcClient

    rec = Recorder([("search", _ok({"version": "6.9", "errMsg": "Invalid query syntax"}))])
    with serve_loopback(rec) as base:
        monkeypatch.setenv("RXCOMPARE_EUROPEPMC_BASE", base)
        with (
            EuropePmcClient(cache_dir=tmp_path) as c,
            pytest.raises(OnlineError, match="Invalid query syntax"),
        ):
            studies_for_pair(A, B, c)
