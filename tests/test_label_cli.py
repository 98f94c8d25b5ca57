"""The label and pack commands, run through rxcompare.cli.main with real SPL files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import shared_path

from rxcompare.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    captured = capsys.readouterr()
    return info.value.code or 0, captured.out, " ".join(captured.err.split())


def test_label_parse_text(capsys):
    code, out, _ = run(capsys, "label", "parse", str(shared_path("spl", "humira.xml")))
    assert code == 0
    assert "set id 608d4f0d-b19f-46d3-749a-7159aa5f933d, version 1560, effective 2013-09-30" in out
    assert "  5 WARNINGS AND PRECAUTIONS [43685-7]" in out
    assert "    5.1 Serious Infections [42229-5]" in out
    assert "table 'Table 1. Adverse Reactions" in out and "24 row(s) x 3 column(s)" in out


def test_label_parse_json_envelope(capsys, tmp_path):
    target = tmp_path / "label.json"
    code, _, err = run(capsys, "label", "parse", str(shared_path("spl", "no-title.xml")), "-f", "json",
                       "-o", str(target))  # fmt: skip
    assert code == 0 and "wrote" in err
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert (doc["schema"], doc["version"]) == ("rxcompare/label", 1)
    assert doc["label"]["title"] == "Haloperidol"
    assert [s["title"] for s in doc["label"]["sections"][:3]] == ["", "", "DESCRIPTION"]


def _truncated(tmp_path):
    path = tmp_path / "cut.xml"
    path.write_bytes(shared_path("spl", "viagra-64f8040f.xml").read_bytes()[:20000])
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: shared_path("spl", "methoxsalen.xml"), "not a drug label"),
        (lambda tmp: shared_path("dailymed-api", "spls-page1.xml"), "not an SPL document"),
        (_truncated, "not well-formed XML"),
        (lambda tmp: tmp / "missing.xml", "does not exist"),
    ],
)
def test_label_parse_bad_files_exit_1_naming_the_file(capsys, tmp_path, make, message):
    path = make(tmp_path)
    code, out, err = run(capsys, "label", "parse", str(path))
    assert code == 1 and out == ""
    assert str(path.name) in err and message in err
    assert "Traceback" not in err


def test_label_bad_format(capsys):
    code, _, err = run(capsys, "label", "parse", str(shared_path("spl", "humira.xml")), "-f", "xml")
    assert code == 2 and "--format 'xml' is not one of text, json" in err


def test_label_show_from_a_file(capsys):
    path = shared_path("spl", "humira.xml")
    code, out, _ = run(capsys, "label", "show", "Humira", "--file", str(path), "--section", "2")
    assert code == 0
    assert "source: spl file humira.xml" in out
    assert "2.1 Rheumatoid Arthritis, Psoriatic Arthritis, and Ankylosing Spondylitis" in out
    assert "[admin.dose.maintenance = 40 mg] The recommended dose of HUMIRA" in out
    assert "cite: Humira prescribing information, version 1560 (2013-09-30), 2.1 " in out
    assert "5.1 Serious Infections" not in out  # --section 2 only


def test_label_show_json(capsys):
    path = shared_path("spl", "viagra-64f8040f.xml")
    code, out, _ = run(
        capsys, "label", "show", "sildenafil", "--file", str(path), "-s", "6", "-f", "json"
    )
    doc = json.loads(out)
    assert code == 0 and doc["schema"] == "rxcompare/label-facts"
    assert doc["product"]["id"] == "viagra" and doc["facts"] == []
    assert {i["citation"]["section"] for i in doc["incidences"]} == {"6.1"}


def test_label_show_file_of_another_product(capsys):
    code, _, err = run(
        capsys, "label", "show", "lipitor", "--file", str(shared_path("spl", "humira.xml"))
    )
    assert code == 1 and "humira.xml is the label of Humira (adalimumab), not 'lipitor'" in err


@pytest.fixture
def built_pack(capsys, tmp_path):
    curated = tmp_path / "curated"
    curated.mkdir()
    out = tmp_path / "pack.json"
    code, stdout, err = run(
        capsys, "pack", "build", "--curated", str(curated), "--out", str(out),
        "--spl", str(shared_path("spl", "humira.xml")), "--spl", str(shared_path("spl", "viagra-64f8040f.xml")),
    )  # fmt: skip
    assert code == 0, err
    return out, stdout, err


def test_pack_build_summary(built_pack):
    out, stdout, err = built_pack
    assert f"wrote {out}" in err
    assert (
        "knowledge pack version 1, built " in stdout
        and ": 2 products, 50 facts, 90 incidences" in stdout
    )
    assert (
        "humira: Humira (adalimumab) - source parsed SPL; label set id 608d4f0d-b19f-46d3-749a-7159aa5f933d, "
        "version 1560 of 2013-09-30; 35 facts, 34 incidences; label sections held in full: BW, 1, 2, 3, 4, 5, 6, 7, "
        "8, 10, 11, 12, 13, 14, 15, 16, 17" in stdout
    )
    assert (
        "viagra: Viagra (sildenafil) - source parsed SPL; label set id 0b0be196-0c62-461c-94f4-9a35339b4501, version 20 of 2017-11-07"
        in stdout
    )


def test_pack_info_and_show_from_the_pack(capsys, built_pack):
    out, built, _ = built_pack
    code, info, _ = run(capsys, "pack", "info", "--pack", str(out))
    assert code == 0 and info == built
    code, shown, _ = run(capsys, "label", "show", "humira", "--pack", str(out), "--section", "5.4")
    assert code == 0 and "source: knowledge pack (spl)" in shown
    assert "[warning.hbv] Use of TNF blockers, including HUMIRA, may increase the risk" in shown
    code, _, err = run(capsys, "label", "show", "no-such-medicine", "--pack", str(out))
    assert code == 1 and "no-such-medicine" in err


def test_pack_build_errors(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "pack",
        "build",
        "--curated",
        str(tmp_path / "nope"),
        "--out",
        str(tmp_path / "p.json"),
    )
    assert code == 2 and "--curated" in err and "nope: no such folder" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(
        capsys, "pack", "build", "--curated", str(empty), "--out", str(tmp_path / "p.json")
    )
    assert code == 2 and "nothing to build" in err
    code, _, err = run(capsys, "pack", "build", "--curated", str(empty), "--out", str(tmp_path / "p.json"),
                       "--spl", str(shared_path("spl", "methoxsalen.xml")))  # fmt: skip
    assert code == 1 and "methoxsalen.xml" in err and not (tmp_path / "p.json").exists()


def _embedded_products() -> list[str]:
    from rxcompare.sources.pack import load_pack

    return [p.id for p in load_pack().products]


@pytest.mark.parametrize("section", [None, "5"])
@pytest.mark.parametrize("product", _embedded_products())
def test_label_show_every_product_of_the_embedded_pack(capsys, monkeypatch, product, section):
    """Sections cited by name, not number ("Boxed Warning", "Medication Guide") once crashed the
    section ordering with ValueError (issue 11, item 7)."""
    monkeypatch.delenv("RXCOMPARE_PACK", raising=False)
    argv = ["label", "show", product] + (["--section", section] if section else [])
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "Traceback" not in out + err and f"[{product}]" in out
    if section is None:
        assert "cite: " in out  # every product of the pack has facts


# --- label parse: bounded input, what the file is, openFDA JSON (issues 12 and 13) ----------------


@pytest.mark.skipif(
    not Path("/dev/zero").exists(), reason="needs /dev/zero (a never-ending stream)"
)
def test_label_parse_dev_zero_stops_with_a_clear_error():
    """Once grew to 9.5 GB in 30 s; now read bounded. Run with an address-space limit of 2 GB so
    that an unbounded read fails (MemoryError) instead of taking the machine."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    proc = subprocess.run(
        [sys.executable, "-m", "rxcompare", "label", "parse", "/dev/zero"],
        capture_output=True, text=True, timeout=120, preexec_fn=limit,
    )  # fmt: skip
    err = " ".join(proc.stderr.split())
    assert proc.returncode == 1 and proc.stdout == "", err
    assert "/dev/zero gives more than 50 MB, the most rxcompare reads as a label" in err
    assert "RXCOMPARE_LABEL_MAX_MB" in err and "Traceback" not in err


