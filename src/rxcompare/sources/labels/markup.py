"""Text and tables of SPL markup (and of openFDA's HTML tables).

The text helpers read element local names only, so they also read the HTML tables of openFDA
(:mod:`rxcompare.sources.labels.openfda_json`): block elements and ``<br/>`` become line breaks,
footnotes are collected, and ``<table>`` elements become :class:`~rxcompare.models.LabelTable`
records. The tables of one document may expand (``rowspan``/``colspan``, padding to the widest
row) to at most :data:`rxcompare.settings.LABEL_MAX_CELLS` cells (:func:`table_budget`); past that
the parse stops with :class:`TableSizeError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from lxml import etree

from rxcompare import settings
from rxcompare.errors import ConfigError, LabelError
from rxcompare.models import LabelTable
from rxcompare.sources.labels.text import _SPACE, normalise_space

_BLOCK = {
    "paragraph", "list", "item", "caption", "p", "div", "ul", "ol", "li", "dl", "dt", "dd",
    "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "text",
}  # fmt: skip
_SKIP = {"renderMultiMedia", "footnoteRef", "observationMedia", "img", "script", "style"}


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _render(el: etree._Element, out: list[str], footnotes: list[str], tables: list | None) -> None:
    """Append the text of ``el`` to ``out``: block elements and ``<br/>`` become line breaks,
    footnotes go to ``footnotes``, tables to ``tables`` (or are skipped when it is None)."""
    name = _local(el)
    if not name or name in _SKIP:
        return
    if name == "table":
        if tables is not None:
            tables.append(parse_table(el))
        out.append("\n")
        return
    if name == "footnote":
        footnotes.append(inline_text(el, footnotes))
        return
    if name == "br":
        out.append("\n")
        return
    block = name in _BLOCK
    if block:
        out.append("\n")
    _render_content(el, out, footnotes, tables)
    if block:
        out.append("\n")


def _render_content(
    el: etree._Element, out: list[str], footnotes: list[str], tables: list | None
) -> None:
    # Line breaks in the XML source are layout, not text: only block elements and <br/> break.
    if el.text:
        out.append(_SPACE.sub(" ", el.text))
    for child in el:
        _render(child, out, footnotes, tables)
        if child.tail:
            out.append(_SPACE.sub(" ", child.tail))


def text_lines(el: etree._Element, footnotes: list[str], tables: list | None) -> list[str]:
    """The lines (paragraphs, list items, line breaks) of an element, whitespace normalised."""
    out: list[str] = []
    _render_content(el, out, footnotes, tables)
    lines = (normalise_space(line) for line in "".join(out).split("\n"))
    return [line for line in lines if line]


def inline_text(el: etree._Element | None, footnotes: list[str] | None = None) -> str:
    """The text of an element on one line (titles, captions, table cells)."""
    if el is None:
        return ""
    return " ".join(text_lines(el, footnotes if footnotes is not None else [], None))


# --- tables ----------------------------------------------------------------------------------


def _positive_setting(setting: settings.Setting) -> float:
    raw = setting.get() or setting.default or ""
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise ConfigError(f"{setting.env}={raw!r} is not a positive number ({setting.help})")
    return value


def max_label_bytes() -> int:
    """The largest label file read, in bytes (:data:`rxcompare.settings.LABEL_MAX_MB`)."""
    return int(_positive_setting(settings.LABEL_MAX_MB) * 1_000_000)


class TableSizeError(LabelError):
    """A label whose tables expand (rowspan/colspan) past the cell limit."""


class _Budget:
    """Cells (positions of the expanded grids) and characters (their text, a spanned cell's text
    counted in every position) that the tables of one document may still take."""

    def __init__(self) -> None:
        self.max_cells = int(_positive_setting(settings.LABEL_MAX_CELLS))
        self.cells = self.max_cells
        self.chars = 2 * max_label_bytes()

    def take(self, cells: int, chars: int = 0) -> None:
        self.cells -= cells
        self.chars -= chars
        if self.cells < 0 or self.chars < 0:
            what = (
                f"more than {self.max_cells:,} cells"
                if self.cells < 0
                else f"more than {2 * max_label_bytes():,} characters of cell text"
            )
            raise TableSizeError(
                f"its tables expand (rowspan/colspan) to {what}; real labels have a few thousand "
                f"cells, so the file is damaged or hostile (to read it anyway, raise "
                f"{settings.LABEL_MAX_CELLS.env})"
            )


_BUDGET: ContextVar[_Budget | None] = ContextVar("rxcompare_table_budget", default=None)


@contextmanager
def table_budget() -> Iterator[_Budget]:
    """One cell budget for every table parsed inside (one per document); nested calls share the
    outer one."""
    current = _BUDGET.get()
    if current is not None:
        yield current
        return
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def _span(el: etree._Element, name: str) -> int:
    try:
        return max(1, min(int(el.get(name) or 1), 100))
    except ValueError:
        return 1


def _grid(trs: Iterable[etree._Element], footnotes: list[str]) -> list[list[str]]:
    """Rows of cell texts with ``colspan``/``rowspan`` expanded (a spanned cell's text is
    repeated in every position it covers, as HTML table readers do)."""
    rows: list[list[str]] = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows left, text) from rowspans above
    budget = _BUDGET.get() or _Budget()

    def take_pending(row: list[str]) -> None:
        """Fill the positions at the end of ``row`` that a rowspan from above still covers."""
        while len(row) in pending:
            left, text = pending.pop(len(row))
            if left > 1:
                pending[len(row)] = (left - 1, text)
            budget.take(1, len(text))
            row.append(text)

    for tr in trs:
        row: list[str] = []
        for cell in (c for c in tr if _local(c) in ("td", "th")):
            take_pending(row)
            text = inline_text(cell, footnotes)
            rowspan = _span(cell, "rowspan")
            colspan = _span(cell, "colspan")
            budget.take(colspan, colspan * len(text))
            for _ in range(colspan):
                if rowspan > 1:
                    pending[len(row)] = (rowspan - 1, text)
                row.append(text)
        take_pending(row)
        for col in sorted(k for k in pending if k > len(row)):  # spans right of a short row
            budget.take(col - len(row))
            row.extend([""] * (col - len(row)))
            take_pending(row)
        rows.append(row)
    return rows


_NOTE_MARK = re.compile(r"^[*†‡§¶#]")


def _is_footnote_row(tr: etree._Element) -> bool:
    cells = [c for c in tr if _local(c) in ("td", "th")]
    return (
        len(cells) == 1
        and _span(cells[0], "colspan") > 1
        and bool(_NOTE_MARK.match(inline_text(cells[0])))
    )


def parse_table(el: etree._Element) -> LabelTable:
    """A ``<table>`` element as a :class:`LabelTable`: caption, header rows from ``<thead>``,
    body rows from ``<tbody>`` (or bare ``<tr>``), footnotes from ``<tfoot>``, from ``<footnote>``
    elements and from a last body row of one spanning cell that starts with a footnote mark.

    Raises :class:`TableSizeError` when the table, with the others of its document (inside
    :func:`table_budget`), expands past the cell limit."""
    with table_budget():
        return _parse_table(el)


def _parse_table(el: etree._Element) -> LabelTable:
    footnotes: list[str] = []
    caption = ""
    head: list[etree._Element] = []
    body: list[etree._Element] = []
    foot: list[etree._Element] = []
    for part in el:
        name = _local(part)
        if name == "caption":
            caption = inline_text(part, footnotes)
        elif name == "thead":
            head += [tr for tr in part if _local(tr) == "tr"]
        elif name == "tbody":
            body += [tr for tr in part if _local(tr) == "tr"]
        elif name == "tfoot":
            foot += [tr for tr in part if _local(tr) == "tr"]
        elif name == "tr":
            body.append(part)
    # Many labels put their footnotes in a last body row of one cell spanning the table.
    spanning_notes: list[str] = []
    while body and _is_footnote_row(body[-1]):
        spanning_notes.insert(0, inline_text(body.pop(), footnotes))
    header = _grid(head, footnotes)
    rows = _grid(body, footnotes)
    foot_lines: list[str] = []
    for row in _grid(foot, footnotes):
        cells = list(dict.fromkeys(c for c in row if c))  # a spanned cell counts once
        if cells:
            foot_lines.append(" ".join(cells))
    width = max((len(r) for r in header + rows), default=0)
    (_BUDGET.get() or _Budget()).take(sum(width - len(r) for r in header + rows))

    def pad(row: list[str]) -> tuple[str, ...]:
        return tuple(row + [""] * (width - len(row)))

    return LabelTable(
        caption=caption,
        header=tuple(pad(r) for r in header),
        rows=tuple(pad(r) for r in rows),
        footnotes=tuple(foot_lines + spanning_notes + footnotes),
    )


__all__ = [
    "TableSizeError",
    "inline_text",
    "max_label_bytes",
    "parse_table",
    "table_budget",
    "text_lines",
]
