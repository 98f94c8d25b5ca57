"""Parse openFDA ``drug/label.json`` results into :class:`~rxcompare.models.Label` records.

One result is one label version: ``set_id``, ``id``, ``version``, ``effective_time``, an ``openfda``
block (brand and generic names, route, RxCUI, UNII, NDCs, product type) and one field per section
code, named after the section (``boxed_warning``, ``indications_and_usage``,
``warnings_and_cautions``, ``adverse_reactions``, ...; see :mod:`rxcompare.sources.labels.loinc`). Each
section field is a list of strings and each ``*_table`` field a list of HTML tables.

openFDA builds each string from the text of one coded SPL section with whitespace collapsed: the
title, the Highlights excerpt, the text and the subsections' titles and text run together ("5
WARNINGS AND PRECAUTIONS 5.1 Serious Infections Patients treated with ..."). Coded subsections
("12.1 Mechanism of Action") also get their own field; unclassified ones do not. Numbered
subsections, their titles, the boxed warning and the adverse-reaction tables are read back from
that text by :mod:`rxcompare.sources.labels.flat_sections` (numbers and text boundaries exact,
titles bounded by the label's own cross-checks or left empty, tables only where unambiguous).
Text with line breaks (an older openFDA layout) is split at heading lines instead.

:func:`parse_label` reads a label file of either kind, SPL XML or openFDA JSON, choosing the parser
by the file's content.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from lxml import etree, html

from rxcompare.errors import LabelError
from rxcompare.models import Label, LabelProduct, LabelTable, Section
from rxcompare.sources.labels.flat_sections import (
    FlatCues,
    flat_section,
    lines_section,
    with_flat_tables,
)
from rxcompare.sources.labels.loinc import (
    ADVERSE_REACTIONS,
    BY_OPENFDA_FIELD,
    OPENFDA_PRODUCT_TYPES,
)
from rxcompare.sources.labels.markup import TableSizeError, parse_table, table_budget
from rxcompare.sources.labels.spl import parse_spl, read_label_bytes
from rxcompare.sources.labels.text import normalise_space

_METADATA = {"set_id", "id", "version", "effective_time", "openfda"}


def _fail(origin: str, message: str) -> LabelError:
    return LabelError(f"{origin}: {message}")


def _strings(result: dict[str, Any], key: str, origin: str) -> list[str]:
    value = result[key]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise _fail(
            origin,
            f"field {key!r} must be a list of strings (openFDA drug/label schema), "
            f"got {type(value).__name__}",
        )
    return value


def _scalar(result: dict[str, Any], key: str, origin: str) -> str:
    value = result.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _fail(
            origin, f"the result has no {key!r} (every openFDA drug/label result carries it)"
        )
    return value.strip()


def _iso(value: str, origin: str) -> str:
    if not re.fullmatch(r"\d{8}", value):
        raise _fail(origin, f"effective_time {value!r} is not a date written YYYYMMDD")
    return f"{value[:4]}-{value[4:6]}-{value[6:]}"


# --- tables ----------------------------------------------------------------------------------


def _table(markup: str, field: str, origin: str) -> LabelTable:
    try:
        root = etree.fromstring(
            markup.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        try:
            root = html.fragment_fromstring(markup, create_parent="div")
        except (etree.ParserError, ValueError) as exc:
            raise _fail(origin, f"{field}: a table that is neither XML nor HTML ({exc})") from None
    table = (
        root
        if etree.QName(root).localname == "table"
        else next(
            (
                el
                for el in root.iter()
                if isinstance(el.tag, str) and etree.QName(el).localname == "table"
            ),
            None,
        )
    )
    if table is None:
        raise _fail(origin, f"{field}: an entry without a <table> element")
    return parse_table(table)


def _anchor(table: LabelTable) -> str:
    if table.caption:
        return normalise_space(table.caption)
    for row in table.header + table.rows:
        text = normalise_space(" ".join(c for c in row if c))
        if text:
            return text
    return ""


def _attach(sections: list[Section], tables: list[LabelTable]) -> list[Section]:
    """Put each table of a field into the deepest (sub)section of that field whose text contains
    its caption (or first row); a table found nowhere goes to the field's first section."""
    if not sections:
        return sections
    placed: dict[int, list[LabelTable]] = {}
    for t in tables:
        anchor, best, best_depth = _anchor(t), sections[0], -1
        stack = [(s, 0) for s in sections]
        while stack:
            s, depth = stack.pop()
            if anchor and anchor in normalise_space(f"{s.title} {s.text}") and depth > best_depth:
                best, best_depth = s, depth
            stack += [(c, depth + 1) for c in s.subsections]
        placed.setdefault(id(best), []).append(t)

    def rebuild(s: Section) -> Section:
        return Section(
            s.code,
            s.number,
            s.title,
            s.text,
            tuple(dict.fromkeys(s.tables + tuple(placed.get(id(s), ())))),  # listed twice
            tuple(rebuild(c) for c in s.subsections),
        )

    return [rebuild(s) for s in sections]


