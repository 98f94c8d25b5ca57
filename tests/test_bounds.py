"""Every input bounded (issue 30): HTTP answers that never end, trickle, loop or cannot be decoded,
JSON nested past the stack or with numbers past Python's digit limit. Each is a real HTTP server on
loopback; each refusal is the project's own error, bounded in time and bytes."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import shared_path

from rxcompare.cli import main
from rxcompare.errors import OnlineError, PackError
from rxcompare.sources.atomic import TooLargeError, read_bounded
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.pack import load_pack

QUERY = ("drug/event.json", {"limit": 1})


@contextlib.contextmanager
def hostile_server(kind: str) -> Iterator[tuple[str, dict[str, int]]]:
    """A loopback server answering every GET in one hostile way; yields its base URL and a tally of
    bytes it sent. It stops by itself: each answer ends when the client hangs up or after 30 s."""
    sent = {"bytes": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()
            sent["bytes"] += len(data)

        def do_GET(self):
            stop = time.monotonic() + 30
            try:
                if kind == "redirect-loop":
                    self.send_response(302)
                    self.send_header("Location", self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if kind == "bad-gzip":
                    body = b"\x1f\x8b\x08\x00" + b"not gzip at all" * 10
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self._send(body)
                    return
                if kind in ("deep", "bignum"):
                    body = b"[" * 200_000 if kind == "deep" else b'{"total": ' + b"9" * 5000 + b"}"
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self._send(body)
                    return
                if kind == "gzip-bomb":
                    body = gzip.compress(b" " * (8 << 20))
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self._send(body)
                    return
                self.send_header("Content-Length", str(1 << 40))  # a body that claims a terabyte
                self.end_headers()
                self._send(b"{")
                while time.monotonic() < stop:
                    if kind == "endless":
                        self._send(b" " * 65536)
                    else:  # trickle: one byte every 50 ms, each well inside any read timeout
                        self._send(b" ")
                        time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: what a bounded client does
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", sent
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(
    "kind, words",
    [
        ("endless", "more than 1,048,576 bytes"),
        ("gzip-bomb", "more than 1,048,576 bytes"),
        ("trickle", "took more than 1 s"),
        ("redirect-loop", "redirected"),
        ("bad-gzip", "cannot be decoded"),
        ("deep", "not a JSON object"),
        ("bignum", "not a JSON object"),
    ],
)
def test_hostile_answers_are_online_errors_bounded_in_time_and_bytes(tmp_path, kind, words):
    with (
        hostile_server(kind) as (base, sent),
        OpenFdaClient(
            base=base,
            cache_dir=tmp_path,
            max_retries=0,
            max_body=1 << 20,
            deadline=1.0,
            timeout=5.0,
        ) as client,
    ):
        began = time.monotonic()
        with pytest.raises(OnlineError, match=words) as exc:
            client.get(*QUERY)
        took = time.monotonic() - began
    assert base in str(exc.value) and ("try again" in str(exc.value) or "check" in str(exc.value))
    assert took < 10, (
        f"{kind}: the client took {took:.1f} s to give up"
    )  # a bound, not a speed target
    assert sent["bytes"] < 64 << 20, f"{kind}: the server got to send {sent['bytes']:,} bytes"
    assert not list(tmp_path.iterdir()), "a refused answer was cached"


def test_is_reachable_reads_no_endless_body(tmp_path):
    with (
        hostile_server("endless") as (base, sent),
        OpenFdaClient(base=base, cache_dir=tmp_path) as client,
    ):
        assert client.is_reachable()
    assert sent["bytes"] < 64 << 20


# --- files read whole: size caps and malformed documents -------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    got = capsys.readouterr()
    return exc.value.code or 0, " ".join(got.out.split()), " ".join(got.err.split())


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero (an endless file)")
@pytest.mark.parametrize(
    "args, words",
    [
        (("compare", "kesimpta", "ocrevus", "--pack", "/dev/zero"), "more than 67,108,864 bytes"),
        (
            ("faers", "dedup", "--warehouse", "WH", "--synonyms", "/dev/zero"),
            "synonym file /dev/zero",
        ),
    ],
    ids=["pack", "synonyms"],
)
def test_an_endless_file_is_refused_after_the_cap(tmp_path, capsys, args, words):
    args = tuple(str(tmp_path / "wh") if a == "WH" else a for a in args)
    code, _, err = _cli(capsys, *args)
    assert code != 0 and words in err and "Traceback" not in err, err


def test_reading_stops_at_the_cap(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1001)
    with pytest.raises(TooLargeError, match="more than 1,000 bytes"):
        read_bounded(big, 1000)
    big.write_bytes(b" " * 1000)
    assert len(read_bounded(big, 1000)) == 1000


PACK_HEAD = '"schema": "rxcompare/pack", "version": 1, "built": "x"'


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "{}",
        '"x"',
        "1",
        "null",
        "[" * 100_000,
        '{"a": ' + "9" * 5000 + "}",
        "{" + PACK_HEAD + "}",
        "{" + PACK_HEAD + ', "products": "x", "facts": [], "incidences": []}',
        "{" + PACK_HEAD + ', "products": [1], "facts": [], "incidences": []}',
        "{" + PACK_HEAD + ', "products": [], "facts": [[]], "incidences": []}',
        "{" + PACK_HEAD + ', "products": [], "facts": [], "incidences": 5}',
        "{" + PACK_HEAD + ', "products": [], "facts": [], "incidences": [], "event_groups": []}',
        "{" + PACK_HEAD + ', "products": [], "facts": [], "incidences": [], "labels": {"p": 3}}',
        "\xff\xfe",
    ],
    ids=[
        "list",
        "empty",
        "text",
        "number",
        "null",
        "deep",
        "bignum",
        "no-tables",
        "products-text",
        "product-number",
        "fact-list",
        "incidences-number",
        "groups-list",
        "label-number",
        "not-utf8",
    ],
)
def test_malformed_user_packs_are_pack_errors(tmp_path, capsys, text):
    pack = tmp_path / "pack.json"
    pack.write_bytes(text.encode("latin-1") if text == "\xff\xfe" else text.encode("utf-8"))
    with pytest.raises(PackError, match=str(pack).replace("\\", "\\\\")):
        load_pack(pack)
    code, _, err = _cli(capsys, "compare", "kesimpta", "ocrevus", "--pack", str(pack))
    assert code != 0 and "pack" in err and "Traceback" not in err, err


# --- flattened headings: linear in the text ---------------------------------------------------------------


def _flat_label(n: int) -> dict:
    """The shape of bench/flat_headings_scale.py ("both"): n Highlights bullets and n headings, k over 1..99."""
    bullets = " ".join(
        f"* Condition {k % 97} Reaction: monitor patients (5.{k % 99 + 1})" for k in range(n)
    )
    body = " ".join(
        f"5.{k % 99 + 1} Condition {k % 97} Reaction Patients treated had events [see (5.{k % 99 + 1})]."
        for k in range(n)
    )
    return {
        "set_id": "00000000-0000-0000-0000-000000000000",
        "version": "1",
        "effective_time": "20240101",
        "warnings_and_cautions": [f"5 WARNINGS AND PRECAUTIONS EXCERPT: {bullets} {body}"],
    }


def test_many_numbered_subsections_are_read_in_one_linear_pass(monkeypatch):
    """Operation counts, not time (bench/flat_headings_scale.py measures time): the label's own
    phrases are gathered once per label, not once per section number, and the text the phrase
    normaliser reads is bounded by the text (each distinct item once, none longer than a name can
    be); the subsections still come out numbered and titled."""
    from rxcompare.sources.labels import flat_headings, flat_sections
    from rxcompare.sources.labels.openfda_json import parse_openfda_label

    gathered, normalised = [], []
    real_all, real_norm = flat_headings.all_reference_titles, flat_headings._norm_words
    monkeypatch.setattr(
        flat_sections, "all_reference_titles", lambda texts: gathered.append(1) or real_all(texts)
    )
    monkeypatch.setattr(
        flat_headings, "_norm_words", lambda text: normalised.append(len(text)) or real_norm(text)
    )
    doc = _flat_label(3000)
    section = parse_openfda_label(doc, "made-up label").sections[0]
    assert len(gathered) == 1
    assert max(normalised) <= flat_headings._ITEM_CHARS
    assert (
        sum(normalised) <= len(doc["warnings_and_cautions"][0]) // 100
    )  # 97 distinct phrases, read once
    assert [s.number for s in section.subsections] == [f"5.{k}" for k in range(1, 100)]
    assert [s.title for s in section.subsections[:3]] == [
        f"Condition {k} Reaction" for k in range(3)
    ]


# --- reports tables: width caps; CSV written safe for spreadsheets ------------------------------------------


def test_a_reports_csv_with_100000_columns_is_refused_before_reading(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text(
        ",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n"
    )
    code, _, err = _cli(capsys, "signals", "--reports", str(wide), "--all-pairs")
    assert code == 1 and "100,000 columns, more than 1,000" in err and "Traceback" not in err, err
    endless = tmp_path / "endless.csv"
    endless.write_bytes(b"id" + b"x" * (2 << 20))
    code, _, err = _cli(capsys, "signals", "--reports", str(endless), "--all-pairs")
    assert code == 1 and "header line is longer than" in err, err


def test_formula_like_names_are_neutralised_in_csv_output(tmp_path, capsys):
    import csv

    reports = tmp_path / "r.csv"
    rows = (
        ["id,var1,var2"]
        + [f'{i},=HYPERLINK("x"),+nausea' for i in range(6)]
        + [f"{i},aspirin,@headache" for i in range(6, 20)]
        + [f"{i},-drug,rash" for i in range(20, 26)]
    )
    reports.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, _, err = _cli(capsys, "signals", "--reports", str(reports), "--all-pairs", "-o", str(out))
    assert code == 0, err
    with out.open(encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    cells = {r["drug"] for r in got} | {r["event"] for r in got}
    assert cells == {'\'=HYPERLINK("x")', "'+nausea", "aspirin", "'@headache", "'-drug", "rash"}
    assert all(r["ror"] == "" or float(r["ror"]) > 0 for r in got)  # numbers are never prefixed


def test_a_reports_parquet_with_too_many_columns_is_refused_from_its_footer(tmp_path, capsys):
    """As for a CSV: a Parquet reports table of 1,001 columns is refused before DuckDB reads it
    (100,000 columns took 5.3 s and 470 MB), from its footer; one of 1,000 columns is read; a file
    whose footer claims more bytes than the cap, or that is no Parquet at all, is refused too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def table(n: int) -> Path:
        cols = {"id": ["1", "2"], "var1": ["aspirin", "aspirin"], "var2": ["rash", "nausea"]}
        cols.update({f"c{i}": [None, None] for i in range(n - 3)})
        path = tmp_path / f"w{n}.parquet"
        pq.write_table(pa.table(cols), path)
        return path

    code, _, err = _cli(capsys, "signals", "--reports", str(table(1001)), "--all-pairs")
    assert code == 1 and "1,001 columns, more than 1,000" in err and "Traceback" not in err, err
    code, out, err = _cli(capsys, "signals", "--reports", str(table(1000)), "--all-pairs")
    assert code == 0 and "aspirin" in out, err
    claims = tmp_path / "claims.parquet"
    claims.write_bytes(b"PAR1" + b"\0" * 64 + (200 << 20).to_bytes(4, "little") + b"PAR1")
    code, _, err = _cli(capsys, "signals", "--reports", str(claims), "--all-pairs")
    assert code == 1 and "is 209,715,200 bytes, more than 4,194,304" in err, err
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"id,var1,var2\n1,a,b\n")
    code, _, err = _cli(capsys, "signals", "--reports", str(junk), "--all-pairs")
    assert code == 1 and "cannot be read as Parquet" in err and "Traceback" not in err, err


