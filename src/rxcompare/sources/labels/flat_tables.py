"""Adverse-reaction tables read back from flattened text, where they can be read unambiguously.

openFDA's section strings run a table's cells together ("Adverse Reaction Placebo(N=238)
AMPYRA10 mg twice daily(N=400) Urinary tract infection 8% 12% Insomnia 4% 9% ..."). Such a table
is read only in the shapes whose columns can be recovered without guessing:

- a first-column heading ("Adverse Reaction", "Preferred Term", "System Organ Class/Adverse
  Event", ...), then k >= 2 arms, each an arm name followed by its size "(N=238)", optionally
  with a unit ("%", "n (%)"); or the arms first, the first one's name starting with the
  product's name or a comparator ("Placebo", "Vehicle", ...), then one or two headings and units
  ("DIFICID (N=564) Vancomycin (N=583) System Organ Class Preferred Term n (%) n (%)"). A
  product's name run into its size ("KALYDECON=109") is split off; two arms' names printed
  together before their sizes ("INLYTA Sorafenib (N=359) (N=355)", also between two headings:
  "TUDORZA PRESSAIR Placebo Preferred Term (N=636) (N=640)") are split only where a comparator
  word stands first or last, or the product's name is followed by one word;
- then rows, each a term (at most ten words, no number) followed by exactly k values, one per arm:
  "12%", or "12" when the header says the figures are percentages, or "27 (12%)", or a bare
  "68 (7.7)" when every cell's count and figure agree with its arm's N (100 x 68 / 882 = 7.7,
  :func:`counts_agree`), so that the figure is known to be a percentage;
- or, per arm, the same m >= 2 grade columns, the first an any-grade one ("All Grades Grade 3/4
  All Grades Grade 3/4 % % % %"): rows of k x m values are kept whole, and only each arm's
  any-grade column carries the arm's N in the header, so incidences are read from it alone.

A table with other extra values per row (counts and percentages in separate columns), arms whose
names cannot be told apart (repeated names of column groups, an arm named "Total"), or rows that
do not fit is left out; the first row that does not fit ("Overall [N (%)]" included) ends the
table. Cells such as "<1%" or "-" are kept as printed (the incidence reader leaves them out). A
system-organ-class heading run into the next term ("Nervous system disorders Headache 4% 7%") is
cut off at its last "disorders", "infestations", "conditions", "Investigations" or "procedures".
The result is :class:`~rxcompare.models.LabelTable` records, read by the same incidence code as
SPL tables.
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
    r"(?:system\s*/?\s*organ\s+class|body\s+system|preferred\s+term|adverse\s+(?:drug\s+)?"
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
_TOKEN = re.compile(
    r"\d+\s*\(\s*<?\s*\d+(?:\.\d+)?\s*%?\s*\)|<\s*\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?\s+%(?!\S)|\S+"
)  # "27 (12%)", "<1%", "5 %" (a figure and its sign apart), or a word
_SOC_END = re.compile(
    r"^.*\b(?:disorders|infestations|conditions|investigations|procedures)\b\s+(?=\S)",
    re.IGNORECASE,
)
_FOOTNOTE = re.compile(
    rf"(?:\s+[a-h]|[{_MARKS}]+|\s+\?|\s+\([a-h]\))$"
)  # "?": a mark lost in transcoding
_MAX_TERM = 10


def _headers(
    text: str, names: tuple[str, ...] = (), unread: list[int] | None = None
) -> list[tuple[int, int, list[tuple[str, int]], bool, str]]:
    """(start, end, [(arm, n)], percent header, first-column heading) of each table header;
    ``unread`` collects the start of each group of two or more sizes not read as a header."""
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
        elif unread is not None:
            unread.append(group[0].start())
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
    if heading and not before[arm0_start:].strip() and len(group) == 2:
        # "Adverse Reactions TUDORZA PRESSAIR Placebo Preferred Term (N=636) (N=640)": the
        # arms' names stand between two first-column headings; split below if they can be
        heads = list(_FIRST_COLUMN.finditer(before))
        if len(heads) >= 2 and len(before[heads[-2].end() : heads[-1].start()].split()) <= 6:
            arm_names = [before[heads[-2].end() : heads[-1].start()]]
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
    # "DIFICID (N=564) Vancomycin (N=583) System Organ Class Preferred Term n (%)"; also after
    # a heading before the arms ("... CERDELGA(N=106) Imiglucerase(N=53) Adverse Reaction
    # Patientsn (%) Patientsn (%)"), where the later heading is the table's own
    # ("System Organ Class Preferred Term n (%)": two headings, read both)
    named_before = bool(heading)
    for _ in range(2):
        after = re.match(r"\s*" + _FIRST_COLUMN.pattern, text[end:], re.IGNORECASE)
        if not after:
            break
        heading = " ".join(after.group(0).split())
        end += after.end()
        unit = _UNIT.match(text[end:])
        if unit:
            percent = percent or "%" in unit.group(0)
            end += unit.end()
    if named_before and len(group) == 2 and not " ".join(arm_names[1].split()).strip(" ,;:"):
        arm_names = _split_two(arm_names[0], names) or arm_names
    arms = []
    for name, m in zip(arm_names, group):
        name = _UNIT_IN_NAME.sub(" ", " ".join(name.split()))
        name = _LEAD_IN.sub("", name)  # "reported in this table. CERDELGA" -> "CERDELGA"
        name = " ".join(name.split()).strip(" ,;:").lstrip(") ")
        if name.endswith("(%)"):  # "Placebo+ MTX(%)N =324"
            percent, name = True, name[:-3].strip()
        name = _strip_footnotes(name)
        if not arms:
            name = _from_product_name(name, names)
        if not name or len(name.split()) > 10 or _MARK.search(name):
            return None
        arms.append((name, int((m.group(1) or m.group(2)).replace(",", ""))))
    if any(re.search(_GENERIC_ARM, a) for a, _ in arms):
        return None  # "ADCETRIS Placebo Total N=167 Total N=160": names printed apart from sizes
    if len({a.lower() for a, _ in arms}) < len(arms):
        return None  # "EYLEA Control EYLEA Control": arms of column groups, not told apart
    for name, _ in arms:
        words = [w.lower() for w in name.split() if len(w) > 2]
        if len(words) != len(set(words)):
            return None  # "ONFI Dose Level All ONFI": a column group's heading run into an arm
    start = group[0].start() - len(before) + arm0_start
    return start, end, arms, percent, heading


# a unit inside an arm's name ("ELIQUIS, n (%)2.5 mg po bid") and words before a sentence's or a
# column group's end ("reported in this table. CERDELGA", "Incidence: Pooled Trials KALYDECO")
_UNIT_IN_NAME = re.compile(r",?\s*\bn\s*\(\s*%\s*\)\s*", re.IGNORECASE)
_LEAD_IN = re.compile(r"^.*[.:]\s+(?=\S)")


_GENERIC_ARM = re.compile(
    r"(?:^|\s)(?:total|overall|all(?: patients| subjects)?|patients|subjects|n)$", re.I
)


def _from_product_name(name: str, names: tuple[str, ...]) -> str:
    """The first arm's name from the product's name (its last mention) on, when only a column
    group's heading or the caption stands before it ("Pooled 48-Week Trials KALYDECO" ->
    "KALYDECO"; "due to ZYTIGA in Study 1 ZYTIGA with Prednisone" -> "ZYTIGA with
    Prednisone"); a name joining arms or
    drugs ("Placebo + KALYDECO", "X with KALYDECO") is kept whole."""
    words = name.split()
    name_words = {w.lower() for n in names for w in n.split() if len(w) > 2}
    at = max((i for i, w in enumerate(words) if w.lower().strip(",;:") in name_words), default=0)
    before = " ".join(words[:at])
    joins = r"[+/&]|\b(?:with|and|or|plus|vs|placebo|vehicle|comparator|control|sham)"
    if at and not re.search(joins, before, re.IGNORECASE):
        return " ".join(words[at:])
    return name


def _split_two(block: str, names: tuple[str, ...]) -> list[str] | None:
    """Two arms' names printed together before their sizes ("Placebo Dronedarone 400 mg twice
    daily (N=2875) (N=3282)", "INLYTA Sorafenib (N=359) (N=355)"), split where it can be told:
    a comparator word first or last, or the product's name followed by one word. A block of
    more than six words, or holding brackets, is left whole (not read)."""
    words = block.split()
    if not 2 <= len(words) <= 6 or re.search(r"[()\[\]]", block):
        return None
    comparator = [bool(_COMPARATOR.match(w.strip(_MARKS))) for w in words]
    if sum(comparator) != 1:
        name_words = {w.lower() for n in names for w in n.split()}
        if len(words) == 2 and not any(comparator) and words[0].lower() in name_words:
            return words[:1] + words[1:]
        return None
    if comparator[0]:
        return [words[0], " ".join(words[1:])]
    if comparator[-1]:
        return [" ".join(words[:-1]), words[-1]]
    return None


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


_COUNT_PERCENT = re.compile(r"^(\d+)\s*\(\s*(\d+(?:\.\d+)?)\s*\)$")


def counts_agree(cell: str, n: int) -> tuple[int, float] | None:
    """(count, percent) of a bare "68 (7.7)" cell whose count and figure agree with the arm's N
    (100 x 68 / 882 = 7.71, printed 7.7: within one unit of the figure's last printed digit), so
    that the figure is read as a percentage although no header says so; else None. A "0" cell
    is (0, 0.0)."""
    t = cell.strip().rstrip(_MARKS)
    if t == "0":
        return 0, 0.0
    m = _COUNT_PERCENT.match(t)
    if not m or n <= 0:
        return None
    count, figure = int(m.group(1)), m.group(2)
    unit = 10.0 ** -len(figure.partition(".")[2])
    if count > n or abs(100.0 * count / n - float(figure)) >= unit:
        return None
    return count, float(figure)


def _rows(text: str, k: int, percent: bool, ns: tuple[int, ...] = ()) -> list[tuple[str, ...]]:
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
            # bare numbers in a table that does not say they are percentages: read only when
            # every cell is "count (figure)" agreeing with its arm's N (see counts_agree)
            checked = [counts_agree(v, n) for v, n in zip(values, ns)]
            if len(ns) != k or None in checked or all(c[0] == 0 for c in checked):
                return rows
        term = _term(words)
        if not term or not term[0].isalpha() or any(c.isdigit() for c in term[:1]):
            return rows
        if "%" in term or re.match(r"^(?:overall|total)\b", term, re.IGNORECASE):
            return rows  # "Overall [N (%)]": a count of the caption's event, not a reaction
        rows.append((term, *values))
    return rows


# a grade column's heading: "All Grades", "AnyGrade", "Grade 3/4", "Grades 3 and 4b (%)",
# "Grade 1-4a", "Grade >= 3", "Grade 3 or Higher(%)", each optionally with its unit
_GRADE = re.compile(
    r"\s*((?:all|any)\s*grades?|grades?\s*(?:>=|\u2265|>)\s*\d|(?:>=|\u2265)\s*grade\s*\d|"
    r"grades?\s*\d\s*or\s*(?:higher|greater)|"
    r"grades?\s*\d(?:\s*(?:-|\u2013|/|,|or|and|to)\s*\d)*)[a-h]?"
    r"(\s*(?:\(\s*%\s*\)|%))?(?=\s|$)",
    re.IGNORECASE,
)
_ANY_GRADE = re.compile(r"^(?:(?:all|any)\s*grades?|grades?\s*1\s*(?:-|\u2013|to)\s*[45])$", re.I)


def _grades(text: str, k: int) -> tuple[int, int, bool, list[str]] | None:
    """(m, characters read, percent, labels) when the text after a table's arms starts with the
    heading of m >= 2 grade columns repeated for each of the k arms, the first of each an
    any-grade column ("All Grades Grade 3/4 All Grades Grade 3/4 % % % %"); else None."""
    at = 0
    for _ in range(2):  # "Primary System Organ Class Preferred Term All Grades (%) ..."
        head = re.match(r"\s*" + _FIRST_COLUMN.pattern, text[at:], re.IGNORECASE)
        if head:
            at += head.end()
    labels, percent = [], False
    while (m := _GRADE.match(text, at)) is not None:
        labels.append(" ".join(m.group(1).split()))
        percent = percent or bool(m.group(2))
        at = m.end()
    unit = _UNIT.match(text[at:])
    if unit:
        percent = percent or "%" in unit.group(0)
        at += unit.end()
    if not labels or len(labels) % k:
        return None
    m = len(labels) // k
    keys = [re.sub(r"\W", "", label.lower()) for label in labels]
    if m < 2 or any(keys[i] != keys[i % m] for i in range(len(keys))):
        return None
    if not _ANY_GRADE.match(labels[0]):
        return None
    return m, at, percent, labels


def _split_names(text: str, names: tuple[str, ...]) -> str:
    """ "KALYDECON=109" -> "KALYDECO N=109": the product's name run into its arm's N."""
    for name in names:
        if name.strip():
            text = re.sub(rf"\b({re.escape(name.strip())})(N\s*=)", r"\1 \2", text, flags=re.I)
    return text


def unread_tables(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """The captions ("Table 1: Most Common Adverse Reactions ...", first 20 words) of the tables
    of a flattened text that hold arms with sizes but were not read (see :func:`read_tables`)."""
    return read_tables(text, names)[1]


def read_tables(text: str, names: tuple[str, ...] = ()) -> tuple[list[LabelTable], list[str]]:
    """In one pass, the tables of a flattened text that can be read (:func:`flat_tables`) and the
    captions (first 20 words) of those that hold arms with sizes but were not read (see the
    module's docstring: arms that cannot be told apart, rows that do not fit), so that an answer
    can say which tables are left as the label's text. Groups of sizes with no "Table k" caption
    before them (sizes in a sentence) are not counted, nor a table of which another part was read."""
    starts: list[int] = []
    text = _split_names(text, names)

    def key(caption: str) -> str:  # "Table 2:" -> "table 2"
        return " ".join(caption.split()[:2]).lower().rstrip(".:")

    tables = flat_tables(text, names, unread=starts)
    read = {key(t.caption) for t in tables if t.caption}
    out: dict[str, str] = {}  # one entry a table
    for start in sorted(starts):
        caption = _caption(text, start)
        if caption and key(caption) not in read:
            out.setdefault(key(caption), " ".join(caption.split()[:20]))
    return tables, list(out.values())


def flat_tables(
    text: str, names: tuple[str, ...] = (), *, unread: list[int] | None = None
) -> list[LabelTable]:
    """The adverse-reaction tables of a flattened text that can be read unambiguously (see the
    module's docstring), as :class:`LabelTable` records: one header row (the first-column
    heading, followed by "(%)" when the header says the figures are percentages, then "arm (N=n)"
    per arm) and the rows as printed. ``names`` are the product's names, which may start the
    first arm's name when no first-column heading precedes the arms."""
    tables = []
    text = _split_names(text, names)
    headers = _headers(text, names, unread)
    for h, (start, end, arms, percent, heading) in enumerate(headers):
        stop = headers[h + 1][0] if h + 1 < len(headers) else len(text)
        ns = tuple(n for _, n in arms)
        grades = _grades(text[end:stop], len(arms))
        # the unit goes with the first column, so that arm names stay names ("Placebo")
        if grades is None:
            rows = _sentence_case(_rows(text[end:stop], len(arms), percent, ns))
            columns = [f"{name} (N={n})" for name, n in arms]
        else:
            # per arm, an any-grade column then grade columns ("All grades Grade 3 Grade 4"):
            # rows are kept whole; only the any-grade column's heading carries the arm's N, so
            # that incidences are read from it alone
            m, used, grade_percent, labels = grades
            percent = percent or grade_percent
            wide_ns = tuple(n for n in ns for _ in range(m))
            rows = _sentence_case(_rows(text[end + used : stop], len(arms) * m, percent, wide_ns))
            columns = [
                f"{name}, {labels[i]} (N={n})" if i == 0 else f"{name}, {labels[i]}"
                for name, n in arms
                for i in range(m)
            ]
        if not rows:
            if unread is not None:
                unread.append(start)
            continue
        unit = " (%)" if percent else ""
        header = (f"{heading}{unit}".strip(), *columns)
        tables.append(LabelTable(caption=_caption(text, start), header=(header,), rows=tuple(rows)))
    return tables


__all__ = ["counts_agree", "flat_tables", "read_tables", "unread_tables"]
