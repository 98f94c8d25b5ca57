"""The web app in process (httpx ASGI transport): JSON API, pages, one error shape, bad input.

The pack is the FICTIONAL fixture pack; the warehouse folder is empty unless a test ingests a real
FAERS sample quarter into it.
"""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import lxml.html
import pytest
from conftest import shared_path
from helpers import BASE, fetch, fixture_pack_file, get
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rxcompare.comparison import compare_drugs
from rxcompare.comparison.resolve import resolve_pair
from rxcompare.errors import AmbiguousDrugError, FaersError, QuestionError, UnknownDrugError
from rxcompare.render.html import page_csp
from rxcompare.render.json import comparison_document
from rxcompare.sources.pack import load_pack
from rxcompare.web import create_app
from rxcompare.web.responses import FieldError, status_of

ERROR_KEYS = {"ok", "error", "status", "kind", "suggestions"}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return load_pack(fixture_pack_file(tmp_path_factory.mktemp("pack")))


@pytest.fixture(scope="module")
def app(pack, tmp_path_factory):
    return create_app(pack, warehouse=tmp_path_factory.mktemp("empty-warehouse"))


# --- success ------------------------------------------------------------------------------------


def test_api_compare_serves_the_cli_json(app, pack):
    r = get(app, "/api/compare?a=Alphex&b=betanib")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    a, b = resolve_pair("Alphex", "betanib", pack)
    expected = compare_drugs(a, b, pack, postmarketing_missing=app.state.engine.missing)
    assert r.json() == json.loads(json.dumps(comparison_document(expected)))


def test_comparisons_are_cached(app):
    before = get(app, "/healthz").json()["cache"]
    fetch(app, *[("GET", "/api/compare?a=alphex&b=betanib&audience=patient")] * 3)
    after = get(app, "/healthz").json()["cache"]
    assert after["misses"] == before["misses"] + 1
    assert after["comparisons"] == before["comparisons"] + 1


def test_patient_factors_reach_the_comparison(app):
    doc = get(
        app, "/api/compare?a=alphex&b=betanib&factor=needle_averse&factor=planning_pregnancy"
    ).json()
    assert doc["factors"] == ["needle_averse", "planning_pregnancy"]
    assert doc["dimensions"][0]["key"] == "patient_factors"


@pytest.mark.parametrize(
    "q, names",
    [
        ("al", ["Alphex", "Alphex IV"]),
        ("ALPHEX i", ["Alphex IV"]),
        ("alphex", ["Alphex", "Alphex IV"]),  # the brand first, then names that start with it
        ("alfex", ["Alphex"]),  # a synonym
        (
            "alphmab",
            ["Alphex", "Alphex IV"],
        ),  # misspelt ingredient: its products, not the ingredient
        ("beta", ["Betanib"]),
        ("", []),
        ("zzzz", []),
        ("<script>", []),
        ("'; drop table drugs; --", []),
    ],
)
def test_api_drugs_suggests_pack_products(app, q, names):
    r = get(app, "/api/drugs?" + httpx.QueryParams({"q": q}).__str__())
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["query"] == q
    assert [d["name"] for d in body["drugs"]] == names
    assert all(d["source"] == "pack" and d["comparable"] and d["product"] for d in body["drugs"])


def test_healthz(app, pack):
    body = get(app, "/healthz").json()
    assert body["ok"] is True and body["status"] == "ok"
    assert body["pack"] == {"version": pack.version, "built": pack.built, "products": 3}
    assert body["warehouse"]["suggestions"] is False


def test_openapi_document(app):
    doc = get(app, "/openapi.json").json()
    assert {"/api/compare", "/api/drugs", "/api/signals", "/healthz"} <= set(doc["paths"])
    assert set(doc["components"]["schemas"]["ErrorBody"]["properties"]) == ERROR_KEYS
    params = {p["name"] for p in doc["paths"]["/api/compare"]["get"]["parameters"]}
    assert params == {"a", "b", "audience", "factor"}
    assert "404" in doc["paths"]["/api/compare"]["get"]["responses"]


def tree_csp(text: str) -> str:
    return lxml.html.document_fromstring(text).xpath(
        "//meta[@http-equiv='Content-Security-Policy']/@content"
    )[0]


