"""openFDA drug/event counts -> head-to-head 2x2 tables: queries, tables, statistics, citations.

The scenario (tests/fixtures/openfda/events-alphex-betanib.json) is CONSTRUCTED: fictional products
(Alphex and Alphex IV share the ingredient alphamab, so Alphex is matched by brand; Betanib is the
only product of betanib, so it is matched by generic name) and made-up counts in openFDA's answer
shape, including its 404 NOT_FOUND for searches that match nothing.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import timedelta

import httpx
import pytest
from conftest import shared_path
from helpers import KEY, T0, Clock, Recorded, fixture_pack_file, loopback_server, make_client

from rxcompare.comparison import compare_drugs
from rxcompare.comparison.head_to_head import with_ror
from rxcompare.comparison.resolve import resolve_pair
from rxcompare.errors import ConfigError, OnlineError
from rxcompare.models import Drug, PostMarketing, Product
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.openfda.events import (
    FIELDS,
    OUTCOME_FIELDS,
    OpenFdaEvents,
    drug_clause,
    event_clause,
    quote,
    uses_brand,
)
from rxcompare.sources.pack import load_pack

ALPHEX = Product(id="alphex", brand="Alphex", ingredient="alphamab")
ALPHEX_IV = Product(id="alphex-iv", brand="Alphex IV", ingredient="alphamab")
BETANIB = Product(id="betanib", brand="Betanib", ingredient="betanib")
PRODUCTS = (ALPHEX, ALPHEX_IV, BETANIB)
A = Drug("alphex", "alphamab", (ALPHEX,))
B = Drug("betanib", "betanib", (BETANIB,))
GROUPS = {"herpes": ("Herpes zoster", "ORAL HERPES"), "death": ("@outcome:DE",)}

ARM_A = 'patient.drug.openfda.brand_name.exact:"ALPHEX" AND NOT patient.drug.openfda.generic_name.exact:"BETANIB"'
ARM_B = 'patient.drug.openfda.generic_name.exact:"BETANIB" AND NOT patient.drug.openfda.brand_name.exact:"ALPHEX"'
HERPES = 'patient.reaction.reactionmeddrapt.exact:("HERPES ZOSTER" OR "ORAL HERPES")'


def wald(a: int, b: int, c: int, d: int) -> tuple[float, float, float]:
    """ROR with the Woolf interval, written out here to check the wiring independently."""
    ror = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return (
        ror,
        math.exp(math.log(ror) - 1.959963984540054 * se),
        math.exp(math.log(ror) + 1.959963984540054 * se),
    )


# --- query pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, phrase",
    [
        ("OCREVUS ZUNOVO", '"OCREVUS ZUNOVO"'),
        ("  multiple   sclerosis ", '"multiple sclerosis"'),
        ("CROHN'S DISEASE", '"CROHN\'S DISEASE"'),
        ("HYALURONIDASE-OCSQ", '"HYALURONIDASE-OCSQ"'),
    ],
)
def test_quote(value, phrase):
    assert quote(value) == phrase


@pytest.mark.parametrize("value", ["", "   ", 'say "hi"', "a\\b", "SJÖGREN", "x; drop", "a*"])
def test_quote_refuses_what_openfda_cannot_take(value):
    with pytest.raises(ConfigError, match="cannot be sent to openFDA"):
        quote(value, "indication")


@pytest.mark.parametrize(
    "drug, products, by_brand, clause",
    [
        (A, PRODUCTS, True, 'patient.drug.openfda.brand_name.exact:"ALPHEX"'),
        (A, (ALPHEX, BETANIB), False, 'patient.drug.openfda.generic_name.exact:"ALPHAMAB"'),
        (B, PRODUCTS, False, 'patient.drug.openfda.generic_name.exact:"BETANIB"'),
        (
            Drug("alphamab", "alphamab", (ALPHEX, ALPHEX_IV)),
            (),
            True,
            'patient.drug.openfda.brand_name.exact:"ALPHEX"',
        ),
    ],
)
def test_drug_clause_by_brand_only_when_the_ingredient_has_several_products(
    drug, products, by_brand, clause
):
    assert uses_brand(drug, products) is by_brand
    assert drug_clause(drug, by_brand) == clause


@pytest.mark.parametrize(
    "terms, clause",
    [
        (("Herpes zoster",), 'patient.reaction.reactionmeddrapt.exact:("HERPES ZOSTER")'),
        (("HERPES ZOSTER", "ORAL HERPES"), HERPES),
        (("@outcome:DE",), "seriousnessdeath:1"),
        (("@outcome:ho",), "seriousnesshospitalization:1"),
        (
            ("PNEUMONIA", "@outcome:DE"),
            '(patient.reaction.reactionmeddrapt.exact:("PNEUMONIA") OR seriousnessdeath:1)',
        ),
    ],
)
def test_event_clause(terms, clause):
    assert event_clause(terms) == clause


@pytest.mark.parametrize("terms", [(), ("@outcome:RI",), ("@outcome:XX",), ('BAD "TERM"',)])
def test_event_clause_refuses(terms):
    with pytest.raises(ConfigError):
        event_clause(terms)


# --- the head-to-head tables -----------------------------------------------------------------


def recorded_events(tmp_path, **kw):
    recorded = Recorded("events-alphex-betanib.json")
    client = make_client(tmp_path, recorded.transport(), **kw)
    return recorded, OpenFdaEvents(client, PRODUCTS)


def test_head_to_head_tables_statistics_and_citations(tmp_path):
    recorded, source = recorded_events(tmp_path)
    result = source.head_to_head(A, B, GROUPS, None)
    assert isinstance(result, PostMarketing)
    herpes, death = result.signals
    assert (herpes.event, death.event) == ("herpes", "death")
    assert (herpes.table.a, herpes.table.b, herpes.table.c, herpes.table.d) == (30, 1170, 10, 790)
    assert (death.table.a, death.table.b, death.table.c, death.table.d) == (6, 1194, 0, 800)

    assert (
        herpes.estimates == () and death.estimates == ()
    )  # sources count; the comparison computes
    herpes, death = with_ror(herpes), with_ror(death)
    (est,) = herpes.estimates
    assert est.method == "ror_h2h"
    assert (est.value, est.lower, est.upper) == pytest.approx(wald(30, 1170, 10, 790), rel=1e-12)
    (est_death,) = death.estimates
    assert est_death.method == "ror_h2h"
    assert est_death.value == pytest.approx(
        6.5 * 800.5 / (1194.5 * 0.5), rel=1e-12
    )  # c = 0: +0.5 (stats policy)

    assert dict(herpes.extra) == {
        "serious_a": 12,
        "serious_b": 5,
        "serious_share_a": 12 / 30,
        "serious_share_b": 5 / 10,
    }
    assert dict(death.extra) == {
        "serious_a": 6,
        "serious_b": 0,
        "serious_share_a": 1.0,
        "serious_share_b": None,
        "ror_h2h_correction": "haldane: +0.5 on every cell (a zero cell)",
    }
    assert herpes.terms == ("HERPES ZOSTER", "ORAL HERPES") and death.terms == ("@outcome:DE",)
    assert herpes.drug == "Alphex" and herpes.comparator == "Betanib"
    assert herpes.counting_unit == "report" and herpes.filters == ()

    c = herpes.citation
    assert c.kind == "openfda" and c.title == "openFDA drug/event"
    assert c.url == str(
        httpx.URL(
            "https://api.fda.gov/drug/event.json",
            params={"limit": 1, "search": f"{ARM_A} AND {HERPES}"},
        )
    )
    detail = dict(c.detail)
    assert (
        detail["counting_unit"] == "report (openFDA counts safety reports, not deduplicated cases)"
    )
    assert detail["queried"] == "2025-07-01" and detail["last_updated"] == "2025-06-24"

    assert result.per_year == (
        ("alphex", 2019, 700),
        ("alphex", 2020, 500),
        ("betanib", 2020, 350),
        ("betanib", 2021, 450),
    )
    assert any("not deduplicated cases" in x for x in result.caveats)
    assert not any("indication" in x.lower() and "free text" in x for x in result.caveats)
    assert result.citation.url == "https://api.fda.gov/drug/event.json"
    assert (
        dict(result.citation.detail)["drug_a"] == 'patient.drug.openfda.brand_name.exact:"ALPHEX"'
    )
    assert "2025-06-24" in dict(result.provenance)["openfda"]

    assert KEY not in json.dumps(
        [str(s.citation) for s in result.signals] + [str(result.citation), str(result.provenance)]
    )
    used = {
        (p, tuple(sorted((k, v) for k, v in q.items() if k != "api_key")))
        for p, q in recorded.requests
    }
    # every count asked once, and once the terms alone (their NOT_FOUND for Betanib is a zero only
    # when openFDA knows the terms)
    assert len(used) == len(recorded.requests) == 13
    assert all(q["api_key"] == KEY for _, q in recorded.requests)


def test_second_run_comes_from_the_cache_with_its_date(tmp_path):
    clock = Clock()
    recorded, source = recorded_events(tmp_path, clock=clock)
    first = source.head_to_head(A, B, GROUPS, None)
    clock.now = T0 + timedelta(days=3)
    second = source.head_to_head(A, B, GROUPS, None)
    assert len(recorded.requests) == 13
    assert second.signals == first.signals
    assert dict(second.signals[0].citation.detail)["queried"] == "2025-07-01"


def test_indication_and_suspect_filters_reach_every_search(tmp_path):
    searches: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        searches.append(q)
        if q.get("count") == "receivedate":
            return httpx.Response(
                200,
                json={
                    "meta": {"last_updated": "2025-06-24"},
                    "results": [{"time": "20230105", "count": 5}],
                },
            )
        events = "reactionmeddrapt" in q["search"] or "seriousness" in q["search"]
        total = (7 if "serious:1" in q["search"] else 10) if events else 1000
        return httpx.Response(
            200,
            json={
                "meta": {
                    "last_updated": "2025-06-24",
                    "results": {"skip": 0, "limit": 1, "total": total},
                },
                "results": [{}],
            },
        )

    client = make_client(tmp_path, httpx.MockTransport(answer))
    result = OpenFdaEvents(client, PRODUCTS, suspect_only=True).head_to_head(
        A, B, {"herpes": GROUPS["herpes"]}, "fictional disease"
    )
    tail = ' AND patient.drug.drugindication:"fictional disease" AND patient.drug.drugcharacterization:1'
    assert searches[0]["search"] == ARM_A + tail
    assert all(tail in q["search"] for q in searches)
    (signal,) = result.signals
    assert (signal.table.a, signal.table.b, signal.table.c, signal.table.d) == (10, 990, 10, 990)
    assert dict(signal.filters)["indication"].startswith("fictional disease")
    assert "openFDA cannot say which" in dict(signal.filters)["drug_role"]
    assert any("free text" in x for x in result.caveats)


def test_more_event_reports_than_drug_reports_is_an_error(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        total = 50 if "reactionmeddrapt" in request.url.params["search"] else 20
        return httpx.Response(
            200, json={"meta": {"results": {"skip": 0, "limit": 1, "total": total}}, "results": []}
        )

    source = OpenFdaEvents(make_client(tmp_path, httpx.MockTransport(answer)), PRODUCTS)
    with pytest.raises(OnlineError, match="counted more reports with 'herpes'"):
        source.head_to_head(A, B, {"herpes": GROUPS["herpes"]}, None)


def test_total_reads_meta_and_not_found(tmp_path):
    _, source = recorded_events(tmp_path)
    assert source.total(ARM_A) == 1200
    assert source.total(ARM_B) == 800
    assert source.total(ARM_B + " AND seriousnessdeath:1") == 0  # openFDA's 404 NOT_FOUND


def test_real_http_server_on_loopback_gives_the_same_tables(tmp_path):
    recorded = Recorded("events-alphex-betanib.json")
    expected = OpenFdaEvents(
        make_client(tmp_path / "mock", recorded.transport()), PRODUCTS
    ).head_to_head(A, B, GROUPS, None)
    with (
        loopback_server(Recorded("events-alphex-betanib.json")) as base,
        OpenFdaClient(
            base=base, api_key=KEY, cache_dir=tmp_path / "http", sleep=pytest.fail, clock=Clock()
        ) as client,
    ):
        got = OpenFdaEvents(client, PRODUCTS).head_to_head(A, B, GROUPS, None)
    assert [s.table for s in got.signals] == [s.table for s in expected.signals]
    assert [with_ror(s).estimates for s in got.signals] == [
        with_ror(s).estimates for s in expected.signals
    ]
    assert got.per_year == expected.per_year
    assert got.signals[0].citation.url.startswith(base + "/drug/event.json?")


# --- field paths against openFDA's schema and a real record ------------------------------------


def _schema_has(schema: dict, path: str) -> bool:
    node = schema
    for part in path.removesuffix(".exact").split("."):
        while node.get("type") == "array" and "items" in node:
            node = node["items"]
        props = node.get("properties") or {}
        if part not in props:
            return False
        node = props[part]
    return True


def _values(record, path: str) -> list:
    """The values at a dotted path of a record, descending through lists."""
    nodes = [record]
    for part in path.removesuffix(".exact").split("."):
        nxt = []
        for n in nodes:
            for item in n if isinstance(n, list) else [n]:
                if isinstance(item, dict) and part in item:
                    nxt.append(item[part])
        nodes = nxt
    return [v for n in nodes for v in (n if isinstance(n, list) else [n])]


def test_field_paths_exist_in_openfda_schema():
    schema = json.loads(
        shared_path("openfda-event", "drugevent_schema.json").read_text(encoding="utf-8")
    )
    for path in list(FIELDS.values()) + list(OUTCOME_FIELDS.values()):
        assert _schema_has(schema, path), path
    assert not _schema_has(schema, "patient.drug.openfda.brand_nam")


def test_real_event_record_in_a_search_answer(tmp_path):
    record = json.loads(
        shared_path("openfda-event", "event.postannotation.json").read_text(encoding="utf-8")
    )

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "meta": {
                    "last_updated": "2025-06-24",
                    "results": {"skip": 0, "limit": 1, "total": 1},
                },
                "results": [record],
            },
        )

    client = make_client(tmp_path, httpx.MockTransport(answer))
    assert OpenFdaEvents(client).total('patient.reaction.reactionmeddrapt.exact:("AMNESIA")') == 1
    (got,) = client.get("drug/event.json", {"limit": 1})["results"]
    assert "AMNESIA" in _values(got, FIELDS["reaction"])
    assert "PAIN" in _values(got, FIELDS["indication"])
    assert "1" in _values(got, FIELDS["role"])
    assert _values(got, FIELDS["serious"]) == ["1"]
    assert _values(got, FIELDS["received"]) == ["20050127"]
    assert _values(got, OUTCOME_FIELDS["HO"]) == ["1"]


def _searches(tmp_path, a, b, **kw) -> list[str]:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["search"])
        return httpx.Response(
            404, json={"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
        )

    got = OpenFdaEvents(make_client(tmp_path, httpx.MockTransport(answer))).head_to_head(
        a, b, {"herpes": ("HERPES ZOSTER",)}, None, **kw
    )
    assert (
        got.signals == ()
    )  # NOT_FOUND for a drug's own reports is unresolved, never a table of zeros
    assert "unresolved" in dict(got.provenance)["failed_counts"]
    return asked


@pytest.mark.parametrize(
    "a, b, kw, first",
    [
        (
            A,
            B,
            {},
            'patient.drug.openfda.generic_name.exact:"ALPHAMAB" AND NOT patient.drug.openfda.generic_name.exact:"BETANIB"',
        ),
        (A, B, {"product_level": (True, False)}, ARM_A),
        (
            B,
            A,
            {"product_level": (False, True)},
            'patient.drug.openfda.generic_name.exact:"BETANIB" AND NOT patient.drug.openfda.brand_name.exact:"ALPHEX"',
        ),
        (
            A,
            Drug("alphex iv", "alphamab", (ALPHEX_IV,)),
            {},
            'patient.drug.openfda.brand_name.exact:"ALPHEX" AND NOT patient.drug.openfda.brand_name.exact:"ALPHEX IV"',
        ),
    ],
)
def test_product_level_and_same_ingredient_match_by_brand(tmp_path, a, b, kw, first):
    asked = _searches(tmp_path, a, b, **kw)
    assert asked[0] == first


def test_the_comparison_uses_it_as_its_post_marketing_source(tmp_path):
    """Through compare_drugs: the pack's event groups, its shared indication, product-level matching."""
    pack = dataclasses.replace(
        load_pack(fixture_pack_file(tmp_path)), event_groups=(("herpes", GROUPS["herpes"]),)
    )
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        asked.append(q["search"])
        if q.get("count") == "receivedate":
            return httpx.Response(
                200, json={"meta": {}, "results": [{"time": "20230105", "count": 5}]}
            )
        arm_a = q["search"].startswith(FIELDS["brand"])
        if "reactionmeddrapt" not in q["search"]:
            total = 1200 if arm_a else 800
        else:
            total = (12 if arm_a else 5) if "serious:1" in q["search"] else (30 if arm_a else 10)
        return httpx.Response(
            200,
            json={"meta": {"results": {"skip": 0, "limit": 1, "total": total}}, "results": [{}]},
        )

    a, b = resolve_pair("alphex", "betanib", pack)
    source = OpenFdaEvents(make_client(tmp_path, httpx.MockTransport(answer)))
    comparison = compare_drugs(a, b, pack, postmarketing=source)
    assert asked[0] == ARM_A + ' AND patient.drug.drugindication:"fictional disease"'
    (dim,) = [d for d in comparison.dimensions if d.key == "postmarketing"]
    (herpes,) = [f for f in dim.findings if f.topic == "postmarketing.herpes"]
    assert "30 of 1200 reports" in herpes.statement and "10 of 800" in herpes.statement
    assert herpes.citations[0].kind == "openfda" and KEY not in herpes.citations[0].url
    (est,) = herpes.estimates
    assert (est.value, est.lower, est.upper) == pytest.approx(wald(30, 1170, 10, 790), rel=1e-9)