def _merge_coded(sections: list[Section]) -> list[Section]:
    """openFDA lists a coded subsection twice: inside its parent's string and on its own
    ("12.1 Mechanism of Action ..." under ``mechanism_of_action``). The copy lends its code (and
    title, read from the LOINC name) to the subsection in the tree and is dropped."""
    copies = {s.number: s for s in sections if s.number and "." in s.number and s.code}
    merged: set[str] = set()

    def fix(s: Section, top: bool) -> Section:
        subs = tuple(fix(c, False) for c in s.subsections)
        copy = None if top else copies.get(s.number or "")
        if copy is not None and s.code is None:
            merged.add(copy.number or "")
            if copy.title:  # the copy's title was read from the LOINC name: its split is exact
                return Section(copy.code, s.number, copy.title, copy.text, s.tables, subs)
            return Section(copy.code, s.number, s.title, s.text, s.tables, subs)
        return Section(s.code, s.number, s.title, s.text, s.tables, subs)

    fixed = [fix(s, True) for s in sections]
    return [s for s in fixed if s.number not in merged]


def _products(openfda: dict[str, Any], origin: str) -> tuple[LabelProduct, ...]:
    def values(key: str) -> list[str]:
        v = openfda.get(key) or []
        if not isinstance(v, list):
            raise _fail(origin, f"openfda.{key} must be a list (openFDA drug/label schema)")
        return [str(x) for x in v]

    names = values("brand_name") or values("generic_name")
    if not names:
        return ()
    substances = values("substance_name") or values("generic_name")
    forms = values("dosage_form")
    return (
        LabelProduct(
            name=names[0],
            ingredients=tuple((s, "") for s in dict.fromkeys(substances)),
            routes=tuple(dict.fromkeys(values("route"))),
            dosage_form=forms[0] if forms else None,
            ndc=tuple(dict.fromkeys(values("product_ndc"))),
            rxcui=tuple(dict.fromkeys(values("rxcui"))),
            unii=tuple(dict.fromkeys(values("unii"))),
            substance_names=tuple(dict.fromkeys(values("substance_name"))),
        ),
    )