def test_compare_page(app):
    r = get(app, "/compare?a=alphex&b=betanib")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == page_csp(header=True)
    assert tree_csp(r.text) == page_csp()
    tree = lxml.html.document_fromstring(r.text)
    assert tree.xpath("//input[@id='drug-a']/@value") == ["alphex"]
    assert "Alphex (alphamab)" in tree.xpath("//h1")[0].text_content()
    assert tree.xpath("//figure[@id='chart-burden']//*[local-name()='svg']")
    assert len(tree.xpath("//script")) == 1


@pytest.mark.parametrize("url", ["/", "/compare", "/?a=alph"])
def test_form_page(app, url):
    r = get(app, url)
    tree = lxml.html.document_fromstring(r.text)
    assert r.status_code == 200 and tree.xpath("//form[@action='/compare']")
    assert not tree.xpath("//article[@id='report']")


# --- errors: one shape, 4xx, never 500 ------------------------------------------------------------

LONG = "x" * 300
BAD = [
    # (url, status, kind, text in the message)
    ("/api/compare?a=alphex&b=nosuchdrug", 404, "UnknownDrugError", "'nosuchdrug'"),
    ("/api/compare?a=alfex&b=alphex", 422, "QuestionError", "same product"),
    (
        "/api/compare?a=%27%3B%20drop%20table%20drugs%3B%20--&b=betanib",
        404,
        "UnknownDrugError",
        "drop table",
    ),
    (
        "/api/compare?a=%3Cscript%3Ealert(1)%3C%2Fscript%3E&b=betanib",
        404,
        "UnknownDrugError",
        "<script>",
    ),
    ("/api/compare?a=alphex&b=%FF%FE", 400, "EncodingError", "'b' is not valid UTF-8"),
    ("/api/compare?a=%C3%28&b=betanib", 400, "EncodingError", "'a' is not valid UTF-8"),
    (f"/api/compare?a=alphex&b={LONG}", 422, "QuestionError", "300 characters"),
    ("/api/compare?a=alphex&b=" + "y" * 5000, 422, "ValidationError", "at most 1000 characters"),
    ("/api/compare?a=alphex&b=%20%20", 422, "QuestionError", "second medicine name (b) is empty"),
    ("/api/compare?a=alphex", 422, "ValidationError", "parameter 'b': Field required"),
    ("/api/compare?a=alphex&b=betanib&audience=robot", 422, "ValidationError", "'audience'"),
    ("/api/compare?a=alphex&b=betanib&factor=left_handed", 422, "ConfigError", "left_handed"),
    ("/api/drugs?q=al&limit=0", 422, "ValidationError", "'limit'"),
    ("/api/drugs?q=" + "z" * 300, 422, "ValidationError", "'q'"),
    ("/api/signals?a=alphex&b=betanib", 503, "SourceError", "no post-marketing source"),
    ("/api/signals?a=nosuch&b=betanib", 404, "UnknownDrugError", "'nosuch'"),
    ("/api/signals?a=alphex&b=betanib&indication=%20", 422, "QuestionError", "indication is empty"),
    ("/api/nothing-here", 404, "HTTPError", "no page at '/api/nothing-here'"),
]


@pytest.mark.parametrize("url, status, kind, text", BAD)
def test_api_errors_have_one_shape(app, url, status, kind, text):
    r = get(app, url)
    assert r.status_code == status and r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    body = r.json()
    assert set(body) == ERROR_KEYS and body["ok"] is False
    assert body["status"] == status and body["kind"] == kind
    assert text in body["error"], body["error"]


def test_unknown_name_comes_with_suggestions(app):
    body = get(app, "/api/compare?a=alphex&b=betaxyz").json()
    assert body["status"] == 404 and body["suggestions"] == ["Betanib"]


def test_wrong_method(app):
    r = fetch(app, ("POST", "/api/compare?a=alphex&b=betanib"))[0]
    assert r.status_code == 405 and set(r.json()) == ERROR_KEYS
    assert "use GET or HEAD" in r.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/healthz",
        "/openapi.json",
        "/compare?a=alphex&b=betanib",
        "/api/compare?a=alphex&b=betanib",
        "/api/drugs?q=al",
        "/api/compare?a=alphex&b=nosuchdrug",  # an error: the same status as GET
        "/no-such-page",
    ],
)
def test_head_is_answered_wherever_get_is(app, url):
    got, head = fetch(app, ("GET", url), ("HEAD", url))
    assert head.status_code == got.status_code != 405
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content)