def _reply(*names: str) -> dict:
    from helpers import openfda_result

    return {
        "meta": {"disclaimer": "Do not rely on openFDA to make decisions regarding medical care.",
                 "last_updated": "2026-11-20", "results": {"skip": 0, "limit": 10, "total": len(names)}},
        # a copy: openfda_result is cached, and a test that edits a reply must not edit it for others
        "results": [copy.deepcopy(openfda_result(n)) for n in names],
    }  # fmt: skip


def test_label_parse_reads_an_openfda_reply(capsys, tmp_path):
    path = tmp_path / "label.json"  # any name: the parser is chosen by content
    path.write_text(json.dumps(_reply("humira.xml")), encoding="utf-8")
    code, out, err = run(capsys, "label", "parse", str(path))
    assert code == 0, err
    assert "set id 608d4f0d-b19f-46d3-749a-7159aa5f933d, version 1560, effective 2013-09-30" in out
    assert "source openfda" in out and "  5 WARNINGS AND PRECAUTIONS [43685-7]" in out
    code, out, _ = run(capsys, "label", "parse", str(path), "-f", "json")
    doc = json.loads(out)
    assert (doc["schema"], doc["label"]["source"], doc["label"]["version"]) == (
        "rxcompare/label",
        "openfda",
        "1560",
    )


def test_label_parse_reads_every_result_and_a_bare_result(capsys, tmp_path):
    path = tmp_path / "reply"
    path.write_text(json.dumps(_reply("humira.xml", "viagra-64f8040f.xml")), encoding="utf-8")
    code, out, _ = run(capsys, "label", "parse", str(path), "-f", "json")
    doc = json.loads(out)
    assert code == 0 and doc["schema"] == "rxcompare/labels"
    assert [x["version"] for x in doc["labels"]] == ["1560", "20"]
    code, out, _ = run(capsys, "label", "parse", str(path))
    assert code == 0 and out.count("source openfda") == 2
    one = tmp_path / "one.json"
    one.write_text(json.dumps(_reply("viagra-64f8040f.xml")["results"][0]), encoding="utf-8")
    code, out, _ = run(capsys, "label", "parse", str(one))
    assert code == 0 and "set id 0b0be196-0c62-461c-94f4-9a35339b4501, version 20" in out


