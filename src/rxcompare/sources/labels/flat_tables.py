"""Adverse-reaction tables read back from flattened text, where they can be read unambiguously.

openFDA's section strings run a table's cells together ("Adverse Reaction Placebo(N=238)
AMPYRA10 mg twice daily(N=400) Urinary tract infection 8% 12% Insomnia 4% 9% ..."). Such a table
is read only in the one shape whose columns can be recovered without guessing:

- a first-column heading ("Adverse Reaction", "Preferred Term", "System Organ Class/Adverse
  Event", ...), then k >= 2 arms, each an arm name followed by its size "(N=238)", optionally
  with a unit ("%", "n (%)"); or the arms first, the first one's name starting with the
  product's name or a comparator ("Placebo", "Vehicle", ...), then the heading and units;
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

# "(N=238)", "N=204", "(N = 212)", "PlaceboN=995" (a cell's text run into its N)
_MARK = re.compile(r"\(\s*N\s*=\s*(\d[\d,]*)\s*\)|(?<![A-Z])N\s*=\s*(\d[\d,]*)(?![\d,])")
# units after an arm or after all arms: "%", "% %", "n (%) n (%)", "Patientsn (%)", "Subjects (%)"
_UNIT = re.compile(
    r"^(?:\s*(?:(?:patients|subjects)?\s*n\s*\(\s*%\s*\)|(?:patients|subjects)?\s*\(\s*%\s*\)|"
    r"%(?:\s+of\s+patients)?)(?=\s|$))+",
    re.IGNORECASE,
)
_COMPARATOR = re.compile(r"^(?:placebo|vehicle|comparator|control|sham)", re.IGNORECASE)
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
_FOOTNOTE = re.compile(
    rf"(?:\s+[a-h]|[{_MARKS}]+|\s+\?|\s+\([a-h]\))$"
)  # "?": a mark lost in transcoding
_MAX_TERM = 10


def _headers(
    text: str, names: tuple[str, ...] = ()
) -> list[tuple[int, int, list[tuple[str, int]], bool, str]]:
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
        header = _header(text, group, names)
        if header is not None:
            out.append(header)
    return out


def _first_arm(before: str, names: tuple[str, ...]) -> tuple[int, str] | None:
    """(start in ``before``, first-column heading) of the first arm's name: the words after a
    first-column heading; or, with no heading before the arms, the last words of ``before``
    from the latest of its last six words that is the product's name or a comparator
    ("... in Controlled Trials DIFICID (N=564)" -> "DIFICID")."""
    first = list(_FIRST_COLUMN.finditer(before))
    if first and len(before[first[-1].end() :].split()) <= 10:
        return first[-1].end(), " ".join(first[-1].group(0).split())
    words = list(re.finditer(r"\S+", before))[-6:]
    name_words = {w.lower() for n in names for w in n.split() if len(w) > 2}
    for w in reversed(words):
        core = w.group(0).strip("(),;:").lower()
        if (
            core in name_words
            or _COMPARATOR.match(core)
            or any(core.startswith(n) for n in name_words)
        ):
            return w.start(), ""
    return None


def _header(
    text: str, group: list[re.Match[str]], names: tuple[str, ...] = ()
) -> tuple[int, int, list[tuple[str, int]], bool, str] | None:
    before = text[max(0, group[0].start() - 300) : group[0].start()]
    found = _first_arm(before, names)
    if found is None:
        return None
    arm0_start, heading = found
    arm_names = [before[arm0_start:]]
    percent = False
    for a, b in zip(group, group[1:]):
        gap = text[a.end() : b.start()]
        unit = _UNIT.match(gap)
        if unit:
            percent = percent or "%" in unit.group(0)
            gap = gap[unit.end() :]
        arm_names.append(gap)
    end = group[-1].end()
    unit = _UNIT.match(text[end:])
    if unit:
        percent = percent or "%" in unit.group(0)
        end += unit.end()
    if not heading:  # "DIFICID (N=564) Vancomycin (N=583) System Organ Class Preferred Term n (%)"
        after = re.match(r"\s*" + _FIRST_COLUMN.pattern, text[end:], re.IGNORECASE)
        if after:
            heading = " ".join(after.group(0).split())
            end += after.end()
            unit = _UNIT.match(text[end:])
            if unit:
                percent = percent or "%" in unit.group(0)
                end += unit.end()
    arms = []
    for name, m in zip(arm_names, group):
        name = " ".join(name.split()).strip(" ,;:").lstrip(") ")
        if name.endswith("(%)"):  # "Placebo+ MTX(%)N =324"
            percent, name = True, name[:-3].strip()
        name = _strip_footnotes(name)
        if not name or len(name.split()) > 10 or _MARK.search(name):
            return None
        arms.append((name, int((m.group(1) or m.group(2)).replace(",", ""))))
    if len({a.lower() for a, _ in arms}) < len(arms):
        return None  # "EYLEA Control EYLEA Control": arms of column groups, not told apart
    for name, _ in arms:
        words = [w.lower() for w in name.split() if len(w) > 2]
        if len(words) != len(set(words)):
            return None  # "ONFI Dose Level All ONFI": a column group's heading run into an arm
    start = group[0].start() - len(before) + arm0_start
    return start, end, arms, percent, heading


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


def flat_tables(text: str, names: tuple[str, ...] = ()) -> list[LabelTable]:
    """The adverse-reaction tables of a flattened text that can be read unambiguously (see the
    module's docstring), as :class:`LabelTable` records: one header row (the first-column
    heading, followed by "(%)" when the header says the figures are percentages, then "arm (N=n)"
    per arm) and the rows as printed. ``names`` are the product's names, which may start the
    first arm's name when no first-column heading precedes the arms."""
    tables = []
    headers = _headers(text, names)
    for h, (start, end, arms, percent, heading) in enumerate(headers):
        stop = headers[h + 1][0] if h + 1 < len(headers) else len(text)
        rows = _sentence_case(_rows(text[end:stop], len(arms), percent))
        if not rows:
            continue
        # the unit goes with the first column, so that arm names stay names ("Placebo")
        unit = " (%)" if percent else ""
        header = (f"{heading}{unit}".strip(), *(f"{name} (N={n})" for name, n in arms))
        tables.append(LabelTable(caption=_caption(text, start), header=(header,), rows=tuple(rows)))
    return tables


__all__ = ["flat_tables"]