# --- the Host header (DNS rebinding) --------------------------------------------------------------

FOREIGN = [
    "evil.example",
    "evil.example:8000",
    "127.0.0.1.evil.example",
    "localhost.evil",
    "0.0.0.0",
]


@pytest.mark.parametrize("host", FOREIGN)
@pytest.mark.parametrize(
    "url", ["/healthz", "/api/compare?a=alphex&b=betanib", "/compare?a=alphex&b=betanib", "/"]
)
def test_a_foreign_host_gets_400_in_the_error_shape(app, host, url):
    r = fetch(app, ("GET", url, {"Host": host}))[0]
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == 400
    assert body["kind"] == "HostError" and f"host {host!r} is not served here" in body["error"]
    assert "127.0.0.1, ::1, localhost" in body["error"]


def test_redirects_never_point_to_a_foreign_host(app):
    bad, good = fetch(
        app,
        ("GET", "/api/compare/?a=alphex&b=betanib", {"Host": "evil.example"}),
        ("GET", "/api/compare/?a=alphex&b=betanib", {"Host": "127.0.0.1:8000"}),
    )
    assert bad.status_code == 400 and "location" not in bad.headers
    assert good.status_code == 307
    assert good.headers["location"] == "http://127.0.0.1:8000/api/compare?a=alphex&b=betanib"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8000", "localhost", "LocalHost:80", "[::1]:8000", "localhost."]
)
def test_loopback_names_are_served(app, host):
    assert fetch(app, ("GET", "/healthz", {"Host": host}))[0].status_code == 200


def test_configured_host_names_are_served(pack, tmp_path, monkeypatch):
    monkeypatch.setenv("RXCOMPARE_WEB_HOSTS", "rx.example, Other.Example")
    app = create_app(pack, warehouse=tmp_path, hosts=["10.1.2.3", "0.0.0.0"])
    for host in ("10.1.2.3:8000", "rx.example", "other.example:443", "localhost"):
        assert fetch(app, ("GET", "/healthz", {"Host": host}))[0].status_code == 200, host
    r = fetch(app, ("GET", "/healthz", {"Host": "evil.example"}))[0]
    assert r.status_code == 400
    assert "10.1.2.3, 127.0.0.1, ::1, localhost, other.example, rx.example" in r.json()["error"]


def test_two_host_headers_get_400(app):
    r = fetch(app, ("GET", "/healthz", [("Host", "127.0.0.1"), ("Host", "evil.example")]))[0]
    assert r.status_code == 400 and r.json()["kind"] == "HostError"


PAGE_BAD = [b for b in BAD if b[0].startswith("/api/compare") and "Field required" not in b[3]] + [
    ("/compare?b=betanib", 422, "QuestionError", "first medicine name (a) is empty"),
    ("/compare/nothing", 404, "HTTPError", "no page at '/compare/nothing'"),
]


@pytest.mark.parametrize("url, status, kind, text", PAGE_BAD)
def test_pages_show_errors_escaped(app, url, status, kind, text):
    r = get(app, url.replace("/api/compare", "/compare"))
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    tree = lxml.html.document_fromstring(r.text)
    [script] = tree.xpath("//script")  # only the page's own script
    assert "alert" not in script.text and "drop table" not in script.text
    message = tree.xpath("//p[@class='error-message']")[0].text_content()
    assert text in message
    assert "<script>alert" not in r.text
    assert not [
        a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")
    ]


def test_page_error_offers_suggestions_for_the_right_field(app):
    r = get(app, "/compare?a=alphex&b=betaxyz")
    tree = lxml.html.document_fromstring(r.text)
    links = tree.xpath("//section[@class='error-box']//a/@href")
    assert r.status_code == 404 and "/compare?a=alphex&b=Betanib&audience=clinician" in links


@pytest.mark.parametrize(
    "exc, status",
    [
        (UnknownDrugError("x"), 404),
        (AmbiguousDrugError("x", ("A", "B")), 422),
        (QuestionError("x"), 422),
        (FaersError("x"), 503),
        (FieldError("a", AmbiguousDrugError("x")), 422),
    ],
)
def test_status_of_errors(exc, status):
    assert status_of(exc) == status