# --- failures are not zeros: three states of a count ----------------------------------------------


def _failing_server(tmp_path, rate_limited: str, unknown_term: str):
    """A real server on loopback: arms of 1200 and 800 reports; any search holding ``rate_limited``
    answers openFDA's 429 OVER_RATE_LIMIT every time; ``unknown_term`` matches nothing, even alone
    (its NOT_FOUND); a known term ("NAUSEA") matches nothing for Betanib only."""
    from urllib.parse import parse_qs, urlsplit

    from helpers import Reply, openfda_fixture, serve_loopback

    ERR = openfda_fixture("errors.json")

    asked: list[str] = []

    def body(total: int) -> bytes:
        return json.dumps(
            {
                "meta": {
                    "last_updated": "2025-06-24",
                    "results": {"skip": 0, "limit": 1, "total": total},
                },
                "results": [{}],
            }
        ).encode()

    def answer(target: str) -> Reply:
        q = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        search = q.get("search", "")
        asked.append(search)
        if q.get("count") == "receivedate":
            return Reply(
                200,
                json.dumps({"meta": {}, "results": [{"time": "20230105", "count": 5}]}).encode(),
            )
        if rate_limited in search:
            e = ERR["rate_limited"]
            return Reply(e["status"], json.dumps(e["body"]).encode(), headers={"Retry-After": "0"})
        if unknown_term in search or (
            '"NAUSEA"' in search and search.startswith(FIELDS["generic"])
        ):
            e = ERR["not_found"]
            return Reply(e["status"], json.dumps(e["body"]).encode())
        if "reactionmeddrapt" not in search:
            return Reply(
                200,
                body(
                    1200
                    if search.startswith(FIELDS["brand"])
                    else 800
                    if search.startswith(FIELDS["generic"])
                    else 99000
                ),
            )
        return Reply(200, body(4 if "serious:1" in search else 9))

    return asked, serve_loopback(answer)