def openfda_identifiers(result: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The identifiers of the ``openfda`` block (rxcui, unii, spl_id, product_ndc, ...), which a
    :class:`Label` does not hold, for resolvers that map names to codes."""
    block = result.get("openfda") or {}
    return {k: tuple(str(x) for x in v) for k, v in block.items() if isinstance(v, list)}


def parse_openfda_label(result: dict[str, Any], origin: str | None = None) -> Label:
    """One openFDA ``drug/label`` result as a :class:`Label` (``source="openfda"``).

    Raises :class:`~rxcompare.errors.LabelError` when the result is not an object, lacks
    ``set_id``/``version``/``effective_time``, has a section field that is not a list of
    strings, or has tables that expand past the cell limit.
    """
    try:
        with table_budget():
            return _parse_result(result, origin)
    except TableSizeError as exc:
        raise LabelError(f"{origin or 'openFDA label'}: {exc}") from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        # a field of another shape than openFDA's schema gives it, met deeper than the checks above
        raise LabelError(
            f"{origin or 'openFDA label'}: a drug/label result of another shape than openFDA's "
            f"({type(exc).__name__}: {str(exc)[:120]}); download the reply again"
        ) from None


def _parse_result(result: dict[str, Any], origin: str | None) -> Label:
    if not isinstance(result, dict):
        raise LabelError(
            f"{origin or 'openFDA label'}: a drug/label result is a JSON object, got {type(result).__name__}"
        )
    origin = origin or f"openFDA label {result.get('set_id') or result.get('id') or '(no set_id)'}"
    set_id = _scalar(result, "set_id", origin)
    version = _scalar(result, "version", origin)
    effective = _iso(_scalar(result, "effective_time", origin), origin)
    openfda = result.get("openfda") or {}
    if not isinstance(openfda, dict):
        raise _fail(origin, "the 'openfda' block must be an object")
    products = _products(openfda, origin)
    product_types = openfda.get("product_type") or []
    if not isinstance(product_types, list):
        raise _fail(origin, "'openfda.product_type' must be a list of strings")
    doc_type = OPENFDA_PRODUCT_TYPES.get(str(product_types[0]).upper(), "") if product_types else ""

    by_field: dict[str, list[Section]] = {}
    tables: dict[str, list[LabelTable]] = {}
    every_string = [
        x
        for key, v in result.items()
        if key not in _METADATA and not key.endswith("_table") and isinstance(v, list)
        for x in v
        if isinstance(x, str)
    ]
    names = [p.name for p in products] + [n for p in products for n, _ in p.ingredients]
    cues = FlatCues(every_string, names)
    for key, value in result.items():
        if key in _METADATA or key.startswith("@"):
            continue
        known = BY_OPENFDA_FIELD.get(key)
        if key.endswith("_table"):
            tables[key[: -len("_table")]] = [
                _table(t, key, origin) for t in _strings(result, key, origin)
            ]
            continue
        if known is None and not (
            isinstance(value, list) and all(isinstance(x, str) for x in value)
        ):
            continue  # not a section field of the schema this parser knows
        name = known.name if known else key.replace("_", " ")
        code = known.code if known else None
        by_field[key] = [
            lines_section(text, code)
            if "\n" in text.strip()
            else flat_section(text, code, name, cues)
            for text in _strings(result, key, origin)
            if text.strip()
        ]
    unread: list[tuple[str, str]] = []
    for key, group in by_field.items():
        if key not in tables and BY_OPENFDA_FIELD.get(key) is not None:
            if BY_OPENFDA_FIELD[key].code == ADVERSE_REACTIONS:
                by_field[key] = [with_flat_tables(s, tuple(names), unread) for s in group]
    sections = [s for key, group in by_field.items() for s in _attach(group, tables.get(key, []))]
    sections = _merge_coded(sections)
    title = ", ".join(dict.fromkeys(p.name for p in products))
    return Label(
        set_id=set_id,
        version=version,
        effective_date=effective,
        title=title,
        document_type=doc_type,
        products=products,
        sections=tuple(sections),
        source="openfda",
        highlights=False,
        unread_tables=tuple(dict.fromkeys(unread)),
    )


def parse_openfda_label_response(doc: dict[str, Any], origin: str = "openFDA reply") -> list[Label]:
    """All labels of an openFDA ``drug/label.json`` reply (``{"meta": ..., "results": [...]}``).

    A "no matches" reply (``{"error": {"code": "NOT_FOUND"}}``) gives an empty list; any other
    error reply, or a reply without ``results``, raises :class:`~rxcompare.errors.LabelError`.
    """
    if not isinstance(doc, dict):
        raise LabelError(f"{origin}: an openFDA reply is a JSON object, got {type(doc).__name__}")
    error = doc.get("error")
    if isinstance(error, dict):
        if error.get("code") == "NOT_FOUND":
            return []
        raise LabelError(
            f"{origin}: openFDA answered with error {error.get('code')!r}: {error.get('message')!r}"
        )
    results = doc.get("results")
    if not isinstance(results, list):
        raise LabelError(
            f"{origin}: no 'results' list; this is not an openFDA drug/label.json reply"
        )
    return [parse_openfda_label(r, f"{origin} result #{i}") for i, r in enumerate(results, 1)]


def parse_label(
    path_or_bytes: str | os.PathLike[str] | bytes, origin: str | None = None
) -> list[Label]:
    """The labels of a label file, SPL XML or openFDA JSON, told apart by content.

    JSON (the first character after white space is ``{`` or ``[``) is an openFDA
    ``drug/label.json`` reply (``{"meta": ..., "results": [...]}``: every result), one result
    (an object with ``set_id``) or a list of results; anything else is read as SPL XML
    (:func:`~rxcompare.sources.labels.spl.parse_spl`, one label). The file is read bounded
    (:func:`~rxcompare.sources.labels.spl.read_label_bytes`). Raises
    :class:`~rxcompare.errors.LabelError` naming the file and what is wrong.
    """
    data, origin = read_label_bytes(path_or_bytes, origin)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        return [parse_spl(data, origin)]
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise LabelError(
            f"{origin}: JSON that is not UTF-8 (byte {exc.start}); openFDA replies are UTF-8 - "
            "download the reply again"
        ) from None
    except json.JSONDecodeError as exc:
        raise LabelError(
            f"{origin}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); the "
            "file is damaged or truncated - download the reply again"
        ) from None
    except (
        ValueError,
        RecursionError,
    ) as exc:  # a number past 4,300 digits, nesting past the stack
        raise LabelError(
            f"{origin}: JSON that cannot be read ({str(exc)[:120] or 'nested too deeply'}); openFDA replies "
            "hold neither - download the reply again"
        ) from None
    if isinstance(doc, dict) and ("results" in doc or "error" in doc):
        labels = parse_openfda_label_response(doc, origin)
        if not labels:
            raise LabelError(f"{origin}: the openFDA reply holds no label (no matches)")
        return labels
    if isinstance(doc, dict) and "set_id" in doc:
        return [parse_openfda_label(doc, origin)]
    if isinstance(doc, list) and doc:
        return [parse_openfda_label(r, f"{origin} result #{i}") for i, r in enumerate(doc, 1)]
    raise LabelError(
        f"{origin}: JSON, but not an openFDA drug/label reply: expected an object with "
        "'results' (a drug/label.json reply), one result (an object with 'set_id') or a list "
        "of results"
    )


__all__ = [
    "openfda_identifiers",
    "parse_label",
    "parse_openfda_label",
    "parse_openfda_label_response",
]