# --- the warehouse's names ---------------------------------------------------------------------


@pytest.mark.shared
def test_suggestions_include_warehouse_names(pack, tmp_path):
    from rxcompare.sources.faers.warehouse import Warehouse

    w = Warehouse(tmp_path / "wh")
    w.ingest(shared_path("faers-ascii", "faers_ascii_2017q2.zip"))
    con = w.connect()
    name, n = con.execute(
        "SELECT ingredient, count(DISTINCT caseid) AS n FROM case_drugs WHERE ingredient IS NOT NULL "
        "GROUP BY 1 ORDER BY n DESC, ingredient LIMIT 1"
    ).fetchone()
    con.close()
    app = create_app(pack, warehouse=w.path)
    body = get(app, f"/api/drugs?q={name[:4]}&limit=50").json()
    hit = [d for d in body["drugs"] if d["name"] == name]
    assert (
        hit
        and hit[0]["source"] == "warehouse"
        and hit[0]["reports"] == n
        and not hit[0]["comparable"]
    )
    assert get(app, "/healthz").json()["warehouse"]["suggestions"] is True


# --- post-marketing from a synthetic FAERS warehouse, on the embedded pack -----------------------


@pytest.fixture(scope="module")
def pm_warehouse(tmp_path_factory):
    """The embedded pack and a synthetic FAERS warehouse of one quarter."""
    from rxcompare.errors import PackError
    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    try:
        pack = load_pack()
    except PackError as exc:
        pytest.skip(f"the embedded knowledge pack is not available ({exc})")
    root = tmp_path_factory.mktemp("pm")
    synth_quarters(root / "q", reports=3000, quarters=1, seed=7)
    wh = Warehouse(root / "wh")
    for z in sorted((root / "q").glob("*.zip")):
        wh.ingest(z)
    return pack, wh.path


@pytest.fixture(scope="module")
def pm_app(pm_warehouse):
    pack, wh = pm_warehouse
    return create_app(pack, warehouse=wh)


def test_signals_are_the_comparisons_rors(pm_app):
    body = get(pm_app, "/api/signals?a=kesimpta&b=ocrevus").json()
    assert body["ok"] is True and body["schema"] == "rxcompare/head-to-head"
    assert body["a"] == "kesimpta" and body["indication"]  # the shared indication by default
    doc = get(pm_app, "/api/compare?a=kesimpta&b=ocrevus").json()
    findings = {
        f["topic"]: f
        for d in doc["dimensions"]
        if d["key"] == "postmarketing"
        for f in d["findings"]
    }
    assert body["signals"]
    for s in body["signals"]:
        [ror] = [e for e in s["estimates"] if e["method"] == "ror_h2h"]
        f = findings["postmarketing." + s["event"].replace(" ", "_")]
        assert [e for e in f["estimates"] if e["method"] == "ror_h2h"] == [ror]
        t = s["table"]
        assert f"{t['a']} of {t['a'] + t['b']}" in f["statement"]


def test_page_draws_the_warehouse_charts(pm_app):
    tree = lxml.html.document_fromstring(get(pm_app, "/compare?a=kesimpta&b=ocrevus").text)
    per_year = tree.xpath("//figure[@id='chart-per-year']")[0]
    body = get(pm_app, "/api/signals?a=kesimpta&b=ocrevus").json()
    expected = {(str(r["year"]), r["product"]): r["count"] for r in body["per_year"]}
    rows = [[td.text_content() for td in tr.xpath("td")] for tr in per_year.xpath(".//tbody/tr")]
    assert rows and per_year.xpath(".//*[local-name()='svg']")
    for year, a, b in rows:
        assert float(a or 0) == expected.get((year, "kesimpta"), 0)
        assert float(b or 0) == expected.get((year, "ocrevus"), 0)
    forest = tree.xpath("//figure[@id='chart-forest']")[0]
    drawable = [
        s
        for s in body["signals"]
        for e in s["estimates"]
        if e["method"] == "ror_h2h" and e["value"] and e["value"] > 0
    ]
    assert len(forest.xpath(".//tbody/tr")) == len(body["signals"])
    assert bool(forest.xpath(".//*[local-name()='svg']")) == bool(drawable)


