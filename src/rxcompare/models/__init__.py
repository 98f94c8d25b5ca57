"""Records that cross every boundary of rxcompare.

All records are frozen dataclasses built from plain values (str, int, float, tuples) so they can be
hashed, compared in tests and turned into JSON by :func:`to_dict`. This package imports nothing of
rxcompare's own outside itself.

The data flow (see DESIGN.md)::

    names -> resolve -> Drug -> sources -> Fact / Incidence / Signal -> compare -> Finding -> Comparison

The 2x2 cells of disproportionality analysis are the literature's ``a, b, c, d``, defined once in
:class:`Contingency`.

The records live by concept -- :mod:`.evidence` (Citation, Product, Drug, Fact, Incidence),
:mod:`.label` (the parsed label), :mod:`.literature` (Publication, Literature), :mod:`.disproportionality`
(Contingency, PairCounts, Estimate, Signal, PostMarketing), :mod:`.answer` (Finding, Dimension, Summary,
Verdict, Comparison) and :mod:`.signals` (SignalTable, MgpsPrior, OnsetSummary, the evaluation records) --
and every one is imported from here: ``from rxcompare.models import Citation``.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any

from rxcompare.models.answer import (
    FINDING_KINDS,
    NOT_IN_PACK,
    Comparison,
    Dimension,
    Favours,
    Finding,
    Grade,
    Summary,
    SummaryLine,
    Verdict,
)
from rxcompare.models.disproportionality import (
    Contingency,
    Estimate,
    Listedness,
    PairCounts,
    PostMarketing,
    Signal,
)
from rxcompare.models.evidence import Citation, Drug, Fact, Incidence, Product
from rxcompare.models.label import (
    DocumentSection,
    Label,
    LabelDocument,
    LabelProduct,
    LabelTable,
    Section,
)
from rxcompare.models.literature import Literature, Publication
from rxcompare.models.signals import (
    COLUMNS,
    ONSET_COLUMNS,
    SORT_KEYS,
    ControlResult,
    Evaluation,
    MgpsPrior,
    OnsetSummary,
    RuleMetrics,
    SignalTable,
    prior_dict,
)

SCHEMA_PREFIX = "rxcompare/"


def envelope(schema: str, version: int = 1, **body: Any) -> dict[str, Any]:
    """A versioned JSON document, the shape of every JSON output (STYLE.md):
    ``{"schema": schema, "version": version, **body}``, the body's keys in the order given.
    ``schema`` names the document (``rxcompare/comparison``, ``rxcompare/signals``, ...); two
    documents of different shapes never share a name."""
    if not schema.startswith(SCHEMA_PREFIX) or schema == SCHEMA_PREFIX:
        raise ValueError(f"schema {schema!r}: a document's name starts with {SCHEMA_PREFIX!r}")
    return {"schema": schema, "version": version, **body}


def json_value(value: Any) -> Any:
    """A value as JSON can hold it: NaN and infinity as None (JSON has neither), numpy scalars as
    Python numbers, dicts, lists and tuples item by item."""
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if (
        getattr(value, "ndim", None) == 0 and type(value).__module__ == "numpy"
    ):  # no numpy import here
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula in a CSV cell (OWASP, "CSV Injection")."""


def csv_cell(value: object) -> object:
    """A text cell made safe for a spreadsheet: one starting like a formula gets a leading ``'``
    (shown, never run); other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_dict(record: Any) -> Any:
    """Turn a record (or nested records, tuples, enums) into JSON-ready Python values."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        out = {}
        for f in dataclasses.fields(record):
            value = getattr(record, f.name)
            if f.name in ("qualifiers", "detail", "filters", "extra", "provenance"):
                out[f.name] = {k: to_dict(v) for k, v in value}
            else:
                out[f.name] = to_dict(value)
        return out
    if isinstance(record, enum.Enum):
        return record.value
    if isinstance(record, (list, tuple)):
        return [to_dict(x) for x in record]
    if isinstance(record, dict):
        return {k: to_dict(v) for k, v in record.items()}
    return json_value(record)


__all__ = [
    "COLUMNS",
    "FINDING_KINDS",
    "FORMULA_START",
    "NOT_IN_PACK",
    "ONSET_COLUMNS",
    "SCHEMA_PREFIX",
    "Citation",
    "Comparison",
    "Contingency",
    "ControlResult",
    "Dimension",
    "Drug",
    "Estimate",
    "Evaluation",
    "Fact",
    "Favours",
    "Finding",
    "Grade",
    "Incidence",
    "DocumentSection",
    "Label",
    "LabelDocument",
    "LabelProduct",
    "LabelTable",
    "Listedness",
    "Literature",
    "MgpsPrior",
    "OnsetSummary",
    "PairCounts",
    "PostMarketing",
    "Product",
    "Publication",
    "RuleMetrics",
    "SORT_KEYS",
    "Section",
    "Signal",
    "SignalTable",
    "Summary",
    "SummaryLine",
    "Verdict",
    "csv_cell",
    "envelope",
    "json_value",
    "prior_dict",
    "to_dict",
]