# --- outputs whole or not at all; arguments out of range are usage errors --------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (("faers", "synth", "--quarters", "0", "--out", "OUT"), "0 is not in the range 1<=x<=400"),
        (
            ("faers", "synth", "--reports", "3", "--out", "OUT"),
            "3 is not in the range 10<=x<=50000000",
        ),
        (("faers", "synth", "--start", "2023q7", "--out", "OUT"), "'2023q7' is not a quarter"),
        (("faers", "download", "2023q9"), "'2023q9' is not a quarter"),
        (("faers", "download", "2023q1", "2024q5"), "'2024q5' is not a quarter"),
        (
            ("faers", "download", "2004q1", "2999q4"),
            "2999q4 is after the quarter under way",
        ),
        (("faers", "download", "1001q1", "2004q1"), "holds 4,013 quarters; at most 400"),
        (
            ("faers", "download", "2024q1", "2023q4"),
            "the first quarter 2024q1 comes after the last",
        ),
        (("faers", "synth", "--quarters", "100000", "--out", "OUT"), "not in the range 1<=x<=400"),
        (
            ("faers", "synth", "--start", "9999q1", "--quarters", "400", "--out", "OUT"),
            "runs past 9999q4, the last quarter written YYYYqN; give --quarters 4 or fewer",
        ),
        (
            ("compare", "kesimpta", "ocrevus", "--width", "99999999999999999999"),
            "is not in the range 20<=x<=1000",
        ),
        (("compare", "kesimpta", "ocrevus", "--width", "0"), "0 is not in the range 20<=x<=1000"),
        (("compare", "kesimpta", "ocrevus", "--width", "-5"), "-5 is not in the range 20<=x<=1000"),
    ],
    ids=[
        "synth-0-quarters",
        "synth-3-reports",
        "synth-start",
        "download-q9",
        "download-last-q5",
        "download-future",
        "download-too-many",
        "download-reversed",
        "synth-100000-quarters",
        "synth-past-9999",
        "width-huge",
        "width-0",
        "width-negative",
    ],
)
def test_arguments_out_of_range_are_usage_errors(tmp_path, capsys, args, words):
    args = tuple(str(tmp_path / "s") if a == "OUT" else a for a in args)
    code, out, err = _cli(capsys, *args)
    assert (
        code == 2 and words in " ".join(err.replace("│", " ").split()) and "Traceback" not in err
    ), err
    assert not (tmp_path / "s").exists()