# --- under load: single flight, a few comparisons at a time, /healthz free ---------------------


class Gate:
    """The synthetic warehouse's real post-marketing source, holding every call until released
    and counting the calls (and the most at once) inside it."""

    def __init__(self, source):
        self.source = source
        self.description = source.description
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.calls = self.inside = self.most = 0

    def head_to_head(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            assert self.release.wait(60), "the test never released the gate"
            return self.source.head_to_head(*args, **kwargs)
        finally:
            with self.lock:
                self.inside -= 1


def gated_app(pm_warehouse, **kw):
    from rxcompare.web.engine import pick_postmarketing

    pack, wh = pm_warehouse
    source, _ = pick_postmarketing(wh, False)
    gate = Gate(source)
    return create_app(pack, warehouse=wh, postmarketing=gate, **kw), gate


def held(
    app, gate, urls: list[str], until
) -> tuple[httpx.Response, int, int, list[httpx.Response]]:
    """Send ``urls`` at once; when ``until(gate)`` holds, and 0.3 s more for the rest to arrive,
    ask /healthz, note the calls and the most at once inside the gate, then release it."""

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=60) as client:
            pending = [asyncio.ensure_future(client.get(u)) for u in urls]
            for _ in range(600):
                if until(gate):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            health = await client.get("/healthz")  # answered while the comparisons are held
            calls, most = gate.calls, gate.most
            gate.release.set()
            return health, calls, most, await asyncio.gather(*pending)

    return asyncio.run(run())


def test_identical_uncached_requests_compute_once(pm_warehouse):
    app, gate = gated_app(pm_warehouse)
    urls = ["/api/compare?a=kesimpta&b=ocrevus"] * 10 + ["/compare?a=kesimpta&b=ocrevus"] * 10
    health, calls, _, answers = held(app, gate, urls, lambda g: g.calls >= 1)
    assert health.status_code == 200 and health.json()["ok"] is True
    assert calls == 1  # one comparison for 20 requests, JSON and page alike
    assert [r.status_code for r in answers] == [200] * 20
    assert (
        len({r.content for r in answers[:10]}) == 1 and len({r.content for r in answers[10:]}) == 1
    )
    cache = fetch(app, ("GET", "/healthz"))[0].json()["cache"]
    assert cache["misses"] == 1 and cache["comparisons"] == 1


def test_uncached_comparisons_run_a_few_at_a_time(pm_warehouse):
    app, gate = gated_app(pm_warehouse, compare_threads=2)
    urls = [
        f"/api/compare?a=kesimpta&b=ocrevus&audience={audience}{factor}"
        for audience in ("clinician", "patient")
        for factor in ("", "&factor=needle_averse", "&factor=hbv_positive")
    ]
    health, calls, most, answers = held(app, gate, urls, lambda g: g.calls >= 2)
    assert health.status_code == 200  # the event loop is free while two comparisons are held
    assert (calls, most) == (2, 2)  # the other four wait for a thread, holding none
    assert [r.status_code for r in answers] == [200] * 6
    assert fetch(app, ("GET", "/healthz"))[0].json()["cache"]["misses"] == 6


def test_identical_signals_requests_compute_once_in_the_pool(pm_warehouse):
    """/api/signals goes through the worker pool and single flight as /compare does (the issue's
    probe: 20 identical requests took 8.4 s against 0.56 s for one, /healthz p99 1.49 s)."""
    app, gate = gated_app(pm_warehouse, compare_threads=2)
    urls = ["/api/signals?a=kesimpta&b=ocrevus"] * 20
    health, calls, most, answers = held(app, gate, urls, lambda g: g.calls >= 1)
    assert health.status_code == 200 and health.json()["ok"] is True  # the event loop stayed free
    assert (calls, most) == (1, 1)
    assert [r.status_code for r in answers] == [200] * 20 and len({r.content for r in answers}) == 1


