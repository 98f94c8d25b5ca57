"""Every versioned JSON output is built by one helper (models.envelope) and made JSON-safe by one
(models.json_value)."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest

from rxcompare.models import envelope, json_value

SRC = Path(__file__).resolve().parents[1] / "src" / "rxcompare"


def test_envelope_puts_schema_and_version_first():
    doc = envelope("rxcompare/onset", source="x", rows=[])
    assert list(doc) == ["schema", "version", "source", "rows"]
    assert doc["schema"] == "rxcompare/onset" and doc["version"] == 1
    assert envelope("rxcompare/pack", 2)["version"] == 2


@pytest.mark.parametrize("name", ["signals", "rxcompare/", "other/signals", ""])
def test_envelope_refuses_a_name_outside_the_namespace(name):
    with pytest.raises(ValueError, match="starts with 'rxcompare/'"):
        envelope(name)


def test_json_value_turns_what_json_cannot_hold_into_null_and_plain_numbers():
    value = {
        "a": [1.5, math.nan, (math.inf, -math.inf)],
        "b": np.float64("nan"),
        "c": np.int64(7),
        "d": np.float32(0.5),
        "e": "text",
        "f": None,
        "g": True,
    }
    got = json_value(value)
    assert got == {
        "a": [1.5, None, [None, None]],
        "b": None,
        "c": 7,
        "d": 0.5,
        "e": "text",
        "f": None,
        "g": True,
    }
    assert type(got["c"]) is int and type(got["d"]) is float
    json.dumps(got, allow_nan=False)  # no NaN left anywhere


def _hand_built_envelopes(path: Path) -> list[int]:
    """Lines of dict literals with a "schema" key whose value is a string literal or a name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "schema"
                    and (
                        isinstance(value, ast.Name)
                        or (isinstance(value, ast.Constant) and isinstance(value.value, str))
                    )
                ):  # an OpenAPI media type's "schema" holds a JSON Schema, made by a call
                    out.append(node.lineno)
    return out


def test_no_versioned_document_is_built_by_hand():
    found = {
        str(p.relative_to(SRC)): lines
        for p in sorted(SRC.rglob("*.py"))
        if p != SRC / "models" / "__init__.py" and (lines := _hand_built_envelopes(p))
    }
    assert not found, f"build these with rxcompare.models.envelope: {found}"


def test_the_hand_built_finder_finds_one(tmp_path):
    p = tmp_path / "x.py"
    p.write_text(
        'doc = {"schema": "rxcompare/x", "version": 1}\nspec = {"schema": {"type": "object"}}\n'
    )
    assert _hand_built_envelopes(p) == [1]