def test_output_that_is_a_folder_is_a_clear_error(tmp_path, capsys):
    folder = tmp_path / "report.md"  # a folder named like a report
    folder.mkdir()
    code, _, err = _cli(capsys, "compare", "kesimpta", "ocrevus", "-o", str(folder))
    assert code != 0 and "is a folder; give a file name in it" in err and "Traceback" not in err, (
        err
    )


@pytest.mark.skipif(
    not hasattr(__import__("os"), "fork"), reason="needs a POSIX file-size limit (RLIMIT_FSIZE)"
)
@pytest.mark.parametrize(
    "args",
    [
        ("compare", "kesimpta", "ocrevus", "--format", "markdown", "-o", "OUT.md"),
        ("signals", "--reports", "REPORTS", "--all-pairs", "-o", "OUT.csv"),
        ("signals", "--reports", "REPORTS", "--all-pairs", "-o", "OUT.json"),
    ],
    ids=["compare-markdown", "signals-csv", "signals-json"],
)
def test_a_full_disk_leaves_an_existing_output_as_it_was(tmp_path, args):
    """A real write failure: the child process may write no file past 2,000 bytes (RLIMIT_FSIZE,
    the kernel's EFBIG, as a full disk's ENOSPC), so the new output cannot be written whole."""
    import os
    import resource
    import signal
    import subprocess
    import sys

    reports = tmp_path / "r.csv"
    reports.write_text(
        "id,var1,var2\n" + "".join(f"{i},drug{i % 7},event{i % 11}\n" for i in range(400))
    )
    target = tmp_path / ("OUT" + Path(args[-1]).suffix)
    old = "the report of yesterday, which must survive\n" * 10
    target.write_text(old)
    argv = [
        str(target) if a.startswith("OUT") else str(reports) if a == "REPORTS" else a for a in args
    ]

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    run = subprocess.run(
        [sys.executable, "-m", "rxcompare", *argv],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr
    assert "cannot write" in run.stderr and "left as it was" in run.stderr, run.stderr
    assert target.read_text() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["r.csv", target.name]
    )  # no temporary file left