def test_signals_follow_an_ingest_into_the_served_warehouse(pm_warehouse, tmp_path):
    """The cache is keyed on the warehouse's generation and the products the names resolve to:
    after another quarter is ingested into the served warehouse, the counts are the new ones; a
    name typed otherwise for the same product is answered from the same entry."""
    import shutil

    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    pack, wh = pm_warehouse
    served = tmp_path / "wh"
    shutil.copytree(wh, served)
    app = create_app(pack, warehouse=served)
    before = get(app, "/api/signals?a=kesimpta&b=ocrevus").json()
    assert get(app, "/api/signals?a=KESIMPTA&b=Ocrevus").json() == before
    synth_quarters(tmp_path / "q", reports=3000, quarters=2, seed=7)
    newer = sorted((tmp_path / "q").glob("*.zip"))[-1]
    Warehouse(served).ingest(newer)
    after = get(app, "/api/signals?a=kesimpta&b=ocrevus").json()

    def total(doc):
        return sum(s["table"]["a"] + s["table"]["b"] for s in doc["signals"])

    assert after["citation"] != before["citation"] or total(after) != total(before)
    fresh = create_app(pack, warehouse=served)  # what a server started now answers
    assert after == get(fresh, "/api/signals?a=kesimpta&b=ocrevus").json()


def test_the_comparison_follows_an_ingest_into_the_served_warehouse(pm_warehouse, tmp_path):
    """/compare and /api/compare are cached on the warehouse's generation too (the issue: only
    /api/signals was): after another quarter is ingested into the served warehouse, the page and
    the JSON are those a server started now gives, not the cached ones of the older state."""
    import shutil

    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    pack, wh = pm_warehouse
    served = tmp_path / "wh"
    shutil.copytree(wh, served)
    app = create_app(pack, warehouse=served)
    url = "/api/compare?a=kesimpta&b=ocrevus"
    before = get(app, url).json()
    page_before = get(app, "/compare?a=kesimpta&b=ocrevus").text
    assert get(app, url).json() == before  # cached while nothing changed
    synth_quarters(tmp_path / "q", reports=3000, quarters=2, seed=7)
    Warehouse(served).ingest(sorted((tmp_path / "q").glob("*.zip"))[-1])
    after = get(app, url).json()
    fresh = create_app(pack, warehouse=served)  # what a server started now answers
    assert after == get(fresh, url).json()
    assert after != before  # the post-marketing counts are the new quarter's
    page_after = get(app, "/compare?a=kesimpta&b=ocrevus").text
    assert page_after != page_before


def test_an_error_reaches_every_request_that_shared_it(app):
    urls = ["/api/compare?a=alphex&b=nosuchdrug"] * 5
    answers = asyncio.run(_at_once(app, urls))
    assert [r.status_code for r in answers] == [404] * 5
    assert all(r.json()["kind"] == "UnknownDrugError" for r in answers)


async def _at_once(app, urls):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        return await asyncio.gather(*(client.get(u) for u in urls))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=st.text(max_size=300), b=st.text(max_size=40), page=st.booleans())
def test_any_text_gets_an_answer_never_a_500(app, a, b, page):
    r = get(
        app, ("/compare?" if page else "/api/compare?") + str(httpx.QueryParams({"a": a, "b": b}))
    )
    assert r.status_code in (200, 404, 422), r.text[:300]
    if not page and r.status_code != 200:
        assert set(r.json()) == ERROR_KEYS


def test_serve_command_answers_on_loopback(tmp_path):
    import socket
    import subprocess
    import sys
    import time

    pack = fixture_pack_file(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "rxcompare", "serve", "--port", str(port), "--pack", str(pack),
           "--warehouse", str(tmp_path / "none"), "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "rxcompare serve did not answer within 30 s"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["pack"]["products"] == 3
        page = httpx.get(f"http://127.0.0.1:{port}/compare?a=alphex&b=betanib", timeout=10)
        assert page.status_code == 200 and "Alphex (alphamab)" in page.text
        head = httpx.head(f"http://127.0.0.1:{port}/compare?a=alphex&b=betanib", timeout=10)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(page.content)
        foreign = httpx.get(
            f"http://127.0.0.1:{port}/api/compare/?a=alphex&b=betanib",
            headers={"Host": "evil.example"},
            timeout=10,
        )
        assert foreign.status_code == 400 and "location" not in foreign.headers
        assert foreign.json()["kind"] == "HostError"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert f"serving on http://127.0.0.1:{port}/" in err
