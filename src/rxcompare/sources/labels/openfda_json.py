"""Parse openFDA ``drug/label.json`` results into :class:`~rxcompare.models.Label` records.

One result is one label version: ``set_id``, ``id``, ``version``, ``effective_time``, an ``openfda``
block (brand and generic names, route, RxCUI, UNII, NDCs, product type) and one field per section
code, named after the section (``boxed_warning``, ``indications_and_usage``,
``warnings_and_cautions``, ``adverse_reactions``, ...; see :mod:`rxcompare.sources.labels.loinc`). Each
section field is a list of strings and each ``*_table`` field a list of HTML tables.

openFDA builds each string from the text of one coded SPL section with whitespace collapsed: the
title, the Highlights excerpt, the text and the subsections' titles and text run together ("5
WARNINGS AND PRECAUTIONS 5.1 Serious Infections Patients treated with ..."). Coded subsections
("12.1 Mechanism of Action") also get their own field; unclassified ones do not. This parser
splits numbered subsections back out where the text allows: at "5.1", "5.2", ... in increasing
order, outside brackets, followed by a capital letter. The title of such a subsection is inferred
from capitalisation (the words up to the first sentence); its number and text boundaries are
exact. Text with line breaks (an older openFDA layout) is split at heading lines instead.

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
from rxcompare.sources.labels.flat_headings import (
    bound_title,
    boxed_heading,
    drop_excerpts,
    reference_titles,
)
from rxcompare.sources.labels.flat_tables import flat_tables
from rxcompare.sources.labels.loinc import (
    ADVERSE_REACTIONS,
    BOXED_WARNING,
    BY_OPENFDA_FIELD,
    OPENFDA_PRODUCT_TYPES,
)
from rxcompare.sources.labels.spl import (
    HEADING_SMALL_WORDS,
    TableSizeError,
    is_heading_line,
    normalise_space,
    parse_spl,
    parse_table,
    read_label_bytes,
    split_number,
    table_budget,
)

_METADATA = {"set_id", "id", "version", "effective_time", "openfda"}
_HIGHLIGHTS_BOX = re.compile(
    r"see full prescribing information for complete boxed warning", re.IGNORECASE
)


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


# --- titles and subsections in flattened text --------------------------------------------------

_LEAD_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\s+(?=\S)")


def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return (len(letters) >= 2 and all(c.isupper() for c in letters)) or word in ("&", "/")


def _caps_title(words: list[str]) -> int:
    """How many leading words form an all-capitals heading ("INDICATIONS AND USAGE KESIMPTA is"
    -> 3: a capitalised word followed by a lower-case one starts the body)."""
    i = 0
    while i < len(words) and _is_caps(words[i]):
        i += 1
    if 0 < i < len(words) and not words[i][:1].isupper():
        i -= 1
    return i


def _title_case_title(words: list[str]) -> int:
    """How many leading words form a Title Case heading ("Serious Infections Patients treated
    with ..." -> 2; "Hepatitis B Virus Reactivation Use of TNF blockers ..." -> 4)."""
    run = 0
    for i, w in enumerate(words[:20]):
        core = w.strip("()[],:;")
        if not core:
            break
        small = core.lower() in HEADING_SMALL_WORDS
        if i > 0 and small and core[0].isupper():  # "In", "The", "A": a sentence starts here
            return run
        if core[0].isupper() or core[0].isdigit() or small:
            run += 1
            continue
        break
    else:
        return run
    if run == len(words):
        return run
    # The run ran into the body's first lower-case word: the body started at its last
    # capitalised word, or earlier when that word is an all-capitals name preceded by a
    # capitalised word and small words ("Treatment with HUMIRA may" starts at "Treatment").
    j = run
    caps_tail = j
    while caps_tail > 0 and _is_caps(words[caps_tail - 1]):
        caps_tail -= 1
    small_tail = caps_tail
    while small_tail > 0 and words[small_tail - 1].strip("(),").lower() in HEADING_SMALL_WORDS:
        small_tail -= 1
    if small_tail < caps_tail and small_tail > 1:
        return small_tail - 1
    if caps_tail < j and caps_tail > 0:
        return caps_tail
    return max(j - 1, 0)


def _name_title(words: list[str], name: str) -> int:
    """How many leading words spell the section's LOINC name (case-insensitive, & = and)."""
    want = name.lower().replace("&", "and").split()
    got = [w.lower().replace("&", "and").strip(":") for w in words[: len(want)]]
    return len(want) if got == want else 0


def _heading(text: str, name: str, boxed: bool) -> tuple[str | None, str, str]:
    """(number, title, body) of a flattened section string."""
    m = _LEAD_NUMBER.match(text)
    number = m.group(1) if m else None
    rest = text[m.end() :] if m else text
    words = rest.split()
    n = _name_title(words, name)
    if not n and number is not None and not boxed:
        n = _caps_title(words) or (_title_case_title(words) if "." in number else 0)
    if not n:
        return number, "", rest
    return number, " ".join(words[:n]), " ".join(words[n:])


def _outside_brackets(text: str, pos: int) -> bool:
    """Whether ``pos`` is outside (...) and [...], judged over the 300 characters before it (a
    bracket a label never closed must not swallow the rest of the section)."""
    before = text[max(0, pos - 300) : pos]
    depth = {"(": 0, "[": 0}
    for c in before:
        if c in "([":
            depth[c] += 1
        elif c == ")":
            depth["("] = max(0, depth["("] - 1)
        elif c == "]":
            depth["["] = max(0, depth["["] - 1)
    return depth["("] == 0 and depth["["] == 0


_NUMERIC = re.compile(r"^[<>\u2264\u2265]?\d+(?:[.,]\d+)?%?$")  # a cell value, not "(5.1)"


def _candidates(body: str, number: str) -> list[tuple[int, int, int, bool]]:
    """(subsection, start, end, strong) of each "5.k Title" in the body that can be a heading:
    outside brackets. A candidate right after a number (a table's cells, flattened: "5.2 6.3
    Pain ...", or a heading after a table: "4% 12% 18% 5.6 Seizures") is weak: taken only when no
    strong one has that number, as is "5. 1" with a space."""
    pattern = re.compile(rf"(?:^|(?<=\s)){re.escape(number)}\.(\s?)(\d{{1,2}})\s+(?=[A-Z])")
    found = []
    for m in pattern.finditer(body):
        before = body[max(0, m.start() - 40) : m.start()].split()
        # "5. 1 Neonatal Toxicity": a label's typo, taken when no "5.1" stands in the text
        strong = not (before and _NUMERIC.match(before[-1])) and not m.group(1)
        if _outside_brackets(body, m.start()):
            found.append((int(m.group(2)), m.start(), m.end(), strong))
    return found


class _Cues:
    """What bounds flattened titles: the label's own phrases for its subsections (Highlights
    bullets, "[see Warnings and Precautions (5.1)]" lists) and the product's names."""

    def __init__(self, texts: list[str], names: list[str]):
        self.texts = texts
        self.names = names
        self._phrases: dict[str, dict[str, list[list[str]]]] = {}

    def phrases(self, number: str, sub_number: str) -> list[list[str]]:
        if number not in self._phrases:
            self._phrases[number] = reference_titles(self.texts, number)
        return self._phrases[number].get(sub_number, [])


_NO_CUES = _Cues([], [])


def _split_flat(
    body: str, number: str, cues: _Cues = _NO_CUES
) -> tuple[str, list[tuple[str, str, str]]]:
    """Own text and (number, title, text) of the numbered subsections of a flattened body.

    Subsections follow each other in order: after "5.k" the next is the first "5.(k+1)" further
    on, or "5.(k+2)" when the label skips a number, so a stray "5.7" in the text is passed over.
    Titles are bounded by :func:`~rxcompare.sources.labels.flat_headings.bound_title`; a title it
    cannot bound is left empty and its words stay in the text."""
    candidates = _candidates(body, number)
    cuts: list[tuple[int, int, str]] = []
    last, pos = 0, -1
    while True:
        step = next(
            (
                c
                for gap in (1, 2, 3)
                for strong in (True, False)
                for c in candidates
                if c[0] == last + gap and c[1] > pos and c[3] == strong
            ),
            None,
        )
        if step is None:
            break
        k, start, end, _ = step
        cuts.append((start, end, f"{number}.{k}"))
        last, pos = k, start
    if not cuts:
        return body, []
    subs = []
    for i, (_, end, sub_number) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(body)
        words = body[end:stop].split()
        n = bound_title(words, cues.phrases(number, sub_number), cues.names) or 0
        subs.append((sub_number, " ".join(words[:n]), " ".join(words[n:])))
    return body[: cuts[0][0]].strip(), subs


def _inferred_number(body: str) -> str | None:
    """The section number of a flattened section that does not print its own ("5 WARNINGS AND
    PRECAUTIONS" missing or after the Highlights): the N whose subsections N.1, N.2, ... stand
    in the text as headings, the longest such run winning (at least N.1 and N.2)."""
    best, best_len = None, 1
    for n in dict.fromkeys(re.findall(r"(?:^|(?<=\s))(\d{1,2})\.1\s+(?=[A-Z])", body)):
        _, subs = _split_flat(body, n)
        if len(subs) > best_len and subs[0][0] == f"{n}.1":
            best, best_len = n, len(subs)
    return best


def _flat_section(text: str, code: str | None, name: str, cues: _Cues = _NO_CUES) -> Section:
    text = normalise_space(text)
    boxed = code == BOXED_WARNING
    if boxed:
        # openFDA's "BOXED WARNING:" label, a heading printed twice and Highlights excerpts
        # dropped; the heading stays in front of the text, as openFDA prints it
        title, body = boxed_heading(drop_excerpts(text))
        if title:
            return Section(code=code, number=None, title="", text=f"{title} {_drop_box_copy(body)}")
    if boxed:  # drop the Highlights copy that openFDA appends to the boxed warning
        m = _HIGHLIGHTS_BOX.search(text)
        if m:
            start = m.start()
            words_before = text[:start].split()
            k = len(words_before)
            while k > 0 and _is_caps(words_before[k - 1]):
                k -= 1
            text = " ".join(words_before[:k])
    number, title, body = _heading(text, name, boxed)
    split_at = number
    if number is None and not boxed:
        split_at = _inferred_number(body)
    subsections: tuple[Section, ...] = ()
    if split_at is not None:
        own, subs = _split_flat(body, split_at, cues)
        if subs:
            body = own
            subsections = tuple(_child(n, t, b, cues) for n, t, b in subs)
    return Section(code=code, number=number, title=title, text=body, subsections=subsections)


def _drop_box_copy(text: str) -> str:
    """The boxed warning without the Highlights copy openFDA appends to it (its capitals
    heading, then "See full prescribing information for complete boxed warning")."""
    m = _HIGHLIGHTS_BOX.search(text)
    if not m:
        return text
    words_before = text[: m.start()].split()
    k = len(words_before)
    while k > 0 and _is_caps(words_before[k - 1]):
        k -= 1
    return " ".join(words_before[:k])


def _child(number: str, title: str, body: str, cues: _Cues = _NO_CUES) -> Section:
    own, subs = _split_flat(body, number, cues)
    if not subs:
        return Section(code=None, number=number, title=title, text=body)
    return Section(
        code=None,
        number=number,
        title=title,
        text=own,
        subsections=tuple(_child(n, t, b, cues) for n, t, b in subs),
    )


def _lines_section(text: str, code: str | None) -> Section:
    """A section string with line breaks: a heading line, then lines, with "5.1 Title" lines
    starting subsections."""
    lines = [normalise_space(x) for x in text.split("\n")]
    lines = [x for x in lines if x]
    if code == BOXED_WARNING and lines:  # openFDA's label in front of the box's own heading
        lines[0] = re.sub(r"^BOXED WARNING\s*:\s*", "", lines[0], flags=re.IGNORECASE)
    number, title = None, ""
    if (
        lines
        and (is_heading_line(lines[0]) or _LEAD_NUMBER.match(lines[0]))
        and len(lines[0].split()) <= 15
    ):
        number, title = split_number(lines.pop(0), True)
    return _nest(code, number, title, lines)


def _nest(code: str | None, number: str | None, title: str, lines: list[str]) -> Section:
    subs: list[tuple[str, str, list[str]]] = []
    own: list[str] = []
    if number is not None:
        head = re.compile(rf"^({re.escape(number)}\.\d{{1,2}})\s+(\S.*)$")
        for line in lines:
            m = head.match(line)
            if m and len(line.split()) <= 15 and not line.endswith("."):
                subs.append((m.group(1), m.group(2), []))
            elif subs:
                subs[-1][2].append(line)
            else:
                own.append(line)
    else:
        own = lines
    return Section(
        code=code,
        number=number,
        title=title,
        text="\n".join(own),
        subsections=tuple(_nest(None, n, t, body) for n, t, body in subs),
    )


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


def _with_flat_tables(s: Section) -> Section:
    """A flattened adverse-reactions section with the tables its text holds that can be read
    unambiguously (:func:`~rxcompare.sources.labels.flat_tables.flat_tables`), each on the
    (sub)section whose own text holds it; the text is kept as it is."""
    if "\n" in s.text:
        return s
    return Section(
        s.code,
        s.number,
        s.title,
        s.text,
        s.tables + tuple(flat_tables(s.text)),
        tuple(_with_flat_tables(c) for c in s.subsections),
    )


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
    cues = _Cues(every_string, names)
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
            _lines_section(text, code)
            if "\n" in text.strip()
            else _flat_section(text, code, name, cues)
            for text in _strings(result, key, origin)
            if text.strip()
        ]
    for key, group in by_field.items():
        if key not in tables and BY_OPENFDA_FIELD.get(key) is not None:
            if BY_OPENFDA_FIELD[key].code == ADVERSE_REACTIONS:
                by_field[key] = [_with_flat_tables(s) for s in group]
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
