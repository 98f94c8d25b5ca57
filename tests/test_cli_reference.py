"""docs/cli.md is the --help of every command as it is now (datasette's and sqlite-utils' habit: the
CLI reference is generated and a test regenerates it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rxcompare.cli.reference import cli_reference, command_paths, help_text

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_docs_cli_md_is_the_help_of_every_command_as_it_is_now():
    assert DOC.read_text(encoding="utf-8") == cli_reference(), (
        "docs/cli.md differs from the commands' --help: run "
        "`python -m rxcompare.cli.reference docs/cli.md` and commit the file"
    )


def test_every_command_and_group_has_its_section():
    paths = command_paths()
    assert () in paths and ("signals",) in paths and ("faers", "ingest") in paths
    text = DOC.read_text(encoding="utf-8")
    for path in paths:
        assert f"\n## {' '.join(('rxcompare', *path))}\n" in text, path


@pytest.mark.parametrize(
    "path, words",
    [
        (("compare",), ("Usage: rxcompare compare", "--online", "--warehouse")),
        (("signals",), ("Usage: rxcompare signals", "--dedup-sensitivity", "--reports")),
        (("faers", "synth"), ("Usage: rxcompare faers synth", "--reports", "--quarters")),
    ],
)
def test_help_text_is_the_commands_own_help(path, words):
    text = help_text(path)
    assert all(w in text for w in words), text
    assert "\x1b[" not in text and not any(line != line.rstrip() for line in text.splitlines())


def test_help_text_is_the_same_at_any_terminal_width(monkeypatch):
    wide = help_text(("signals",))
    monkeypatch.setenv("COLUMNS", "40")
    assert help_text(("signals",)) == wide
    assert max(len(line) for line in wide.splitlines()) <= 100
