"""`rxcompare compare` and `rxcompare ask` through the real entry point: output and exit status."""

from __future__ import annotations

import json

import pytest
from helpers import fixture_pack_file

from rxcompare.cli import main


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory):
    return str(fixture_pack_file(tmp_path_factory.mktemp("pack")))


def run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "json"])
def test_compare_formats(pack_file, capsys, fmt):
    code, out, err = run(
        ["compare", "alphex", "betanib", "--pack", pack_file, "--format", fmt, "--width", "100"],
        capsys,
    )
    assert code == 0, err
    if fmt == "json":
        assert json.loads(out)["schema"] == "rxcompare/comparison"
    else:
        assert "Alphex" in out and "Betanib" in out and "Sources" in out


def test_compare_writes_output_file(pack_file, capsys, tmp_path):
    target = tmp_path / "report.md"
    code, out, err = run(
        ["compare", "alphex", "betanib", "--pack", pack_file, "-f", "markdown", "-o", str(target)],
        capsys,
    )
    assert code == 0 and target.read_text().startswith("# Alphex (alphamab) vs Betanib")


@pytest.mark.parametrize(
    "argv, status, message",
    [
        # the command cannot do its work: 1
        (["compare", "alphex", "nosuchdrug"], 1, "no medicine called 'nosuchdrug'"),
        (["compare", "alphex", "alfex"], 1, "same product"),
        (
            ["compare", "alphamab", "alphex"],
            1,
            "ambiguous here",
        ),  # alphamab is Alphex and Alphex IV
        (["compare", "alphex", "x" * 5000], 1, "too long"),
        (["compare", "alphex", ""], 1, "empty drug name"),
        (["ask", "Is Alphex safe?"], 1, "names one medicine"),
        (["ask", "Alphex, Betanib or Alphex IV?"], 1, "names 3 medicines"),
        # an option that cannot be used: 2, as the parser's own usage errors
        (["compare", "alphex", "betanib", "--format", "pdf"], 2, "--format 'pdf'"),
        (["compare", "alphex", "betanib", "--audience", "robot"], 2, "audience 'robot'"),
        (
            ["compare", "alphex", "betanib", "-o", "x.xlsx"],
            2,
            "-o x.xlsx: a name ending in '.xlsx' says no format",
        ),
        (["compare", "alphex", "betanib", "-o", "report"], 2, "a name without a suffix"),
    ],
)
def test_bad_input_gives_a_message_and_its_exit_status(pack_file, capsys, argv, status, message):
    code, out, err = run(argv + ["--pack", pack_file], capsys)
    assert code == status
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_one_name_only_is_a_usage_error(pack_file, capsys):
    code, out, err = run(["compare", "alphex", "--pack", pack_file], capsys)
    assert code == 2 and "Missing argument" in err


def test_ask_answers_with_the_comparison(pack_file, capsys):
    code, out, err = run(
        ["ask", "Is Alphex safer than Betanib?", "--pack", pack_file, "-f", "markdown", "--full"],
        capsys,
    )
    assert code == 0 and "comparing alphex with betanib" in err
    assert out.startswith("# Alphex (alphamab) vs Betanib (betanib)")
    assert (
        "What matters" not in out and "How it is given" in out
    )  # patient wording by default for ask
    # the question typed without quotes, as people type it, is the same question
    code, unquoted, err = run(
        [
            "ask",
            "Is",
            "Alphex",
            "safer",
            "than",
            "Betanib?",
            "--pack",
            pack_file,
            "-f",
            "markdown",
            "--full",
        ],
        capsys,
    )
    assert code == 0 and "comparing alphex with betanib" in err and unquoted == out


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["signals", "--help"], "[default: the definitions shipped with rxcompare]"),
        (
            ["signals", "--help"],
            "(default: csv or json for an --output named .csv or .json, else text)",
        ),
        (["pack", "build", "--help"], "[default: knowledge/curated]"),
        (["trials", "--help"], "[default: read the cache]"),
    ],
)
def test_help_shows_the_defaults_it_writes(capsys, monkeypatch, argv, shown):
    """A default written in an option's help is shown (the help is rich markup: an unescaped
    "[default: ...]" was read as a style tag and vanished)."""
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code in (0, None)
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert shown in out
