"""Adverse-reaction tables read back from flattened text, where they can be read unambiguously.

openFDA's section strings run a table's cells together ("Adverse Reaction Placebo(N=238)
AMPYRA10 mg twice daily(N=400) Urinary tract infection 8% 12% Insomnia 4% 9% ..."). Such a table
is read only in the one shape whose columns can be recovered without guessing:

- a first-column heading ("Adverse Reaction", "Preferred Term", "System Organ Class/Adverse
  Event", ...), then k >= 2 arms, each an arm name followed by its size "(N=238)", optionally
  with a unit ("%", "n (%)");
- then rows, each a term (at most ten words, no number) followed by exactly k values, one per arm:
  "12%", or "12" when the header says the figures are percentages, or "27 (12%)".

A table with more values per row than arms (grades per arm, counts and percentages in separate
columns), arms whose names cannot be told apart from the first-column heading, or rows that do not
fit is left out; the first row that does not fit ends the table. Cells such as "<1%" or "-" are
kept as printed (the incidence reader leaves them out). A system-organ-class heading run into the
next term ("Nervous system disorders Headache 4% 7%") is cut off at its last "disorders",
"infestations", "conditions", "Investigations" or "procedures". The result is
:class:`~rxcompare.models.LabelTable` records, read by the same incidence code as SPL tables.
"""

from __future__ import annotations

import re

from rxcompare.models import LabelTable

_MARK = re.compile(r"\(\s*N\s*=\s*(\d[\d,]*)\s*\)|(?<![A-Za-z])N\s*=\s*(\d[\d,]*)(?![\d,])")
_UNIT = re.compile(r"^\s*(n\s*\(\s*%\s*\)|\(\s*%\s*\)|%(?:\s+of\s+patients)?)(?=\s|$)", re.IGNORECASE)
_FIRST_COLUMN = re.compile(
    r"(?:system\s+organ\s+class|body\s+system|preferred\s+term|adverse\s+(?:drug\s+)?"
    r"(?:reactions?|events?)(?:\s+term)?|dictionary-derived\s+term|meddra\s+term|"
    r"laboratory\s+parameter)(?:\s*/\s*(?:adverse\s+)?(?:reactions?|events?|preferred\s+term))?"
    r"(?:\s*\(\s*%\s*\))?",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"\bTable\s+\d+[A-Za-z]?\s*[.:]", re.IGNORECASE)
_MARKS = "*\u2020\u2021\u00a7\u00b6#"
_VALUE = re.compile(
    rf"^(?:\d+\s*\(\s*<?\s*\d+(?:\.\d+)?\s*%?\s*\)|<\s*\d+(?:\.\d+)?\s*%?|\d+(?:\.\d+)?\s*%?|"
    rf"[-\u2013\u2014]{{1,2}}|NA)[{_MARKS}]*$"
)
_TOKEN = re.compile(r"\d+\s*\(\s*<?\s*\d+(?:\.\d+)?\s*%?\s*\)|<\s*\d+(?:\.\d+)?\s*%|\S+")
_SOC_END = re.compile(
    r"^.*\b(?:disorders|infestations|conditions|investigations|procedures)\b\s+(?=\S)",
    re.IGNORECASE,
)
_FOOTNOTE = re.compile(rf"(?:\s+[a-h]|[{_MARKS}]+|\s+\?|\s+\([a-h]\))$")  # "?": a mark lost in transcoding
_MAX_TERM = 10


def _headers(text: str) -> list[tuple[int, int, list[tuple[str, int]], bool, str]]:
    """(start, end, [(arm, n)], percent header, first-column heading) of each table header."""
    marks = list(_MARK.finditer(text))
    out = []
    i = 0
    while i < len(marks):
        group = [marks[i]]
        j = i + 1
        while j < len(marks):
            gap = text[group[-1].end() : marks[j].start()]
            if len(gap.split()) > 10 or re.search(r"\d+(?:\.\d+)?\s*%\s+\S+\s+\d", gap):
                break
            group.append(marks[j])
            j += 1
        i = j
        if len(group) < 2:
            continue
        header = _header(text, group)
        if header is not None:
            out.append(header)
    return out


