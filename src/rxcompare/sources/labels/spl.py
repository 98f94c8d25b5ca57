"""Parse FDA Structured Product Labeling (SPL) XML into a :class:`~rxcompare.models.Label`.

SPL is HL7 v3 XML in the namespace ``urn:hl7-org:v3``. The document carries its type (a LOINC
code: 34391-3 prescription label, 34390-5 OTC label, ...), ``setId`` (stable across versions),
``versionNumber`` and ``effectiveTime``. Products are ``subject/manufacturedProduct`` elements of
the product-data section; sections are nested ``<section>`` elements with a LOINC ``<code>`` and a
``<title>`` whose leading number ("5.1 Infections") is the subsection number. Text is made of
``<paragraph>``, ``<list>``/``<item>``, ``<content>``, ``<br/>``, ``<footnote>`` and ``<table>``
(``<caption>``, ``<thead>``, ``<tbody>``, ``<tfoot>``).

Text and tables are read by :mod:`rxcompare.sources.labels.markup`, sentences and titles by
:mod:`rxcompare.sources.labels.text`.

Hostile or mistaken input is bounded: a label file is read up to a size limit
(:data:`rxcompare.settings.LABEL_MAX_MB`, never as an unbounded stream), and the tables of one
document may expand (``rowspan``/``colspan``, padding to the widest row) to at most
:data:`rxcompare.settings.LABEL_MAX_CELLS` cells; past either the parse stops with a clear error.
A file that is not XML is named for what it is (HTML, zip, JSON, PDF, empty, binary).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from lxml import etree

from rxcompare import settings
from rxcompare.errors import LabelError
from rxcompare.models import Label, LabelProduct, LabelTable, Section
from rxcompare.sources.labels.loinc import DOCUMENT_TYPES, PRODUCT_DATA, section_name
from rxcompare.sources.labels.markup import (
    TableSizeError,
    inline_text,
    max_label_bytes,
    table_budget,
    text_lines,
)
from rxcompare.sources.labels.text import normalise_space, split_number

NS = "urn:hl7-org:v3"
_V = f"{{{NS}}}"
NDC_SYSTEM = "2.16.840.1.113883.6.69"
ACTIVE_CLASSES = {
    "ACTIB",
    "ACTIM",
    "ACTIR",
}  # active ingredient: basis of strength, moiety, reference

# --- documents -------------------------------------------------------------------------------


def _too_large(name: str, limit: int, stream: bool) -> LabelError:
    size = f"{limit / 1_000_000:g} MB"
    return LabelError(
        f"{name} {'gives more than' if stream else 'is larger than'} {size}, the most rxcompare "
        f"reads as a label (real labels are a few MB); give the label's own file, or raise "
        f"{settings.LABEL_MAX_MB.env} (in MB) to read a larger one"
    )


def read_label_bytes(
    path_or_bytes: str | os.PathLike[str] | bytes, origin: str | None = None
) -> tuple[bytes, str]:
    """The bytes of a label file (or the bytes given) and the name to use in messages.

    Reads at most :func:`max_label_bytes` (+1 to tell a larger file): a regular file larger than
    that is refused before reading, a stream (``/dev/zero``, a pipe) when it gives more.
    """
    limit = max_label_bytes()
    if isinstance(path_or_bytes, (bytes, bytearray)):
        name = origin or "label document"
        if len(path_or_bytes) > limit:
            raise _too_large(name, limit, False)
        return bytes(path_or_bytes), name
    path = Path(path_or_bytes)
    name = origin or str(path)
    try:
        with path.open("rb") as fh:
            regular = stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
            if regular and os.fstat(fh.fileno()).st_size > limit:
                raise _too_large(name, limit, False)
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise _too_large(name, limit, not regular)
        return data, name
    except FileNotFoundError:
        raise LabelError(f"label file {name} does not exist; check the path") from None
    except IsADirectoryError:
        raise LabelError(
            f"label file {name} is a folder; give the path of an SPL XML file"
        ) from None
    except OSError as exc:
        raise LabelError(f"label file {name} cannot be read ({exc.strerror or exc})") from None


_GET_XML = "download the label's XML (DailyMed: the SPL zip holds it; openFDA: drug/label.json)"


def what_file(data: bytes) -> str | None:
    """What a file that is not XML is, from its first bytes ("a zip archive", "an HTML page",
    ...), or None when it may be XML (damaged or truncated)."""
    head = data[:8192]
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return "empty" if not data else "empty (only white space)"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "a zip archive; unzip it and give the label's .xml file"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed; decompress it first"
    if head.startswith(b"%PDF"):
        return f"a PDF document; {_GET_XML}"
    if text[:1] in (b"{", b"["):
        return "JSON, not XML; an openFDA drug/label.json reply is read by `rxcompare label parse`"
    lower = text[:2048].lower()
    if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower or b"<body" in lower:
        return (
            f"an HTML page (a web page, perhaps an error or sign-in page), not a label; {_GET_XML}"
        )
    if b"\x00" in head:
        return f"binary data, not text; {_GET_XML}"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4 and not text.startswith(b"<"):  # not a cut multi-byte char
            return f"binary data, not text; {_GET_XML}"
    if not text.startswith(b"<"):
        return f"text, but not XML; {_GET_XML}"
    return None


def _parse_xml(data: bytes, origin: str) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        kind = what_file(data)
        if kind is not None:
            raise LabelError(f"{origin}: not an SPL XML label: the file is {kind}") from None
        where = f" at line {exc.lineno}" if exc.lineno else ""
        raise LabelError(
            f"{origin}: not well-formed XML{where} ({exc.msg}); the file is damaged or "
            "truncated - download the label again"
        ) from None
    if root is None:
        raise LabelError(f"{origin}: the file is empty; download the label again")
    if root.tag != f"{_V}document":
        qname = etree.QName(root)
        html = " (an HTML page)" if qname.localname.lower() == "html" else ""
        raise LabelError(
            f"{origin}: not an SPL document{html}: the root element is <{qname.localname}> in "
            f"namespace {qname.namespace or '(none)'!r}; an FDA label is a <document> in {NS!r}"
        )
    return root


def _iso_date(value: str | None) -> str:
    """YYYYMMDD[hhmmss] -> YYYY-MM-DD (keeps the precision the source has: YYYY-MM, YYYY)."""
    digits = re.match(r"\d{4,8}", value or "")
    if not digits:
        return ""
    d = digits.group(0)
    return "-".join(x for x in (d[0:4], d[4:6], d[6:8]) if x)


def _required(root: etree._Element, path: str, attr: str, origin: str, what: str) -> str:
    el = root.find(path)
    value = el.get(attr) if el is not None else None
    if not value:
        raise LabelError(
            f"{origin}: the SPL document has no {what} ({path.replace(_V, '')} @{attr})"
        )
    return value


def _strength(quantity: etree._Element | None) -> str:
    """ "40 mg/0.8 mL" from numerator 40 mg and denominator 0.8 mL; "10 mg" per 1 unit."""
    if quantity is None:
        return ""
    num = quantity.find(f"{_V}numerator")
    den = quantity.find(f"{_V}denominator")
    if num is None or not num.get("value"):
        return ""
    text = f"{num.get('value')} {num.get('unit') or ''}".strip()
    if den is not None and den.get("value"):
        dv, du = den.get("value"), den.get("unit")
        if not (dv == "1" and du in (None, "", "1")):
            text += "/" + (f"{dv} {du}" if du and du != "1" else dv)
    return text


def _routes(el: etree._Element) -> list[str]:
    return [
        normalise_space(r.get("displayName") or r.get("code") or "")
        for r in el.iterfind(f"{_V}consumedIn/{_V}substanceAdministration/{_V}routeCode")
    ]


def _name(el: etree._Element | None) -> str:
    """A product name; its ``<suffix>`` ("TRIAMINIC" + "Childrens ...") is set off by a space."""
    if el is None:
        return ""
    parts = [el.text or ""] + [" ".join((inline_text(c), c.tail or "")) for c in el]
    return normalise_space(" ".join(parts))


def _product(outer: etree._Element, inner: etree._Element) -> LabelProduct:
    ingredients: list[tuple[str, str]] = []
    routes = _routes(outer) + _routes(inner)
    for part in [inner, *inner.iterfind(f"{_V}part")]:
        holder = part if part is inner else part.find(f"{_V}partProduct")
        if holder is None:
            continue
        active = False
        for ing in holder.iterfind(f"{_V}ingredient"):
            if ing.get("classCode") not in ACTIVE_CLASSES:
                continue
            active = True
            moiety = ing.findtext(
                f"{_V}ingredientSubstance/{_V}activeMoiety/{_V}activeMoiety/{_V}name"
            )
            name = ing.findtext(f"{_V}ingredientSubstance/{_V}name") or ""
            if ing.get("classCode") == "ACTIM" and moiety:  # strength is of the moiety
                name = moiety
            pair = (normalise_space(name), _strength(ing.find(f"{_V}quantity")))
            if pair[0] and pair not in ingredients:
                ingredients.append(pair)
        if part is not inner and active:  # a kit's part: its route, unless it is an accessory
            routes += _routes(part)
    form = inner.find(f"{_V}formCode")
    ndc = [
        c.get("code")
        for c in inner.iterfind(f"{_V}code")
        if c.get("codeSystem") == NDC_SYSTEM and c.get("code")
    ]
    return LabelProduct(
        name=_name(inner.find(f"{_V}name")),
        ingredients=tuple(ingredients),
        routes=tuple(dict.fromkeys(r for r in routes if r)),
        dosage_form=(form.get("displayName") or None) if form is not None else None,
        ndc=tuple(ndc),
    )


def _products(body: etree._Element) -> tuple[LabelProduct, ...]:
    products = []
    for subject in body.iter(f"{_V}subject"):
        for outer in subject.iterfind(f"{_V}manufacturedProduct"):
            inner = outer.find(f"{_V}manufacturedProduct")
            if inner is None:
                inner = outer.find(f"{_V}manufacturedMedicine")  # SPL release 2 and older
            if inner is not None:
                products.append(_product(outer, inner))
    return tuple(products)


def _section(el: etree._Element, top_level: bool) -> Section:
    code_el = el.find(f"{_V}code")
    code = code_el.get("code") if code_el is not None else None
    number, title = split_number(inline_text(el.find(f"{_V}title")), top_level)
    footnotes: list[str] = []
    tables: list[LabelTable] = []
    text_el = el.find(f"{_V}text")
    lines = text_lines(text_el, footnotes, tables) if text_el is not None else []
    subsections = tuple(_section(s, False) for s in el.iterfind(f"{_V}component/{_V}section"))
    return Section(
        code=code or None,
        number=number,
        title=title,
        text="\n".join(lines + footnotes),
        tables=tuple(tables),
        subsections=subsections,
    )


def parse_spl(path_or_bytes: str | os.PathLike[str] | bytes, origin: str | None = None) -> Label:
    """Parse an SPL XML label (a file path or the bytes) into a :class:`Label`.

    ``origin`` names the document in error messages (default: the path). Raises
    :class:`~rxcompare.errors.LabelError` for a missing or unreadable file, XML that is not
    well-formed (damaged or truncated; a file that is not XML at all is named for what it is),
    XML that is not SPL, SPL documents that are not drug labels (such as indexing documents), and
    files or tables past the size limits; the message names the file and what is wrong.
    """
    data, origin = read_label_bytes(path_or_bytes, origin)
    try:
        with table_budget():
            return _parse_document(_parse_xml(data, origin), origin)
    except TableSizeError as exc:
        raise LabelError(f"{origin}: {exc}") from None


def _parse_document(root: etree._Element, origin: str) -> Label:
    code_el = root.find(f"{_V}code")
    doc_type = code_el.get("code") if code_el is not None else None
    if doc_type not in DOCUMENT_TYPES:
        shown = code_el.get("displayName") if code_el is not None else None
        raise LabelError(
            f"{origin}: an SPL document of type {doc_type or '(none)'}"
            f"{f' ({shown!r})' if shown else ''}, not a drug label; rxcompare reads prescribing "
            "information and OTC labels (document types " + ", ".join(sorted(DOCUMENT_TYPES)) + ")"
        )
    set_id = _required(root, f"{_V}setId", "root", origin, "set id")
    version = _required(root, f"{_V}versionNumber", "value", origin, "version number")
    effective = _iso_date(_required(root, f"{_V}effectiveTime", "value", origin, "effective time"))
    body = root.find(f"{_V}component/{_V}structuredBody")
    if body is None:
        raise LabelError(f"{origin}: the SPL document has no structuredBody (no label text)")
    products = _products(body)
    title = inline_text(root.find(f"{_V}title"))
    if not title:  # some labels have an empty <title/>: name them by their products
        title = ", ".join(dict.fromkeys(p.name for p in products if p.name))
    sections = tuple(_section(s, True) for s in body.iterfind(f"{_V}component/{_V}section"))
    return Label(
        set_id=set_id,
        version=version,
        effective_date=effective,
        title=title,
        document_type=doc_type,
        products=products,
        sections=sections,
        source="spl",
        highlights=next(root.iter(f"{_V}highlight"), None) is not None,
    )


# --- a readable outline ----------------------------------------------------------------------

# C0 controls but the line break, DEL, C1 controls, bidirectional embeddings, overrides, isolates
# and marks, line and paragraph separators: shown as \\uXXXX, never sent to a terminal raw.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """The text with control and bidi-override characters escaped (``\\u202e``), so that a label
    cannot move the cursor, recolour the terminal or reverse the text around it."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _outline_section(s: Section, depth: int, out: list[str]) -> None:
    if s.code == PRODUCT_DATA and not s.text and not s.subsections:
        return
    name = (
        " ".join(x for x in (s.number, s.title) if x) or f"({section_name(s.code) or 'untitled'})"
    )
    paragraphs = len(s.text.splitlines()) if s.text else 0
    out.append(f"{'  ' * depth}{name} [{s.code or 'no code'}] {paragraphs} paragraph(s)")
    for t in s.tables:
        width = max((len(r) for r in t.header + t.rows), default=0)
        caption = f"{t.caption[:70]!r}" if t.caption else "(no caption)"
        out.append(
            f"{'  ' * (depth + 1)}table {caption}: {len(t.header)} header row(s), "
            f"{len(t.rows)} row(s) x {width} column(s), {len(t.footnotes)} footnote(s)"
        )
    for sub in s.subsections:
        _outline_section(sub, depth + 1, out)


def outline(label: Label) -> str:
    """A plain-text outline of a label: identity, products, sections with numbers, codes and
    table shapes (what ``rxcompare label parse`` prints)."""
    kind = DOCUMENT_TYPES.get(label.document_type, label.document_type or "unknown type")
    out = [
        label.title,
        f"set id {label.set_id}, version {label.version}, effective {label.effective_date}",
        (
            f"{kind} ({label.document_type}), source {label.source}, "
            f"highlights {'yes' if label.highlights else 'no'}"
        ),
        f"products ({len(label.products)}):",
    ]
    for p in label.products:
        ingredients = "; ".join(" ".join(x for x in pair if x) for pair in p.ingredients)
        out.append(
            f"  {p.name} - {p.dosage_form or 'form not stated'}; {ingredients or 'no active ingredient'}; "
            f"route {', '.join(p.routes) or 'not stated'}; NDC {', '.join(p.ndc) or 'none'}"
        )
    out.append("sections:")
    for s in label.sections:
        _outline_section(s, 1, out)
    return terminal_safe("\n".join(out))


__all__ = [
    "outline",
    "parse_spl",
    "read_label_bytes",
    "terminal_safe",
    "what_file",
]
