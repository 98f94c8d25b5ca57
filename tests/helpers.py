"""Test helpers: a knowledge pack of FICTIONAL products (tests/fixtures/curated) for engine tests."""

from __future__ import annotations

from pathlib import Path

from rxcompare.sources.pack import build_pack, write_pack

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_pack_file(tmp: Path) -> Path:
    """Build the fictional pack into ``tmp`` and return its path."""
    doc = build_pack(curated=sorted((FIXTURES / "curated").glob("*.json")))
    return write_pack(doc, tmp / "pack.json")
