"""Test helpers shared by the test modules (no test module imports another): a knowledge pack of
FICTIONAL products (tests/fixtures/curated) for engine tests, a real HTTP server on loopback for the
online clients and what it serves (recorded openFDA exchanges, openFDA label results made from real
SPL, a ClinicalTrials.gov registry, DailyMed histories), the TAC 2017 training labels read as
openFDA results, synthetic FAERS warehouses, the command line as a user runs it, the web app in
process, and the flags of headless Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from conftest import shared_path
from lxml import etree

from rxcompare.cli import main
from rxcompare.models import Citation, Estimate, Favours, Finding, Grade, Label
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse
from rxcompare.sources.labels.facts import extract_facts
from rxcompare.sources.labels.openfda_json import parse_openfda_label
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.pack import build_pack, write_pack

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_pack_file(tmp: Path) -> Path:
    """Build the fictional pack into ``tmp`` and return its path."""
    doc = build_pack(curated=sorted((FIXTURES / "curated").glob("*.json")))
    return write_pack(doc, tmp / "pack.json")


@dataclass(frozen=True)
class Reply:
    """One answer of :func:`serve_loopback`. ``length``, when longer than the body, is the
    Content-Length sent instead: the body stops short and the connection is closed (an answer
    cut in the middle)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None


@contextlib.contextmanager
def serve_loopback(answer: Callable[[str], Reply]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (a free port); each GET is answered by ``answer(target)``
    (the request target: path and query as sent). Yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            reply = answer(self.path)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(reply.length or len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            if reply.length:
                self.close_connection = True

        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ---- synthetic FAERS warehouses and the command line ---------------------------------------------


def synthetic_warehouse(root: Path, layers: bool = False, **synth) -> Warehouse:
    """Synthetic quarters (``synth_quarters(**synth)``, truth beside them in ``root/q``) ingested
    into ``root/wh`` and deduplicated once (``layers``: each quarter after the first added as an
    update layer); shared by the warehouse test modules."""
    truth = synth_quarters(root / "q", **synth)
    wh = Warehouse(root / "wh")
    syn = load_synonyms(root / "q" / "synonyms.csv", use_pack=False)
    for i, q in enumerate(truth.quarters):
        wh.ingest(
            root / "q" / f"faers_ascii_{q}.zip",
            synonyms=syn,
            rebuild=layers or i == len(truth.quarters) - 1,
        )
    return wh


def run_cli(capsys, *args: str) -> str:
    """Run the command line as a user would; its standard output (it must end without error)."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    assert exc.value.code in (0, None), capsys.readouterr().err
    return capsys.readouterr().out


# ---- fictional post-marketing findings in the engine's shape -------------------------------------

FAERS = Citation(
    kind="faers", title="FICTIONAL FAERS fixture", detail=(("quarters", "2023q1-2023q4"),)
)


RORS = (
    ("herpes infection", 1.8, 1.2, 2.7),
    ("pneumonia or sepsis", 0.6, 0.41, 0.88),
    ("death", 1.0, 0.5, 2.0),
    ("pml", 3.0, 0.9, math.inf),
)


PER_YEAR = {2021: (100, 40), 2022: (125, 65), 2023: (160, 100)}


def with_postmarketing(c, rors=RORS, per_year=PER_YEAR):
    """The comparison with fictional post-marketing findings in the engine's shape."""
    found = [
        Finding(
            "postmarketing",
            f"postmarketing.{g}",
            f"Fixture statement on {g}.",
            Favours.UNCLEAR,
            Grade.POSTMARKETING,
            (FAERS,),
            estimates=(Estimate("ror_h2h", v, lo, hi),),
        )
        for g, v, lo, hi in rors
    ]
    if per_year:
        found.append(
            Finding(
                "postmarketing",
                "postmarketing.per_year",
                "Fixture statement per year.",
                Favours.NONE,
                Grade.POSTMARKETING,
                (FAERS,),
                estimates=tuple(
                    Estimate(f"reports_per_year:{pid}:{year}", counts[i])
                    for year, counts in per_year.items()
                    for i, pid in enumerate((c.a.product.id, c.b.product.id))
                ),
            )
        )
    dims = tuple(
        replace(d, findings=tuple(found)) if d.key == "postmarketing" else d for d in c.dimensions
    )
    return replace(c, dimensions=dims)


# ---- recorded openFDA exchanges, served in process or on loopback --------------------------------

OPENFDA_FIXTURES = Path(__file__).parent / "fixtures" / "openfda"


KEY = "test-key-0123456789abcdef"


T0 = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def openfda_fixture(name: str) -> dict:
    """A recorded openFDA exchange file of tests/fixtures/openfda."""
    return json.loads((OPENFDA_FIXTURES / name).read_text(encoding="utf-8"))


class Recorded:
    """Serves the recorded exchanges of fixture files; an unexpected request fails the test."""

    def __init__(self, *names: str):
        self.exchanges = [x for n in names for x in openfda_fixture(n)["exchanges"]]
        self.requests: list[tuple[str, dict[str, str]]] = []

    def answer(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        self.requests.append((path, params))
        asked = {k: v for k, v in params.items() if k != "api_key"}
        for x in self.exchanges:
            if x["request"]["path"] == path and x["request"]["params"] == asked:
                r = x["response"]
                return r["status"], r.get("headers", {}), json.dumps(r["body"]).encode()
        raise AssertionError(f"no recorded answer for {path}?{asked}")

    def handler(self, request: httpx.Request) -> httpx.Response:
        status, headers, body = self.answer(request.url.path, request.url.query.decode())
        return httpx.Response(
            status, headers={"content-type": "application/json", **headers}, content=body
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def loopback_server(recorded: Recorded):
    """A real HTTP server on 127.0.0.1 (a free port) answering from ``recorded``; yields its base URL."""

    def answer(target: str) -> Reply:
        parts = urlsplit(target)
        try:
            status, headers, body = recorded.answer(parts.path, parts.query)
        except AssertionError as exc:
            status, headers, body = 599, {}, str(exc).encode()
        return Reply(status, body, headers=headers)

    return serve_loopback(answer)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_client(tmp_path: Path, transport, **kw) -> OpenFdaClient:
    kw.setdefault("api_key", KEY)
    kw.setdefault("clock", Clock())
    return OpenFdaClient(
        base="https://api.fda.gov", cache_dir=tmp_path / "cache", transport=transport, **kw
    )


# ---- openFDA label results made from real SPL files ----------------------------------------------

V = "{urn:hl7-org:v3}"


BLOCKS = {"title", "paragraph", "item", "tr", "caption", "br"}


def field_names() -> dict[str, str]:
    """openFDA's section code -> field name (the rule of spl_to_json.js ParseSections)."""
    names = {}
    for line in (
        shared_path("spl", "openfda-spl-sections.csv").read_text(encoding="utf-8").splitlines()
    ):
        if not line.strip():
            continue
        code, name = line.split(",", 1)
        name = (
            name.replace('"', "", 1)
            .replace(":", "", 1)
            .replace(" & ", " and ")
            .replace("/", " or ", 1)
        )
        names[code] = (
            name.replace(" ", "_").lower().replace("spl_unclassified", "spl_unclassified_section")
        )
    return names


def _text(el: etree._Element, lines: bool) -> str:
    if not lines:
        return re.sub(r"\s+", " ", "".join(el.itertext())).strip()
    out: list[str] = []

    def walk(e):
        name = etree.QName(e).localname if isinstance(e.tag, str) else ""
        if name in BLOCKS:
            out.append("\n")
        out.append(re.sub(r"\s+", " ", e.text or ""))
        for c in e:
            walk(c)
            out.append(re.sub(r"\s+", " ", c.tail or ""))
        if name in BLOCKS:
            out.append("\n")

    walk(el)
    return "\n".join(x.strip() for x in "".join(out).split("\n") if x.strip())


@cache
def openfda_result(name: str, lines: bool = False) -> dict:
    """A drug/label result built from a real SPL file (``lines=True``: blocks on their own lines,
    the layout of an older openFDA pipeline)."""
    root = etree.parse(str(shared_path("spl", name))).getroot()
    for br in root.iter(f"{V}br"):  # $('br').replaceWith(' ')
        br.tail = " " + (br.tail or "")
    names = field_names()
    result: dict = {}
    for section in root.iter(f"{V}section"):
        code_el = next(section.iter(f"{V}code"), None)
        field = names.get(
            code_el.get("code") if code_el is not None else "", "spl_unclassified_section"
        )
        inside_section = any(etree.QName(a).localname == "section" for a in section.iterancestors())
        if field == "spl_unclassified_section" and inside_section:
            continue
        result.setdefault(field, []).append(_text(section, lines))
        for table in section.iter(f"{V}table"):
            markup = etree.tostring(table, encoding="unicode", with_tail=False)
            result.setdefault(f"{field}_table", []).append(
                re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", markup)
            )
    products = [
        p
        for p in root.iter(f"{V}manufacturedProduct")
        if p.getparent().tag == f"{V}manufacturedProduct"
    ]
    doc_type = root.find(f"{V}code").get("displayName").replace(" LABEL", "")
    result.update(
        set_id=root.find(f"{V}setId").get("root"),
        id=root.find(f"{V}id").get("root"),
        effective_time=root.find(f"{V}effectiveTime").get("value"),
        version=root.find(f"{V}versionNumber").get("value"),
        openfda={
            "brand_name": sorted({p.findtext(f"{V}name").strip() for p in products}),
            "generic_name": sorted(
                {g.text for g in root.iter(f"{V}genericMedicine") for g in g.iter(f"{V}name")}
            )[:1],
            "route": sorted({r.get("displayName") for r in root.iter(f"{V}routeCode")}),
            "product_ndc": [c.get("code") for p in products for c in p.findall(f"{V}code")],
            "product_type": [doc_type],
            "spl_set_id": [root.find(f"{V}setId").get("root")],
            "rxcui": ["000000"],
        },
    )
    return result


# ---- a ClinicalTrials.gov registry on loopback ---------------------------------------------------


class Registry:
    """An API v2 server: ``/studies`` pages of search hits and ``/studies/{id}`` records.

    ``records`` maps the id served to a record; ``hits`` maps a ``query.intr`` value to the ids its
    search returns, two per page (``nextPageToken`` between pages). ``faults`` maps a path to a
    list of faults used in turn, one per request: ``500``, ``404``, ``"truncated"`` (a
    Content-Length longer than the body sent), ``"not json"``. Every request is recorded.
    """

    def __init__(
        self, records: dict[str, dict], hits: dict[str, list[str]] | None = None, faults=None
    ):
        self.records = records
        self.hits = hits or {}
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.raw: list[str] = []

    def answer(self, path: str, query: str) -> tuple[int, bytes, int | None]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        self.requests.append((path, params))
        fault = self.faults.get(path, [None]).pop(0) if self.faults.get(path) else None
        if fault == 500:
            return 500, b'{"message": "internal error"}', None
        if fault == 404:
            return 404, b"Not Found", None
        if fault == "not json":
            return 200, b"<html>maintenance</html>", None
        if path.startswith("/drug/"):  # openFDA's "nothing matched", for compare --online
            return (
                404,
                json.dumps(
                    {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
                ).encode(),
                None,
            )
        if path == "/studies":
            ids = self.hits.get(params.get("query.intr", ""), [])
            start = int(params.get("pageToken", "0") or 0)
            page = ids[start : start + 2]
            body = {
                "totalCount": len(ids),
                "studies": [
                    {"protocolSection": {"identificationModule": {"nctId": x, "briefTitle": "t"}}}
                    for x in page
                ],
            }
            if start + 2 < len(ids):
                body["nextPageToken"] = str(start + 2)
            out = json.dumps(body).encode()
        elif path.startswith("/studies/") and path.split("/")[-1] in self.records:
            out = json.dumps(self.records[path.split("/")[-1]]).encode()
        else:
            return 404, b"Not Found", None
        if fault == "truncated":
            return 200, out[: len(out) // 2], len(out)
        return 200, out, None


def served(registry: Registry):
    """A real HTTP server on 127.0.0.1 (a free port) answering from ``registry``; yields its base URL."""

    def answer(target: str) -> Reply:
        registry.raw.append(target)
        parts = urlsplit(target)
        status, body, length = registry.answer(parts.path, parts.query)
        return Reply(status, body, length=length)

    return serve_loopback(answer)


# ---- the web app in process, through its ASGI transport ------------------------------------------

BASE = "http://127.0.0.1"  # a loopback name: the app answers no other host unless configured


def fetch(app, *requests: tuple) -> list[httpx.Response]:
    """Send (method, url) or (method, url, headers) requests to the app in process, in order."""

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return [
                await client.request(r[0], r[1], headers=(r[2:] or [None])[0]) for r in requests
            ]

    return asyncio.run(run())


def get(app, url: str) -> httpx.Response:
    return fetch(app, ("GET", url))[0]


# ---- DailyMed on loopback ------------------------------------------------------------------------

HUMIRA = "608d4f0d-b19f-46d3-749a-7159aa5f933d"


NOT_FOUND = {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}


def history(set_id: str, title: str, *versions: tuple[int, str]) -> bytes:
    doc = json.loads(shared_path("dailymed-api", "spls-history-vitrakvi.json").read_text())
    doc["data"]["spl"] = {"title": title, "setid": set_id}
    doc["data"]["history"] = [{"spl_version": v, "published_date": d} for v, d in versions]
    doc["metadata"]["total_elements"] = len(versions)
    return json.dumps(doc).encode()


@contextlib.contextmanager
def server(routes: dict):
    """routes: path -> (status, content type, body) or "partial:<body>" (headers promise more)."""
    asked: list[str] = []

    def reply(target: str) -> Reply:
        parts = urlsplit(target)
        asked.append(target)
        answer = routes.get(parts.path)
        if callable(answer):
            answer = answer(dict(parse_qsl(parts.query)))
        if answer is None:
            answer = (404, "application/json", json.dumps(NOT_FOUND).encode())
        if answer[0] == "partial":
            return Reply(200, answer[1], "application/xml", length=len(answer[1]) * 2)
        status, kind, body = answer
        return Reply(status, body, kind)

    with serve_loopback(reply) as base:
        yield base, asked


# ---- headless Chromium ---------------------------------------------------------------------------

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# ---- the TAC 2017 training labels as openFDA label results ---------------------------------------

FIELDS = {
    "boxed warnings": "boxed_warning",
    "warnings and precautions": "warnings_and_cautions",
    "adverse reactions": "adverse_reactions",
}


@cache
def corpus() -> dict[str, dict[str, str]]:
    path = shared_path("tac2017", "tac2017-train-labels.json")
    out: dict[str, dict[str, str]] = {}
    for r in json.loads(path.read_text(encoding="utf-8")):
        out.setdefault(r["label_id"], {})[r["section_name"]] = r["section_text"]
    return out


def flat(name: str, section: str) -> str:
    return " ".join(corpus()[name][section].split())


@cache
def label(name: str) -> Label:
    result = {
        "set_id": f"tac2017-{name}",
        "version": "0",
        "effective_time": "20170101",
        "openfda": {"brand_name": [name]},
    }
    for section, text in corpus()[name].items():
        result[FIELDS[section]] = [" ".join(text.split())]
    return parse_openfda_label(result, f"TAC 2017 {name}")


@cache
def extracted(name: str):
    return extract_facts(label(name), name.lower())


@cache
def tac_openfda_results() -> dict[str, dict]:
    """Each TAC label as one openFDA drug/label.json result, whitespace collapsed as openFDA's,
    with an upper-case brand and a generic name of its own."""
    out: dict[str, dict] = {}
    for name, sections in corpus().items():
        res = {
            "set_id": f"tac2017-{name.lower()}",
            "version": "1",
            "effective_time": "20170101",
            "openfda": {"brand_name": [name.upper()], "generic_name": [f"{name.upper()} GENERIC"]},
        }
        for section, text in sections.items():
            res[FIELDS[section]] = [" ".join(text.split())]
        out[name] = res
    return out


def tac_label_answer(target: str) -> Reply:
    """openFDA's drug/label.json on loopback, answering from the TAC labels: the brand count
    (``count=openfda.brand_name.exact``) and the label search; anything else NOT_FOUND."""
    path, _, query = target.partition("?")
    params = dict(parse_qsl(query))
    if path != "/drug/label.json":
        return Reply(404, json.dumps(NOT_FOUND).encode())
    search = params.get("search", "")
    hits = [
        r for r in tac_openfda_results().values() if f'"{r["openfda"]["brand_name"][0]}"' in search
    ]
    if not hits:
        return Reply(404, json.dumps(NOT_FOUND).encode())
    if params.get("count"):
        body = {"meta": {}, "results": [{"term": hits[0]["openfda"]["brand_name"][0], "count": 1}]}
    else:
        body = {"meta": {"results": {"skip": 0, "limit": 1, "total": 1}}, "results": hits[:1]}
    return Reply(200, json.dumps(body).encode())


# ---- a zip with password-protected members (PKWARE "traditional" encryption, APPNOTE 6.1) ---------


def _zipcrypto(data: bytes, password: bytes, check: int) -> bytes:
    """``data`` encrypted as zip -e does: keys from the password, a 12-byte header whose last byte
    is the check byte, then each byte XORed with the key stream (APPNOTE.TXT section 6.1)."""
    import os
    import zlib

    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc(value: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc(keys[2], keys[1] >> 24)

    for b in password:
        update(b)
    out = bytearray()
    for b in os.urandom(11) + bytes([check]) + data:
        t = (keys[2] | 2) & 0xFFFF
        out.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
        update(b)
    return bytes(out)


def write_zip(
    path: Path, members: dict[str, bytes], encrypted: set[str] = frozenset(), password=b"pw"
) -> Path:
    """A zip of stored members, those named in ``encrypted`` password-protected (``unzip -P pw``
    reads them back); written field by field after APPNOTE.TXT, as zipfile writes no encryption."""
    import struct
    import zlib

    body, central = bytearray(), bytearray()
    for name, data in members.items():
        raw, crc = name.encode(), zlib.crc32(data)
        flag = 1 if name in encrypted else 0
        stored = _zipcrypto(data, password, crc >> 24) if flag else data
        head = struct.pack(
            "<HHHHHIIIHH", 20, flag, 0, 0, 0x21, crc, len(stored), len(data), len(raw), 0
        )
        central += (
            struct.pack("<IH", 0x02014B50, 20) + head + struct.pack("<HHHII", 0, 0, 0, 0, len(body))
        )
        central += raw
        body += struct.pack("<I", 0x04034B50) + head + raw + stored
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0
    )
    path.write_bytes(bytes(body + central + end))
    return path
