"""Sections of openFDA's flattened label text: numbers, titles and subsections read back.

openFDA builds each section string from the text of one coded SPL section with whitespace
collapsed: the title, the Highlights excerpt, the text and the subsections' titles and text run
together ("5 WARNINGS AND PRECAUTIONS 5.1 Serious Infections Patients treated with ...").
:func:`flat_section` splits numbered subsections back out where the text allows: at "5.1", "5.2",
... in increasing order, outside brackets, followed by a capital letter (a heading right after
table cells, or written "5. 1", is taken when no other has that number); a section that does not
print its own number gets the one its subsections show. Titles are bounded by the label's own
cross-checks (:mod:`rxcompare.sources.labels.flat_headings`); a title that cannot be bounded is
left empty and its words stay in the text. The boxed warning loses openFDA's "BOXED WARNING:"
label, its repeated heading and its Highlights copy. :func:`lines_section` reads text with line
breaks (an older openFDA layout) at heading lines instead. :func:`with_flat_tables` adds the
adverse-reaction tables that can be read back unambiguously
(:mod:`rxcompare.sources.labels.flat_tables`).
"""

from __future__ import annotations

import bisect
import re

from rxcompare.models import Section
from rxcompare.sources.labels.flat_headings import (
    all_reference_titles,
    bound_title,
    boxed_heading,
    drop_excerpts,
    title_case_run,
)
from rxcompare.sources.labels.flat_tables import read_tables
from rxcompare.sources.labels.loinc import BOXED_WARNING
from rxcompare.sources.labels.text import is_heading_line, normalise_space, split_number

_HIGHLIGHTS_BOX = re.compile(
    r"see full prescribing information for complete boxed warning", re.IGNORECASE
)
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
        n = _caps_title(words) or (title_case_run(words) if "." in number else 0)
    if not n:
        return number, "", rest
    return number, " ".join(words[:n]), " ".join(words[n:])


_BRACKET = re.compile(r"[()\[\]]")


def _brackets(text: str) -> tuple[list[int], str]:
    """Where the brackets of ``text`` stand, and which they are: found once, looked up per position."""
    return [m.start() for m in _BRACKET.finditer(text)], "".join(_BRACKET.findall(text))


def _outside_brackets(brackets: tuple[list[int], str], pos: int) -> bool:
    """Whether ``pos`` is outside (...) and [...], judged over the 300 characters before it (a
    bracket a label never closed must not swallow the rest of the section); ``brackets`` is
    :func:`_brackets` of the text."""
    starts, chars = brackets
    lo, hi = bisect.bisect_left(starts, pos - 300), bisect.bisect_left(starts, pos)
    if lo == hi:
        return True
    round_, square = 0, 0  # depths; a closing bracket with none open is passed over
    for c in chars[lo:hi]:
        if c == "(":
            round_ += 1
        elif c == "[":
            square += 1
        elif c == ")":
            if round_:
                round_ -= 1
        elif square:
            square -= 1
    return round_ == 0 and square == 0


_NUMERIC = re.compile(r"^[<>\u2264\u2265]?\d+(?:[.,]\d+)?%?$")  # a cell value, not "(5.1)"


def _candidates(body: str, number: str) -> list[tuple[int, int, int, bool]]:
    """(subsection, start, end, strong) of each "5.k Title" in the body that can be a heading:
    outside brackets. A candidate right after a number (a table's cells, flattened: "5.2 6.3
    Pain ...", or a heading after a table: "4% 12% 18% 5.6 Seizures") is weak: taken only when no
    strong one has that number, as is "5. 1" with a space."""
    # the number first, the space before it checked after: a pattern opening with a literal is
    # searched for at C speed (one opening with a look-behind is tried at every position)
    pattern = re.compile(rf"{re.escape(number)}\.(\s?)(\d{{1,2}})\s+(?=[A-Z])")
    brackets: tuple[list[int], str] | None = None  # found at the first match: most bodies have none
    found = []
    for m in pattern.finditer(body):
        if m.start() > 0 and not body[m.start() - 1].isspace():
            continue
        # "5. 1 Neonatal Toxicity": a label's typo, taken when no "5.1" stands in the text
        strong = not m.group(1)
        if strong:
            before = body[max(0, m.start() - 40) : m.start()].rsplit(None, 1)
            strong = not (before and _NUMERIC.match(before[-1]))
        if brackets is None:
            brackets = _brackets(body)
        if _outside_brackets(brackets, m.start()):
            found.append((int(m.group(2)), m.start(), m.end(), strong))
    return found


