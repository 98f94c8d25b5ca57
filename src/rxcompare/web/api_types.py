"""The shapes of the JSON API's answers, as its OpenAPI document (``/openapi.json``) states them.

``/api/compare`` answers the ``rxcompare/comparison`` document: its JSON Schema is the one published
in docs/schemas/ and shipped in the package (``rxcompare/data/schemas/``), embedded whole in the
OpenAPI document (:func:`schema_response`). The smaller answers are pydantic models here:
:class:`DrugsAnswer` (``/api/drugs``), :class:`SignalsAnswer` (``/api/signals``, the
``rxcompare/head-to-head`` document) and :class:`HealthAnswer` (``/healthz``); every error is
:class:`~rxcompare.web.responses.ErrorBody`. The routes still write their bodies themselves: these
types document them, and tests/test_web_openapi.py checks real answers against them.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DrugsAnswer",
    "HealthAnswer",
    "SignalsAnswer",
    "DrugSuggestion",
    "json_schema",
    "schema_response",
]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DrugSuggestion(_Closed):
    """One name to offer: ``name`` goes into the field; ``detail`` says what it is."""

    name: str
    detail: str
    source: Literal["pack", "warehouse"]
    product: str | None  # pack product id
    ingredient: str | None
    comparable: bool
    reports: int | None  # deduplicated cases naming it, for warehouse names


class DrugsAnswer(_Closed):
    """``/api/drugs``: suggestions for a typed name, pack products first."""

    ok: Literal[True]
    query: str
    drugs: list[DrugSuggestion]


class YearCount(_Closed):
    product: str
    year: int
    count: int


class SignalsAnswer(_Closed):
    """``/api/signals``: the ``rxcompare/head-to-head`` document, head-to-head tables of A against B
    per event group with their RORs, the reports per year, caveats, citation and provenance."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ok: Literal[True]
    # "schema" names a method of pydantic's BaseModel: the field is read and written as "schema"
    schema_: Literal["rxcompare/head-to-head"] = Field(alias="schema")
    version: Literal[1]
    a: str
    b: str
    indication: str | None
    source: str
    signals: list[dict[str, Any]]
    per_year: list[YearCount]
    caveats: list[str]
    citation: dict[str, Any]
    provenance: dict[str, Any]


class PackInfo(_Closed):
    version: int
    built: str | None
    products: int


class WarehouseInfo(_Closed):
    configured: bool
    suggestions: bool


class CacheInfo(_Closed):
    comparisons: int
    hits: int
    misses: int


class HealthAnswer(_Closed):
    """``/healthz``: the server is up; versions of rxcompare and the pack, warehouse and cache."""

    ok: Literal[True]
    status: Literal["ok"]
    version: str
    pack: PackInfo
    warehouse: WarehouseInfo
    postmarketing: str
    cache: CacheInfo


@functools.cache
def json_schema(name: str) -> dict[str, Any]:
    """The published JSON Schema ``<name>.schema.json`` (comparison, signals, study, trials, label)."""
    path = resources.files("rxcompare") / "data" / "schemas" / f"{name}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


def schema_response(name: str, description: str) -> dict[str, Any]:
    """An OpenAPI response whose JSON body is the document of :func:`json_schema` ``name``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": json_schema(name)}},
    }