def test_a_rate_limited_or_unknown_count_is_never_a_zero_cell(tmp_path):
    asked, served = _failing_server(tmp_path, '"HERPES ZOSTER"', '"NOSUCHTERM"')
    groups = {"herpes": ("HERPES ZOSTER",), "made up": ("NOSUCHTERM",), "nausea": ("NAUSEA",)}
    waits: list[float] = []
    with (
        served as base,
        OpenFdaClient(
            base=base,
            api_key=KEY,
            cache_dir=tmp_path / "http",
            sleep=waits.append,
            clock=Clock(),
            max_retries=2,
        ) as client,
    ):
        result = OpenFdaEvents(client, PRODUCTS).head_to_head(A, B, groups, None)
    # each arm's herpes count was refused (429) three times, then given up: failed, no table
    assert sum('"HERPES ZOSTER"' in s for s in asked) == 6 and len(waits) == 4
    # the made-up term is unknown even alone: unresolved, no table; nausea is a real zero for Betanib
    assert [s.event for s in result.signals] == ["nausea"]
    (nausea,) = result.signals
    assert (nausea.table.a, nausea.table.b, nausea.table.c, nausea.table.d) == (9, 1191, 0, 800)
    failed = dict(result.provenance)["failed_counts"]
    assert "herpes: failed:" in failed and "429" in failed
    assert "made up: unresolved:" in failed and "NOSUCHTERM" in failed
    assert sum("never" in c and "counted as 0" in c for c in result.caveats) == 2


def test_count_states(tmp_path):
    asked, served = _failing_server(tmp_path, "RATE", '"NOSUCHTERM"')
    with (
        served as base,
        OpenFdaClient(
            base=base,
            cache_dir=tmp_path / "http",
            sleep=lambda s: None,
            clock=Clock(),
            max_retries=0,
        ) as client,
    ):
        source = OpenFdaEvents(client, PRODUCTS)
        term = event_clause(["NAUSEA"])
        assert source.count(f'{FIELDS["brand"]}:"ALPHEX" AND {term}', (term,)).state == "counted"
        zero = source.count(f'{FIELDS["generic"]}:"BETANIB" AND {term}', (term,))
        assert (zero.state, zero.value) == ("zero", 0)
        unknown = event_clause(["NOSUCHTERM"])
        got = source.count(f'{FIELDS["generic"]}:"BETANIB" AND {unknown}', (unknown,))
        assert (got.state, got.value) == ("unresolved", None) and not got.is_number
        got = source.count("RATE", ())
        assert (got.state, got.value) == ("failed", None) and "rate limit" in got.why
