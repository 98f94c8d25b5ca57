"""Command-line conventions (issue 26): --version, shell completion, exit status 1 for a command
that cannot do its work and 2 for a usage error, output formats told by the file name, and a taken
port said before any URL."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from helpers import fixture_pack_file

from rxcompare import __version__
from rxcompare.cli import main


def run(capsys, *argv):
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory):
    return str(fixture_pack_file(tmp_path_factory.mktemp("pack")))


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (0, f"rxcompare {__version__}\n")


def test_help_offers_typers_completion(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--install-completion" in out and "--show-completion" in out


@pytest.mark.parametrize(
    "name, starts",
    [("c.md", "# "), ("c.json", "{"), ("c.html", "<!doctype html>"), ("c.txt", "╭")],
)
def test_the_output_file_name_chooses_the_format(capsys, tmp_path, pack_file, name, starts):
    target = tmp_path / name
    code, out, err = run(
        capsys, "compare", "alphex", "betanib", "--pack", pack_file, "-o", str(target)
    )
    assert code == 0 and out == "" and f"wrote {target}" in " ".join(err.split())
    text = target.read_text(encoding="utf-8")
    assert text.lstrip().startswith(starts) and "\x1b[" not in text


def test_an_output_name_of_no_known_format_is_refused_and_nothing_written(
    capsys, tmp_path, pack_file
):
    target = tmp_path / "c.xlsx"
    code, out, err = run(
        capsys, "compare", "alphex", "betanib", "--pack", pack_file, "-o", str(target)
    )
    assert code == 2 and not target.exists()
    assert "*.md or *.markdown or *.json or *.html or *.htm or *.txt, or give --format" in " ".join(
        err.split()
    )


def test_format_given_wins_over_the_file_name(capsys, tmp_path, pack_file):
    target = tmp_path / "c.out"
    code, _, _ = run(
        capsys, "compare", "alphex", "betanib", "--pack", pack_file, "-o", str(target), "-f", "json"
    )
    assert code == 0 and target.read_text(encoding="utf-8").startswith("{")


def test_serve_says_a_taken_port_before_any_url(tmp_path):
    pytest.importorskip("uvicorn")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "rxcompare", "serve", "--port", str(port), "--pack",
             str(fixture_pack_file(tmp_path))],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    err = " ".join(proc.stderr.split())
    assert proc.returncode == 2 and "http://" not in err, err
    assert f"cannot listen on 127.0.0.1 port {port}" in err and "give another --port" in err


def test_the_docs_document_every_environment_variable():
    """Every variable the code reads (settings.py and the few read where they are used) has its row
    in the table of environment variables of docs/settings.md."""
    import re
    from pathlib import Path

    from rxcompare import settings

    root = Path(__file__).resolve().parents[1]
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (root / "src" / "rxcompare").rglob("*.py")
    )
    read = {s.env for s in settings.ALL} | set(re.findall(r'"(RXCOMPARE_[A-Z_]+)"', code))
    doc = (root / "docs" / "settings.md").read_text(encoding="utf-8")
    table = doc.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.M))
    assert "OPENFDA_API_KEY" in read and "RXCOMPARE_RXNAV_BASE" in read
    assert read - rows == set(), f"not in docs/settings.md's table: {sorted(read - rows)}"
    assert rows - read == set(), (
        f"in docs/settings.md's table but read nowhere: {sorted(rows - read)}"
    )


@pytest.fixture
def reports_csv(tmp_path):
    path = tmp_path / "reports.csv"
    rows = ["id,var1,var2"] + [f"{i},D{i % 3},E{i % 4}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "argv",
    [
        ("compare", "alphex", "betanib", "--pack", "{pack}"),
        ("label", "show", "alphex", "--pack", "{pack}"),
        ("signals", "--all-pairs", "--reports", "{reports}"),
    ],
    ids=["compare", "label", "signals"],
)
def test_text_and_json_name_the_same_formats_in_every_command(capsys, pack_file, reports_csv, argv):
    args = [a.format(pack=pack_file, reports=reports_csv) for a in argv]
    code, text, err = run(capsys, *args, "--format", "text")
    assert code == 0 and text.strip() and not text.lstrip().startswith("{"), err
    code, doc, err = run(capsys, *args, "-f", "json")
    assert code == 0 and doc.lstrip().startswith("{"), err


def test_signals_table_is_another_name_for_text(capsys, reports_csv):
    args = ("signals", "--all-pairs", "--reports", reports_csv)
    assert run(capsys, *args, "-f", "table") == run(capsys, *args, "-f", "text")
    assert run(capsys, *args) == run(capsys, *args, "-f", "text")  # text is the default
    code, _, err = run(capsys, *args, "-f", "tables")
    assert code == 2 and "--format 'tables' is not one of text, json, csv" in " ".join(err.split())