# --- temporary files of killed runs are cleaned on the next run ------------------------------------------


def _killed_writer(folder: Path, prefix: str) -> Path:
    """A real writer killed (SIGKILL) while its temporary file stands: the file it left, aged as a
    file of a run an hour and more ago is."""
    import os
    import signal
    import subprocess
    import sys

    code = (
        "import sys, time; from rxcompare.sources.atomic import write_json_atomic; "
        "write_json_atomic(sys.argv[1], {'a': 1}, prefix=sys.argv[2], check=lambda p: time.sleep(120))"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(folder / "target.json"), prefix])
    try:
        for _ in range(600):
            left = [p for p in folder.glob(f"{prefix}*.json")] if folder.is_dir() else []
            if left:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the writer made no temporary file")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    hour_ago = time.time() - 2 * 3600
    os.utime(left[0], (hour_ago, hour_ago))
    return left[0]


def test_temporary_files_of_killed_runs_are_removed_by_the_next(tmp_path):
    import shutil

    from rxcompare.sources.ctgov import TrialsStore
    from rxcompare.sources.pack import write_pack

    trials = tmp_path / "trials"
    left = _killed_writer(trials, ".trials-")
    live = trials / ".trials-live1234.json"  # another run at work now: young, kept
    live.write_text("{}")
    doc = {
        "schema": "rxcompare/ctgov-trials",
        "version": 1,
        "name": "x",
        "fetched_at": "2026-01-01T00:00:00+00:00",
        "records": {},
    }
    TrialsStore(trials).save(doc)
    assert not left.exists() and live.exists()

    packs = tmp_path / "user"
    left = _killed_writer(packs, ".pack-")
    embedded = ROOT / "src" / "rxcompare" / "data" / "pack.json"
    shutil.copy(embedded, packs / "pack.json")
    write_pack(json.loads(embedded.read_text(encoding="utf-8")), packs / "pack.json")
    assert not left.exists() and sorted(p.name for p in packs.iterdir()) == ["pack.json"]