def _header(
    text: str, group: list[re.Match[str]]
) -> tuple[int, int, list[tuple[str, int]], bool, str] | None:
    before = text[max(0, group[0].start() - 300) : group[0].start()]
    first = list(_FIRST_COLUMN.finditer(before))
    if not first:
        return None
    heading = first[-1]
    arm0 = before[heading.end() :]
    names = [arm0]
    percent = False
    for a, b in zip(group, group[1:]):
        gap = text[a.end() : b.start()]
        unit = _UNIT.match(gap)
        if unit:
            percent = percent or "%" in unit.group(1)
            gap = gap[unit.end() :]
        names.append(gap)
    end = group[-1].end()
    unit = _UNIT.match(text[end:])
    if unit:
        percent = percent or "%" in unit.group(1)
        end += unit.end()
    arms = []
    for name, m in zip(names, group):
        name = _strip_footnotes(" ".join(name.split()).strip(" ,;:"))
        if not name or len(name.split()) > 10 or _MARK.search(name):
            return None
        arms.append((name, int((m.group(1) or m.group(2)).replace(",", ""))))
    if len({a.lower() for a, _ in arms}) < len(arms):
        return None  # "EYLEA Control EYLEA Control": arms of column groups, not told apart
    start = group[0].start() - len(before) + heading.start()
    return start, end, arms, percent, " ".join(heading.group(0).split())


def _caption(text: str, start: int) -> str:
    window = text[max(0, start - 600) : start]
    found = list(_CAPTION.finditer(window))
    return " ".join(window[found[-1].start() :].split()) if found else ""


def _strip_footnotes(text: str) -> str:
    while True:
        cut = _FOOTNOTE.sub("", text)
        if cut == text:
            return text
        text = cut


_SOC_WORD = re.compile(r"(?:disorders|infestations|conditions|investigations|procedures)$", re.I)


def _term(words: list[str]) -> str:
    term = " ".join(words)
    if not _SOC_WORD.search(term):  # a whole system-organ-class row keeps its name
        term = _SOC_END.sub("", term)
    return _strip_footnotes(term).strip(" ,;:")


def _title_words(term: str) -> int:
    """Capitalised words after the first ("Nervous System Dizziness" -> 2; "Alanine
    aminotransferase (ALT) increased" -> 0: an acronym is not a Title Case word)."""
    return sum(bool(re.match(r"^[A-Z][a-z]", w)) for w in term.split()[1:])


def _sentence_case(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """In a table whose terms are written in sentence case ("Back pain"), a term with capitalised
    words inside ("Infections Influenza", "Nervous System Dizziness") has a heading run into it
    that cannot be cut off with certainty: such rows are left out."""
    multi = [r for r in rows if len(r[0].split()) > 1]
    if not multi or sum(_title_words(r[0]) > 0 for r in multi) * 2 > len(multi):
        return rows
    return [r for r in rows if _title_words(r[0]) == 0]


def _rows(text: str, k: int, percent: bool) -> list[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    rows: list[tuple[str, ...]] = []
    i = 0
    while i < len(tokens):
        words = []
        while i < len(tokens) and not _VALUE.match(tokens[i]):
            words.append(tokens[i])
            i += 1
            if len(words) > _MAX_TERM:
                return rows
        values = []
        while i < len(tokens) and _VALUE.match(tokens[i]):
            values.append(tokens[i])
            i += 1
        if not words or not values:
            return rows
        if len(values) > k and all("%" in v for v in values[:k]) and "%" not in values[k]:
            i -= len(values) - k  # "... 1% 2% 6.2 Other Adverse Reactions": the table ended
            values = values[:k]
        if len(values) != k:
            return rows
        if not percent and not any("%" in v for v in values):
            return rows  # bare numbers in a table that does not say they are percentages
        term = _term(words)
        if not term or not term[0].isalpha() or any(c.isdigit() for c in term[:1]):
            return rows
        rows.append((term, *values))
    return rows


def flat_tables(text: str) -> list[LabelTable]:
    """The adverse-reaction tables of a flattened text that can be read unambiguously (see the
    module's docstring), as :class:`LabelTable` records: one header row (the first-column
    heading, followed by "(%)" when the header says the figures are percentages, then "arm (N=n)"
    per arm) and the rows as printed."""
    tables = []
    headers = _headers(text)
    for h, (start, end, arms, percent, heading) in enumerate(headers):
        stop = headers[h + 1][0] if h + 1 < len(headers) else len(text)
        rows = _sentence_case(_rows(text[end:stop], len(arms), percent))
        if not rows:
            continue
        # the unit goes with the first column, so that arm names stay names ("Placebo")
        unit = " (%)" if percent else ""
        header = (f"{heading}{unit}", *(f"{name} (N={n})" for name, n in arms))
        tables.append(
            LabelTable(caption=_caption(text, start), header=(header,), rows=tuple(rows))
        )
    return tables


__all__ = ["flat_tables"]