def test_label_show_reads_an_openfda_result(capsys, tmp_path):
    path = tmp_path / "humira.json"
    path.write_text(json.dumps(_reply("humira.xml")), encoding="utf-8")
    code, out, err = run(capsys, "label", "show", "humira", "--file", str(path), "--section", "5.4")
    assert code == 0, err
    assert "source: openfda file humira.json" in out and "[warning.hbv]" in out


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '{"error": {"code": "NOT_FOUND", "message": "No matches found!"}}',
            "the openFDA reply holds no label",
        ),
        (
            '{"error": {"code": "SERVER_ERROR", "message": "Check your request"}}',
            "openFDA answered with error 'SERVER_ERROR'",
        ),
        ('{"meta": {}, "results": [{"set_id": "x"}]}', "result #1: the result has no 'version'"),
        ('{"meta": {}, "results": [', "not valid JSON at line 1, column 26"),
        ('{"hello": "world"}', "JSON, but not an openFDA drug/label reply"),
        (
            "<!DOCTYPE html><html><body>Rate limit exceeded<br></body></html>",
            "the file is an HTML page",
        ),
    ],
)
def test_label_parse_bad_replies(capsys, tmp_path, text, message):
    path = tmp_path / "reply.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "label", "parse", str(path))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "reply.json" in err and message in err, err


def test_label_parse_escapes_terminal_controls(capsys, tmp_path):
    reply = _reply("viagra-64f8040f.xml")
    reply["results"][0]["openfda"]["brand_name"] = ["VIAGRA\x1b[2J\u202e\x9b"]
    path = tmp_path / "reply.json"
    path.write_text(json.dumps(reply), encoding="utf-8")
    code, out, _ = run(capsys, "label", "parse", str(path))
    assert code == 0 and "VIAGRA\\u001b[2J\\u202e\\u009b" in out
    assert not any(c in out for c in "\x1b\u202e\x9b")


def test_show_says_why_a_section_shows_nothing(capsys, tmp_path, monkeypatch):
    """'Not in the pack' and 'the label states nothing' are different claims: a section the pack
    does not hold in full is named as not in the pack, one it holds in full as holding no fact, and
    a label file read whole as yielding none."""
    monkeypatch.setenv("COLUMNS", "300")
    from rxcompare.sources.pack import build_pack, write_pack

    pack = write_pack(build_pack(spl=[shared_path("spl", "humira.xml")]), tmp_path / "pack.json")
    code, out, _ = run(capsys, "label", "show", "humira", "--pack", str(pack), "--section", "5.99")
    assert (
        code == 0
        and "the pack holds section 5 of this label in full, and none of its facts is from section 5.99"
        in out
    )
    doc = json.loads(pack.read_text())
    doc["coverage"]["humira"] = ["1"]
    thin = tmp_path / "thin.json"
    thin.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "label", "show", "humira", "--pack", str(thin), "--section", "9")
    assert (
        code == 0
        and "(not in the pack: it does not hold section 9 of this label in full; held in full: 1."
        in out
    )
    code, out, _ = run(
        capsys,
        "label",
        "show",
        "humira",
        "--file",
        str(shared_path("spl", "humira.xml")),
        "-s",
        "99",
    )
    assert code == 0 and "(the label file yields no fact from section 99)" in out
    code, out, _ = run(capsys, "label", "show", "humira", "--pack", str(pack), "--section", "5")
    assert "version None" not in out and "(None)" not in out


def test_show_names_each_heading_once(capsys, monkeypatch):
    """A section whose title already holds its name is shown once, in headings and cite lines."""
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("RXCOMPARE_EMBEDDED_PACK", "1")
    code, out, _ = run(capsys, "label", "show", "kesimpta")
    assert code == 0 and "Highlights of Prescribing Information" in out
    assert (
        "Highlights Highlights" not in out
        and "Important Safety Information Important Safety Information" not in out
    )


@pytest.mark.parametrize(
    ("section", "title", "heading"),
    [
        ("5.1", "Infections", "5.1 Infections"),
        ("5.1", "5.1 Infections", "5.1 Infections"),
        (
            "1",
            "12 Clinical Pharmacology",
            "1 12 Clinical Pharmacology",
        ),  # "1" is in "12": not the same section
        (
            "Highlights",
            "Highlights of Prescribing Information",
            "Highlights of Prescribing Information",
        ),
        ("Adult Dosage", "MPR summary: Adult Dosage", "MPR summary: Adult Dosage"),
        (None, "Boxed warning", "Boxed warning"),
        ("2", None, "2"),
        (None, None, ""),
    ],
)
def test_citation_heading(section, title, heading):
    from rxcompare.models import Citation

    assert Citation("label", "x", section=section, section_title=title).heading == heading