# --- the DailyMed cache holds whatever the download cap lets through ---------------------------------------


def test_a_large_dailymed_answer_is_cached_once(tmp_path):
    """The issue's leftover: a DailyMed document over 48 MB was cached as base64 in a JSON file over
    the 64 MB read cap, so it was fetched again on every call. The answer's bytes are kept as
    received (up to the download cap), read back once, and a record whose bytes were changed or
    cut is fetched again; the older one-file entries are still read."""
    import base64
    import hashlib

    from helpers import Reply, serve_loopback

    from rxcompare.sources.labels.dailymed import DailyMedClient

    set_id = "c6e131fe-e7df-4876-83f7-9156fc4e8228"
    spl = shared_path("spl", "lipitor-orig.xml").read_bytes()
    big = spl + b"<!--" + b"x" * (50 << 20) + b"-->"  # 50 MB: 67 MB as base64
    asked: list[str] = []

    def answer(target: str) -> Reply:
        asked.append(target)
        return Reply(200, big, "application/xml")

    with serve_loopback(answer) as base:
        client = DailyMedClient(base, cache_dir=tmp_path, backoff=0, max_retries=0)
        for _ in range(3):
            url, body = client.document(set_id, "11")
            assert body == big
        assert len(asked) == 1  # fetched once, then read from the cache
        record = next(tmp_path.glob("*.json"))
        kept = record.with_suffix(".body")
        assert kept.read_bytes() == big and json.loads(record.read_text())["size"] == len(big)
        kept.write_bytes(big[:1000])  # cut: a miss, fetched again and kept whole
        assert client.document(set_id, "11")[1] == big and len(asked) == 2
        assert kept.read_bytes() == big
        old = {  # an entry as the one-file form wrote it
            "key": f"{base}/spls/{set_id}.xml#version=10",
            "url": f"{base}/spls/{set_id}.xml",
            "fetched_at": "2026-01-01T00:00:00+00:00",
            "body": base64.b64encode(spl).decode("ascii"),
        }
        name = hashlib.sha256(old["key"].encode("utf-8")).hexdigest() + ".json"
        (tmp_path / name).write_text(json.dumps(old))
        assert client.document(set_id, "10")[1] == spl and len(asked) == 2
