"""`rxcompare pack update` against a real HTTP server on 127.0.0.1 serving the real SPL samples of
../shared/data/real/spl and DailyMed history replies in the recorded shape of
../shared/data/real/dailymed-api/spls-history-vitrakvi.json (set id, title and versions replaced:
constructed), plus failures; and which pack the commands read."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import pytest
from conftest import shared_path
from helpers import HUMIRA, history, server

from rxcompare.cli import main
from rxcompare.errors import OnlineError, PackError
from rxcompare.sources.labels.dailymed import DailyMedClient
from rxcompare.sources.pack import build_pack, load_pack, write_pack

LIPITOR = "c6e131fe-e7df-4876-83f7-9156fc4e8228"


def start_pack(tmp_path):
    """A pack built from the real Humira, Lipitor and Viagra SPL, with the Lipitor entry cut down
    to what a thin curated entry holds (section 1 facts of the same label version, coverage 1)."""
    doc = build_pack(
        spl=[
            shared_path("spl", n) for n in ("humira.xml", "lipitor-orig.xml", "viagra-64f8040f.xml")
        ]
    )
    doc["facts"] = [
        f
        for f in doc["facts"]
        if f["product"] != "lipitor" or (f["citation"]["section"] or "").split(".")[0] == "1"
    ]
    for f in doc["facts"]:
        if f["product"] == "lipitor":
            f["citation"]["curated"] = True
    doc["incidences"] = [i for i in doc["incidences"] if i["product"] != "lipitor"]
    doc["sources"]["lipitor"] = "curated"
    doc["coverage"]["lipitor"] = ["1"]
    return write_pack(doc, tmp_path / "start.json")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    captured = capsys.readouterr()
    return info.value.code or 0, captured.out, " ".join(captured.err.split())


@pytest.fixture
def env(tmp_path, monkeypatch):
    def setup(base):
        monkeypatch.setenv("RXCOMPARE_DAILYMED_BASE", base)
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
        monkeypatch.setenv("RXCOMPARE_USER_PACK", str(tmp_path / "user" / "pack.json"))
        monkeypatch.delenv("RXCOMPARE_EMBEDDED_PACK", raising=False)
        monkeypatch.delenv("RXCOMPARE_PACK", raising=False)
        return tmp_path / "user" / "pack.json"

    return setup


def lipitor_routes(document=None):
    return {
        f"/spls/{LIPITOR}/history.json": (
            200,
            "application/json",
            history(LIPITOR, "LIPITOR (ATORVASTATIN CALCIUM) TABLET", (11, "Jan 13, 2014")),
        ),
        f"/spls/{LIPITOR}.xml": document
        or (200, "application/xml", shared_path("spl", "lipitor-orig.xml").read_bytes()),
    }


def test_round_trip_history_document_user_pack_compare_info(tmp_path, env, capsys):
    start = start_pack(tmp_path)
    embedded = resources.files("rxcompare") / "data" / "pack.json"
    before = hashlib.sha256(embedded.read_bytes()).hexdigest()
    with server(lipitor_routes()) as (base, asked):
        user = env(base)
        code, out, err = run(capsys, "pack", "update", "lipitor", "--pack", str(start))
        assert code == 0, err
        assert asked == [f"/spls/{LIPITOR}/history.json", f"/spls/{LIPITOR}.xml"]
        assert (
            "lipitor: updated, version 11 of 2014-01-13 (curated) -> version 11 of 2014-01-13 "
            f"(parsed SPL from DailyMed) from {base}/spls/{LIPITOR}.xml"
        ) in out
        assert (
            "(new: 10, 11, 12, 13, 14, 15, 16, 17, 2, 3, 4, 5, 6, 7, 8, BW)" in out
            and "incidences +" in out
        )
        assert f"wrote {user}" in err
        # a second run asks DailyMed's history only: the version held is current and read whole
        code, out, _ = run(capsys, "pack", "update", "lipitor")
        assert (
            code == 0
            and "lipitor: current, version 11 of 2014-01-13 (parsed SPL from DailyMed)" in out
        )
        assert asked[2:] == [f"/spls/{LIPITOR}/history.json"] or len(asked) == 2  # cached history
    assert hashlib.sha256(embedded.read_bytes()).hexdigest() == before
    pack = load_pack()
    assert pack.origin == "user" and pack.source_of("lipitor") == "dailymed"
    assert "5" in pack.coverage_of("lipitor") and pack.incidences_for("lipitor")
    code, out, _ = run(capsys, "pack", "info")
    assert code == 0 and "the user pack" in out.splitlines()[0]
    assert (
        f"lipitor: Lipitor ({pack.product('lipitor').ingredient}) - source parsed SPL from DailyMed; label set id {LIPITOR}"
        in out
    )
    code, out, err = run(capsys, "compare", "lipitor", "viagra", "-f", "json")
    assert code == 0, err
    prov = json.loads(out)["provenance"]
    assert "the user pack" in prov["pack"] and "lipitor" in prov["pack"]
    assert (
        prov["lipitor"] == f"parsed from label set id {LIPITOR}, version 11, effective 2014-01-13"
    )


@pytest.mark.parametrize(
    "routes, message",
    [
        (
            {
                f"/spls/{LIPITOR}/history.json": (
                    200,
                    "text/html",
                    b"<html><body>Service unavailable</body></html>",
                )
            },
            "with something that is not a version history",
        ),
        ({}, f"DailyMed has no label with set id {LIPITOR}"),
        (
            lambda: lipitor_routes(
                (200, "application/xml", shared_path("spl", "humira.xml").read_bytes())
            ),
            f"is the label with set id {HUMIRA}, not the entry's set id {LIPITOR}; refused",
        ),
        (
            lambda: lipitor_routes(
                (
                    200,
                    "application/xml",
                    shared_path("spl", "lipitor-orig.xml").read_bytes()[:50000],
                )
            ),
            "not well-formed",
        ),
        (
            lambda: {
                f"/spls/{LIPITOR}/history.json": (
                    200,
                    "application/json",
                    history(HUMIRA, "HUMIRA", (1560, "Sep 30, 2013")),
                )
            },
            "with the history of another label",
        ),
    ],
    ids=["error-page", "set-id-gone", "other-product", "truncated-xml", "other-history"],
)
def test_a_failed_fetch_keeps_the_entry_and_says_why(tmp_path, env, capsys, routes, message):
    # routes that read ../shared are made here (a callable), so that a clone without it skips at run time
    routes = routes() if callable(routes) else routes
    start = start_pack(tmp_path)
    with server(routes) as (base, _):
        user = env(base)
        code, out, err = run(capsys, "pack", "update", "lipitor", "--pack", str(start))
    line = " ".join(out.split())
    assert code == 1 and line.startswith(
        "lipitor: kept, version 11 of 2014-01-13 (curated): DailyMed:"
    )
    assert message in line and "openFDA: openFDA has no label of Lipitor" in line
    assert "the entry was kept as it was" in line and "Traceback" not in err
    assert not user.exists() and f"nothing changed; {user} was not written" in err


def test_one_failure_does_not_stop_the_others_and_the_old_pack_stays_whole(tmp_path, env, capsys):
    start = start_pack(tmp_path)
    routes = lipitor_routes()
    with server(routes) as (base, _):
        user = env(base)
        user.parent.mkdir()
        user.write_bytes(start.read_bytes())
        old = user.read_bytes()
        code, out, _ = run(capsys, "pack", "update", "humira")  # humira: history 404
        assert code == 1 and user.read_bytes() == old
        code, out, _ = run(capsys, "pack", "update", "humira", "lipitor")
    assert code == 1 and "humira: kept" in out and "lipitor: updated" in out
    pack = load_pack()
    assert pack.source_of("lipitor") == "dailymed" and pack.source_of("humira") == "spl"
    assert len(pack.facts_for("humira")) == len(load_pack(start).facts_for("humira"))


def test_partial_download_is_retried_then_reported(tmp_path):
    body = shared_path("spl", "lipitor-orig.xml").read_bytes()
    with server({f"/spls/{LIPITOR}.xml": ("partial", body[:20000])}) as (base, asked):
        client = DailyMedClient(base, cache_dir=tmp_path, backoff=0, max_retries=2)
        with pytest.raises(
            OnlineError, match=r"did not finish sending .* in 3 attempts \(a partial download\)"
        ):
            client.document(LIPITOR, "11")
    assert len(asked) == 3 and not list(tmp_path.iterdir())  # nothing cached


def test_openfda_fallback_without_set_id_and_ambiguous_answers(tmp_path, env, capsys, monkeypatch):
    from helpers import openfda_result

    doc = json.loads(start_pack(tmp_path).read_text())
    for p in doc["products"]:
        if p["id"] == "viagra":
            p["set_id"] = "not shown"
    for f in doc["facts"] + doc["incidences"]:
        if f["product"] == "viagra":
            f["citation"]["set_id"] = "not shown"
    start = write_pack(doc, tmp_path / "no-set-id.json")
    result = openfda_result("viagra-64f8040f.xml")
    other = dict(result, set_id="11111111-2222-3333-4444-555555555555")
    replies = {"one": [result], "two": [result, other]}
    state = {"reply": "one"}

    def label(params):
        assert (
            params["search"] == 'openfda.brand_name:"Viagra" AND openfda.generic_name:"SILDENAFIL"'
        )
        body = {
            "meta": {"results": {"skip": 0, "limit": 100, "total": 1}},
            "results": replies[state["reply"]],
        }
        return 200, "application/json", json.dumps(body).encode()

    with server({"/drug/label.json": label}) as (base, _):
        env(base)
        state["reply"] = "two"
        code, out, _ = run(capsys, "pack", "update", "viagra", "--pack", str(start))
        out = " ".join(out.split())  # the terminal may wrap the line at any width
        assert (
            code == 1
            and "openFDA holds 2 labels of Viagra (0b0be196-0c62-461c-94f4-9a35339b4501" in out
        )
        assert "11111111-2222-3333-4444-555555555555" in out and "none was taken" in out
        state["reply"] = "one"
        monkeypatch.setenv(
            "RXCOMPARE_CACHE", str(tmp_path / "cache2")
        )  # the ambiguous answer is cached
        code, out, err = run(capsys, "pack", "update", "viagra", "--pack", str(start))
    assert code == 0, err
    assert "viagra: updated" in out and "(parsed openFDA label)" in out
    assert load_pack().source_of("viagra") == "openfda"


def test_newer_version_in_pack_info_online(tmp_path, env, capsys):
    start = start_pack(tmp_path)
    routes = {
        f"/spls/{HUMIRA}/history.json": (
            200,
            "application/json",
            history(HUMIRA, "HUMIRA", (1561, "Oct 01, 2013"), (1560, "Sep 30, 2013")),
        )
    }
    with server(routes) as (base, _):
        env(base)
        code, out, _ = run(capsys, "pack", "info", "--pack", str(start), "--online")
    assert code == 0
    assert (
        "online: the pack holds label version 1560 of 2013-09-30; DailyMed lists version 1561, published "
        "2013-10-01; `rxcompare pack update humira` fetches it"
    ) in out
    assert (
        "online: could not check for a newer label: DailyMed has no label with set id" in out
    )  # lipitor


def test_which_pack_is_read(tmp_path, monkeypatch):
    user = tmp_path / "pack.json"
    monkeypatch.setenv("RXCOMPARE_USER_PACK", str(user))
    monkeypatch.delenv("RXCOMPARE_EMBEDDED_PACK", raising=False)
    assert load_pack().origin == "embedded"
    write_pack(json.loads(start_pack(tmp_path).read_text()), user)
    assert load_pack().origin == "user" and "the user pack" in load_pack().describe()
    monkeypatch.setenv("RXCOMPARE_EMBEDDED_PACK", "1")
    assert load_pack().origin == "embedded"
    monkeypatch.delenv("RXCOMPARE_EMBEDDED_PACK")
    user.write_text("{not json", encoding="utf-8")
    with pytest.raises(
        PackError, match="user pack .* is not valid JSON .*RXCOMPARE_EMBEDDED_PACK=1"
    ):
        load_pack()


def _older_lipitor(version: str, effective: str | None) -> bytes:
    data = shared_path("spl", "lipitor-orig.xml").read_bytes()
    data = data.replace(
        b'<versionNumber value="11"/>', f'<versionNumber value="{version}"/>'.encode(), 1
    )
    return (
        data.replace(
            b'<effectiveTime value="20140113"', f'<effectiveTime value="{effective}"'.encode(), 1
        )
        if effective
        else data
    )


@pytest.mark.parametrize(
    "version, effective, message",
    [
        ("3", None, "is version 3 of the label, older than version 11 the pack holds; refused"),
        (
            "12",
            "20100101",
            "is effective 2010-01-01, earlier than 2014-01-13 of the label the pack holds; refused",
        ),
    ],
    ids=["lower-version", "earlier-date"],
)
def test_an_older_label_never_replaces_the_one_held(
    tmp_path, env, capsys, version, effective, message
):
    """The issue's probe: a source serving an older document made `pack update` report
    "version 1560 -> version 3" and exit 0. An older version or date is refused and the entry kept."""
    start = start_pack(tmp_path)
    routes = {
        f"/spls/{LIPITOR}/history.json": (
            200,
            "application/json",
            history(
                LIPITOR, "LIPITOR (ATORVASTATIN CALCIUM) TABLET", (int(version), "Jan 1, 2010")
            ),
        ),
        f"/spls/{LIPITOR}.xml": (200, "application/xml", _older_lipitor(version, effective)),
    }
    with server(routes) as (base, _):
        user = env(base)
        code, out, err = run(capsys, "pack", "update", "lipitor", "--pack", str(start))
    line = " ".join(out.split())
    assert code == 1 and line.startswith(
        "lipitor: kept, version 11 of 2014-01-13 (curated): DailyMed:"
    ), line
    assert message in line and "the entry was kept as it was" in line and "Traceback" not in err
    assert not user.exists()