class FlatCues:
    """What bounds flattened titles: the label's own phrases for its subsections (Highlights
    bullets, "[see Warnings and Precautions (5.1)]" lists) and the product's names."""

    def __init__(self, texts: list[str], names: list[str]):
        self.texts = texts
        self.names = names
        self._phrases: dict[str, dict[str, list[list[str]]]] | None = None

    def phrases(self, number: str, sub_number: str) -> list[list[str]]:
        if self._phrases is None:  # every section's at once: one pass over the texts
            self._phrases = all_reference_titles(self.texts)
        return self._phrases.get(number, {}).get(sub_number, [])


NO_CUES = FlatCues([], [])


def _split_flat(
    body: str, number: str, cues: FlatCues = NO_CUES
) -> tuple[str, list[tuple[str, str, str]]]:
    """Own text and (number, title, text) of the numbered subsections of a flattened body.

    Subsections follow each other in order: after "5.k" the next is the first "5.(k+1)" further
    on, or "5.(k+2)" when the label skips a number, so a stray "5.7" in the text is passed over.
    Titles are bounded by :func:`~rxcompare.sources.labels.flat_headings.bound_title`; a title it
    cannot bound is left empty and its words stay in the text."""
    by_kind: dict[tuple[int, bool], list[tuple[int, int, int, bool]]] = {}
    for c in _candidates(body, number):  # in the order of the text: each list sorted by start
        by_kind.setdefault((c[0], c[3]), []).append(c)

    def first_after(k: int, strong: bool, pos: int) -> tuple[int, int, int, bool] | None:
        found = by_kind.get((k, strong), [])
        i = bisect.bisect_right(found, pos, key=lambda c: c[1])
        return found[i] if i < len(found) else None

    cuts: list[tuple[int, int, str]] = []
    last, pos = 0, -1
    while True:
        step = next(
            (
                c
                for gap in (1, 2, 3)
                for strong in (True, False)
                if (c := first_after(last + gap, strong, pos))
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


def flat_section(text: str, code: str | None, name: str, cues: FlatCues = NO_CUES) -> Section:
    """One flattened openFDA section string (``code`` its LOINC code, ``name`` its LOINC name) as
    a :class:`Section` with its numbered subsections split out (see the module's docstring)."""
    text = normalise_space(text)
    boxed = code == BOXED_WARNING
    if boxed:
        # openFDA's "BOXED WARNING:" label, a heading printed twice and Highlights excerpts
        # dropped; the heading stays in front of the text, as openFDA prints it
        title, body = boxed_heading(drop_excerpts(text))
        if title:
            return Section(code=code, number=None, title="", text=f"{title} {_drop_box_copy(body)}")
    if boxed:  # drop the Highlights copy that openFDA appends to the boxed warning
        text = _drop_box_copy(text)
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


def _child(number: str, title: str, body: str, cues: FlatCues = NO_CUES) -> Section:
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


def lines_section(text: str, code: str | None) -> Section:
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
    elif code != BOXED_WARNING:
        # the Highlights come first: "5 WARNINGS AND PRECAUTIONS" stands on a later line
        at = next(
            (i for i, x in enumerate(lines) if re.fullmatch(r"\d{1,2} [A-Z][A-Z ,&/-]+", x)), None
        )
        if at is not None:
            number, title = split_number(lines.pop(at), True)
    return _nest(code, number, title, lines)


def _nest(code: str | None, number: str | None, title: str, lines: list[str]) -> Section:
    subs: list[tuple[str, str, list[str]]] = []
    own: list[str] = []
    if number is not None:
        head = re.compile(rf"^({re.escape(number)}\.\d{{1,2}})\s+(\S.*)$")
        for line in lines:
            m = head.match(line)
            if m and len(line.split()) <= 20 and not line.endswith("."):
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


def with_flat_tables(
    s: Section, names: tuple[str, ...] = (), unread: list[tuple[str, str]] | None = None
) -> Section:
    """A flattened adverse-reactions section with the tables its text holds that can be read
    unambiguously (:func:`~rxcompare.sources.labels.flat_tables.read_tables`; ``names`` are the
    product's names), each on the (sub)section whose own text holds it; the text is kept. Text
    with line breaks is read with its white space collapsed. The tables that could not be read
    are added to ``unread`` as (section number, caption), in the same pass."""
    tables, captions = read_tables(" ".join(s.text.split()), names)
    if unread is not None:
        unread += [(s.number or "6", caption) for caption in captions]
    return Section(
        s.code,
        s.number,
        s.title,
        s.text,
        s.tables + tuple(tables),
        tuple(with_flat_tables(c, names, unread) for c in s.subsections),
    )


__all__ = ["NO_CUES", "FlatCues", "flat_section", "lines_section", "with_flat_tables"]
