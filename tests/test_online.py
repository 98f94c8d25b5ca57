"""The openFDA client: URLs, cache and expiry, retries and backoff, API key, errors, loopback HTTP;
and the neutral cached client under it and every other online stream.

Answers come from tests/fixtures/openfda (constructed in openFDA's real response shape; see its
README.md) through ``httpx.MockTransport``, and once through a real HTTP server on 127.0.0.1.
The helpers :class:`Recorded` and :func:`loopback_server` are shared with the other openFDA tests.
"""

from __future__ import annotations

import json
import re
import socket
from datetime import datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from helpers import (
    KEY,
    T0,
    Clock,
    Recorded,
    loopback_server,
    make_client,
    openfda_fixture,
)
from hypothesis import given
from hypothesis import strategies as st

import rxcompare.sources.http
from rxcompare import settings
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.sources.ctgov import CtGovClient
from rxcompare.sources.http import CachedClient
from rxcompare.sources.labels.dailymed import DailyMedClient
from rxcompare.sources.literature import EuropePmcClient, PubMedClient
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.rxnorm import RxNavClient


class Script:
    """A transport answering from a list of (status, headers, body) in turn, counting requests."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.urls: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        status, headers, body = self.answers[min(len(self.urls), len(self.answers)) - 1]
        return httpx.Response(status, headers=headers, json=body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


OK = (200, {}, openfda_fixture("labels-alphex.json")["exchanges"][0]["response"]["body"])
ERR = openfda_fixture("errors.json")


def err(name: str, **headers: str) -> tuple[int, dict, dict]:
    e = ERR[name]
    return e["status"], {**e.get("headers", {}), **headers}, e["body"]


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, params, url",
    [
        (
            "drug/event.json",
            {"search": 'a:"X Y"', "limit": 1},
            "https://api.fda.gov/drug/event.json?limit=1&search=a%3A%22X+Y%22",
        ),
        (
            "/drug/label.json",
            {"sort": "effective_time:desc", "limit": 1, "search": "b:1", "skip": None},
            "https://api.fda.gov/drug/label.json?limit=1&search=b%3A1&sort=effective_time%3Adesc",
        ),
        (
            "drug/event.json",
            {"count": "receivedate", "search": "x:(A OR B)"},
            "https://api.fda.gov/drug/event.json?count=receivedate&search=x%3A%28A+OR+B%29",
        ),
    ],
)
def test_url_sorts_parameters_and_never_holds_the_key(tmp_path, endpoint, params, url):
    client = make_client(tmp_path, httpx.MockTransport(Script(OK).handler))
    assert client.url(endpoint, params) == url
    assert KEY not in client.url(endpoint, params)


def _httpx_url(base: str, endpoint: str, params: dict) -> str:
    """The URL as httpx itself writes it (the spelling the cache keys were made with)."""
    items = sorted((k, str(v)) for k, v in params.items() if v is not None)
    return str(httpx.URL(f"{base.rstrip('/')}/{endpoint.strip('/')}", params=items))


@pytest.mark.parametrize(
    "base",
    [
        "https://api.fda.gov",  # written directly: already in normal form
        "http://127.0.0.1:8080",
        "https://example.org:8443/api/v1/",
        "https://example.org/...",
        "http://example.org:80",  # the rest left to httpx: a default port,
        "https://example.org:443/api",
        "https://example.org/a/../b",  # dot segments,
        "https://example.org/a/./b",
        "https://example.org/%7Euser",  # percent-encoding,
        "https://EXAMPLE.org",  # an upper-case host,
        "http://example.org:0080",  # a port with leading zeros
    ],
)
def test_url_is_httpx_spelling_for_every_base(tmp_path, base):
    client = OpenFdaClient(base=base, cache_dir=tmp_path)
    params = {"search": 'openfda.brand_name:"ÄB C" +x&y=z#', "limit": 1, "x": "a/b?c", "n": None}
    assert client.url("drug/label.json", params) == _httpx_url(base, "drug/label.json", params)
    assert client.url("drug/label.json", {}) == _httpx_url(base, "drug/label.json", {})


@given(
    st.dictionaries(
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(
            lambda k: k != "api_key"
        ),
        st.one_of(st.text(st.characters(blacklist_categories=("Cs",))), st.integers(), st.none()),
        max_size=4,
    )
)
def test_url_is_httpx_spelling_for_any_parameters(params):
    client = OpenFdaClient(base="https://api.fda.gov", cache_dir=".")
    assert client.url("drug/event.json", params) == _httpx_url(
        "https://api.fda.gov", "drug/event.json", params
    )


@pytest.mark.parametrize(
    "kwargs, call",
    [
        ({"base": "ftp://api.fda.gov"}, None),
        ({"base": "api.fda.gov"}, None),
        ({}, ("drug/event", {})),
        ({}, ("../etc/passwd", {})),
        ({}, ("drug/event.json", {"api_key": "x"})),
    ],
)
def test_bad_configuration_is_a_config_error(tmp_path, kwargs, call):
    with pytest.raises(ConfigError):
        client = OpenFdaClient(**{"base": "https://api.fda.gov", "cache_dir": tmp_path, **kwargs})
        client.url(*call)


def test_settings_give_base_and_key(tmp_path, monkeypatch):
    monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", "http://127.0.0.1:9/")
    monkeypatch.setenv("OPENFDA_API_KEY", KEY)
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "c"))
    client = OpenFdaClient()
    assert client.base == "http://127.0.0.1:9"
    assert client.has_api_key
    assert client.cache_dir == tmp_path / "c" / "openfda"


# --- answers, cache, key ---------------------------------------------------------------------


def test_answer_key_sent_but_never_cached(tmp_path):
    script = Script(OK)
    client = make_client(tmp_path, httpx.MockTransport(script.handler))
    fetched = client.fetch("drug/event.json", {"search": "x:1", "limit": 1})
    assert fetched.data == OK[2] and not fetched.from_cache
    assert f"api_key={KEY}" in script.urls[0]
    assert KEY not in fetched.url
    files = list((tmp_path / "cache").glob("*.json"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert KEY not in text
    entry = json.loads(text)
    assert entry["url"] == fetched.url and entry["data"] == OK[2]
    assert datetime.fromisoformat(entry["fetched_at"]) == T0


def test_no_key_no_key_parameter(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENFDA_API_KEY", raising=False)
    script = Script(OK)
    client = make_client(tmp_path, httpx.MockTransport(script.handler), api_key=None)
    client.get("drug/event.json", {"limit": 1})
    assert "api_key" not in script.urls[0] and not client.has_api_key


@pytest.mark.parametrize(
    "age, refetched",
    [
        (timedelta(0), False),
        (timedelta(days=6, hours=23), False),
        (timedelta(days=7), True),
        (timedelta(days=30), True),
    ],
)
def test_cache_hit_and_expiry(tmp_path, age, refetched):
    script = Script(OK, OK)
    clock = Clock()
    client = make_client(tmp_path, httpx.MockTransport(script.handler), clock=clock)
    client.get("drug/event.json", {"limit": 1})
    clock.now = T0 + age
    again = client.fetch("drug/event.json", {"limit": 1})
    assert len(script.urls) == (2 if refetched else 1)
    assert again.from_cache is not refetched
    assert again.fetched_at == (clock.now if refetched else T0)


def test_unreadable_cache_file_is_refetched_and_rewritten(tmp_path):
    script = Script(OK, OK)
    client = make_client(tmp_path, httpx.MockTransport(script.handler))
    client.get("drug/event.json", {"limit": 1})
    (cache_file,) = (tmp_path / "cache").glob("*.json")
    cache_file.write_text("{not json", encoding="utf-8")
    assert client.get("drug/event.json", {"limit": 1}) == OK[2]
    assert len(script.urls) == 2
    assert json.loads(cache_file.read_text(encoding="utf-8"))["data"] == OK[2]


def test_not_found_means_zero_results_and_is_cached(tmp_path):
    script = Script(err("not_found"))
    client = make_client(tmp_path, httpx.MockTransport(script.handler))
    first = client.fetch("drug/event.json", {"search": "x:1", "limit": 1})
    assert first.not_found
    assert first.data == {"meta": {"results": {"skip": 0, "limit": 1, "total": 0}}, "results": []}
    second = client.fetch("drug/event.json", {"search": "x:1", "limit": 1})
    assert second.from_cache and second.not_found and len(script.urls) == 1


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, waits",
    [
        ([err("rate_limited"), OK], [2.0]),
        ([err("rate_limited", **{"Retry-After": "0"}), OK], [0.0]),
        ([err("unavailable"), err("unavailable"), OK], [0.5, 1.0]),
        ([err("server_error"), err("rate_limited"), OK], [0.5, 2.0]),
        (
            [
                err(
                    "unavailable",
                    **{"Retry-After": format_datetime(T0 + timedelta(seconds=5), usegmt=True)},
                ),
                OK,
            ],
            [5.0],
        ),
    ],
)
def test_retries_with_backoff_and_retry_after(tmp_path, answers, waits):
    script = Script(*answers)
    slept: list[float] = []
    client = make_client(tmp_path, httpx.MockTransport(script.handler), sleep=slept.append)
    assert client.get("drug/event.json", {"limit": 1}) == OK[2]
    assert slept == waits
    assert len(script.urls) == len(answers)


@pytest.mark.parametrize(
    "name, words", [("unavailable", "503"), ("rate_limited", "OPENFDA_API_KEY")]
)
def test_gives_up_after_max_retries(tmp_path, name, words, monkeypatch):
    monkeypatch.delenv("OPENFDA_API_KEY", raising=False)
    answer = err(name, **{"Retry-After": ""}) if name == "rate_limited" else err(name)
    script = Script(answer)
    slept: list[float] = []
    client = make_client(
        tmp_path, httpx.MockTransport(script.handler), sleep=slept.append, api_key=None
    )
    with pytest.raises(OnlineError, match=words):
        client.get("drug/event.json", {"limit": 1})
    assert slept == [0.5, 1.0, 2.0, 4.0]
    assert len(script.urls) == 5
    assert not list((tmp_path / "cache").glob("*.json"))


def test_long_retry_after_is_not_waited_for(tmp_path):
    script = Script(err("rate_limited", **{"Retry-After": "3600"}))
    slept: list[float] = []
    client = make_client(tmp_path, httpx.MockTransport(script.handler), sleep=slept.append)
    with pytest.raises(OnlineError, match="asks to wait 3600 s"):
        client.get("drug/event.json", {"limit": 1})
    assert slept == [] and len(script.urls) == 1


def test_read_errors_are_retried_then_reported(tmp_path):
    calls = []

    def broken(request):
        calls.append(request)
        raise httpx.ReadError("connection reset by peer", request=request)

    slept: list[float] = []
    client = make_client(tmp_path, httpx.MockTransport(broken), sleep=slept.append, max_retries=2)
    with pytest.raises(OnlineError, match="did not finish answering"):
        client.get("drug/event.json", {"limit": 1})
    assert len(calls) == 3 and slept == [0.5, 1.0]


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, words",
    [
        (err("bad_request"), "Invalid limit parameter value"),
        (
            (
                403,
                {},
                {
                    "error": {
                        "code": "API_KEY_INVALID",
                        "message": "An invalid api_key was supplied.",
                    }
                },
            ),
            "OPENFDA_API_KEY",
        ),
        ((404, {}, {"detail": "no such endpoint"}), "404"),
        ((200, {}, ["not", "an", "object"]), "not a JSON object"),
    ],
)
def test_refusals_are_online_errors_without_the_key(tmp_path, answer, words):
    script = Script(answer)
    client = make_client(tmp_path, httpx.MockTransport(script.handler))
    with pytest.raises(OnlineError, match=words) as info:
        client.get("drug/event.json", {"search": "x:1", "limit": 1})
    assert KEY not in str(info.value)
    assert len(script.urls) == 1


def test_offline_is_a_clear_error_at_once(tmp_path):
    calls = []

    def offline(request):
        calls.append(request)
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    client = make_client(tmp_path, httpx.MockTransport(offline), sleep=pytest.fail)
    with pytest.raises(
        OnlineError, match=r"openFDA at https://api.fda.gov is unreachable .*run without --online"
    ):
        client.get("drug/event.json", {"limit": 1})
    assert len(calls) == 1
    assert not client.is_reachable()


def test_closed_port_on_loopback_is_unreachable(tmp_path):
    client = OpenFdaClient(
        base=f"http://127.0.0.1:{free_port()}", api_key=KEY, cache_dir=tmp_path, sleep=pytest.fail
    )
    with pytest.raises(OnlineError, match="unreachable") as info:
        client.get("drug/event.json", {"limit": 1})
    assert KEY not in str(info.value)
    assert not client.is_reachable(timeout=1.0)


@pytest.mark.parametrize(
    "answer, reachable", [(OK, True), (err("rate_limited"), True), (err("unavailable"), False)]
)
def test_is_reachable(tmp_path, answer, reachable):
    client = make_client(tmp_path, httpx.MockTransport(Script(answer).handler))
    assert client.is_reachable() is reachable


# --- real HTTP on loopback -------------------------------------------------------------------


def test_real_http_server_on_loopback(tmp_path):
    recorded = Recorded("labels-alphex.json", "events-alphex-betanib.json")
    params = {
        "search": 'openfda.brand_name:"ALPHAMAB" openfda.generic_name:"ALPHAMAB"',
        "count": "openfda.brand_name.exact",
        "limit": 1000,
    }
    with (
        loopback_server(recorded) as base,
        OpenFdaClient(base=base, api_key=KEY, cache_dir=tmp_path, sleep=pytest.fail) as client,
    ):
        assert client.is_reachable()
        data = client.get("drug/label.json", params)
        assert [r["term"] for r in data["results"]] == ["Alphex", "Alphex IV"]
        empty = client.fetch(
            "drug/label.json",
            {**params, "search": params["search"].replace("ALPHAMAB", "NOSUCHNAME")},
        )
        assert empty.not_found and empty.data["results"] == []
        client.get("drug/label.json", params)  # from the cache: no request
    probes = [
        path for path, p in recorded.requests if path == "/drug/event.json" and "search" not in p
    ]
    assert len(probes) == 1
    assert len(recorded.requests) == 3
    assert all(p["api_key"] == KEY for _, p in recorded.requests)


# --- the neutral client under every stream ----------------------------------------------------


class ToyClient(CachedClient):
    """A service the shared client knows nothing of: no key, endpoints ``things/<digits>``."""

    service = "Toy index"
    base_setting = settings.Setting("toy_base", "RXCOMPARE_TOY_BASE", "toy base URL", "")
    cache_name = "toy"
    endpoint_pattern = re.compile(r"^things/\d+$")
    endpoint_form = "things/<digits>"


def toy(tmp_path, script: Script) -> ToyClient:
    return ToyClient(
        base="https://toy.example/api",
        cache_dir=tmp_path / "toy",
        transport=httpx.MockTransport(script.handler),
        clock=Clock(),
        sleep=lambda _s: None,
    )


@pytest.mark.parametrize(
    "client",
    [OpenFdaClient, DailyMedClient, CtGovClient, RxNavClient, PubMedClient, EuropePmcClient],
)
def test_every_online_client_subclasses_the_neutral_one_and_only_openfda_is_openfda(client):
    assert issubclass(client, CachedClient)
    assert issubclass(client, OpenFdaClient) is (client is OpenFdaClient)


def test_the_neutral_client_names_no_service():
    # openFDA's NOT_FOUND, its key and its error body belong to OpenFdaClient, not to the base
    assert CachedClient.key_setting is None
    for name in ("_not_found", "_refused", "_error_of", "is_reachable"):
        assert getattr(OpenFdaClient, name) is not getattr(CachedClient, name, None), name
    assert not hasattr(CachedClient, "service") and not hasattr(rxcompare.sources.http, "_ENDPOINT")


def test_neutral_client_caches_json_and_sends_no_key(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFDA_API_KEY", KEY)  # another service's key is never sent
    script = Script((200, {}, {"thing": 1}))
    client = toy(tmp_path, script)
    first = client.fetch("things/7", {"b": 2, "a": 1})
    again = client.fetch("things/7", {"a": 1, "b": 2})
    assert first.url == "https://toy.example/api/things/7?a=1&b=2" == again.url
    assert first.data == {"thing": 1} == again.data and again.from_cache
    assert script.urls == ["https://toy.example/api/things/7?a=1&b=2"]
    assert not client.has_api_key and len(list((tmp_path / "toy").glob("*.json"))) == 1


def test_neutral_client_reads_a_404_as_a_refusal_even_in_openfda_words(tmp_path):
    # openFDA's "nothing matched" is openFDA's: another service's 404 is an error naming it
    script = Script(err("not_found"))
    with pytest.raises(
        OnlineError,
        match=r"^Toy index at https://toy.example/api answered 404 \(Not Found: \) to "
        r"https://toy.example/api/things/1; check RXCOMPARE_TOY_BASE or run without --online$",
    ):
        toy(tmp_path, script).get("things/1", {})
    assert not list((tmp_path / "toy").glob("*.json"))


def test_neutral_client_retries_then_gives_up_in_its_service_name(tmp_path):
    script = Script((503, {}, {}))
    with pytest.raises(OnlineError, match=r"^Toy index at .* answered 503 .* 5 times"):
        toy(tmp_path, script).get("things/1", {})
    assert len(script.urls) == 5


@pytest.mark.parametrize("endpoint", ["drug/event.json", "things/x", "../things/1"])
def test_neutral_client_refuses_endpoints_outside_its_form(tmp_path, endpoint):
    with pytest.raises(ConfigError, match=r"Toy index endpoint .* things/<digits>"):
        toy(tmp_path, Script((200, {}, {}))).url(endpoint, {})


@pytest.mark.network
def test_real_openfda_answers_have_the_shapes_the_fixtures_assume(tmp_path):
    """Run with ``pytest -m network`` on a machine with internet: checks the constructed fixtures'
    shapes against api.fda.gov itself (a search total, a NOT_FOUND, a date count)."""
    with OpenFdaClient(base="https://api.fda.gov", cache_dir=tmp_path) as client:
        search = client.get("drug/event.json", {"limit": 1})
        assert set(
            openfda_fixture("events-alphex-betanib.json")["exchanges"][1]["response"]["body"][
                "meta"
            ]
        ) <= set(search["meta"])
        assert search["meta"]["results"]["total"] > 0
        nothing = client.fetch(
            "drug/event.json",
            {"search": 'patient.reaction.reactionmeddrapt.exact:"NO SUCH TERM XYZ"', "limit": 1},
        )
        assert nothing.not_found and nothing.data["results"] == []
        days = client.get(
            "drug/event.json",
            {"search": "receivedate:[20200101 TO 20200107]", "count": "receivedate"},
        )
        assert all(set(r) == {"time", "count"} and len(r["time"]) == 8 for r in days["results"])
