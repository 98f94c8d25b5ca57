"""Renderers against literal text at a fixed width (ids and dates scrubbed), on the fictional pack.

Regenerate after an intended change with ``RXCOMPARE_UPDATE_GOLDEN=1 pytest tests/test_render.py``
and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from helpers import fixture_pack_file

from rxcompare.comparison import compare
from rxcompare.render.markdown import render_markdown
from rxcompare.render.terminal import render_terminal
from rxcompare.sources.pack import load_pack

GOLDEN = Path(__file__).parent / "golden"


def scrub(text: str) -> str:
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<set-id>", text)
    return re.sub(r"\b\d{4}-\d{2}-\d{2}\b", "<date>", text)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    pack = load_pack(fixture_pack_file(tmp_path_factory.mktemp("pack")))
    return compare("alphex", "betanib", pack=pack, factors=("planning_pregnancy",))


@pytest.mark.parametrize(
    "name, render",
    [
        ("alphex-betanib.md", render_markdown),
        ("alphex-betanib.txt", lambda c: render_terminal(c, width=100, color=False)),
        ("alphex-betanib-80.txt", lambda c: render_terminal(c, width=80, color=False)),
        ("alphex-betanib-120.txt", lambda c: render_terminal(c, width=120, color=False)),
        ("alphex-betanib-full.md", lambda c: render_markdown(c, full=True)),
        (
            "alphex-betanib-full.txt",
            lambda c: render_terminal(c, width=100, color=False, full=True),
        ),
    ],
)
def test_render_matches_golden(comparison, name, render):
    text = scrub(render(comparison))
    path = GOLDEN / name
    if os.environ.get("RXCOMPARE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_terminal_lines_fit_the_width(comparison):
    for line in render_terminal(comparison, width=80, color=False).splitlines():
        assert len(line) <= 80, line
