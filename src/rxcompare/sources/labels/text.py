"""Label text: white space, sentences, heading lines and numbered section titles.

Pure functions over strings, shared by the SPL and openFDA parsers and the fact extractor:
:func:`normalise_space`, :func:`sentences`, :func:`first_sentence`, :func:`clean`,
:func:`is_heading_line`, :func:`split_caps_heading` and :func:`split_number`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPACE = re.compile(r"[\s\u00a0\u2002-\u200b\u202f\u205f\u3000]+")


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace (including no-break spaces) to one space and strip."""
    return _SPACE.sub(" ", text).strip()


# --- label text: sentences and headings --------------------------------------------------------

HEADING_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "without",
        "after",
        "during",
        "when",
        "versus",
        "vs.",
        "per",
        "than",
        "not",
        "other",
        "&",
    ]
)
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "approx",
        "fig",
        "figs",
        "no",
        "nos",
        "dr",
        "u.s",
        "inc",
        "ltd",
        "co",
        "al",
        "ca",
        "resp",
        "incl",
        "viz",
        "cf",
        "b.i.d",
        "t.i.d",
        "q.i.d",
        "usp",
        "mr",
        "ms",
        "st",
    ]
)
_SENTENCE_END = re.compile('[.!?]["\'\u201d\u2019)\\]]*\\s+(?=["\u201c(\\[]?[A-Z0-9\u2022])')
_BULLET = re.compile(r"^[\u2022\u00b7\u25aa\u25cf\-\u2013\u2014*]+\s*")


def sentences(text: str) -> list[str]:
    """Split label text into sentences, line by line (a paragraph or list item never joins the
    next). A full stop after an abbreviation ("e.g.", "U.S.", "No.") or an initial does not end a
    sentence."""
    out: list[str] = []
    for line in text.splitlines():
        start = 0
        for m in _SENTENCE_END.finditer(line):
            before = line[start : m.start()].split()
            word = before[-1].lower().lstrip('(["\u201c') if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            piece = line[start : m.end()].strip()
            if piece:
                out.append(piece)
            start = m.end()
        rest = line[start:].strip()
        if rest:
            out.append(rest)
    return out


def first_sentence(text: str) -> str:
    """The first sentence of a text, or "" when it has none."""
    found = sentences(text)
    return found[0] if found else ""


def clean(text: str) -> str:
    """A fact's text: whitespace normalised, a leading list bullet removed."""
    return _BULLET.sub("", normalise_space(text))


def is_heading_line(line: str) -> bool:
    """A short line that reads as a heading: all capitals ("SERIOUS INFECTIONS") or title case
    ("Increased Mortality in Elderly Patients with Dementia-Related Psychosis"), at most 12 words,
    not ending like a sentence or a lead-in (". ; , :")."""
    words = line.split()
    if not words or len(words) > 12 or line[-1] in ".;,!?" or not any(c.isalpha() for c in line):
        return False
    if line.isupper():
        return True
    if line.endswith(":"):
        return False
    return all(
        w[0].isupper() or not w[0].isalpha() or w.lower() in HEADING_SMALL_WORDS for w in words
    )


def _caps_word(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def split_caps_heading(sentence: str, names: Iterable[str] = ()) -> tuple[str | None, str]:
    """Split a run of capitals that starts a sentence off as its heading, as in flattened text:
    "MALIGNANCY Lymphoma and other malignancies ..." -> ("MALIGNANCY", "Lymphoma and ...").
    A capitalised word followed by a lower-case one starts the body ("HUMIRA is ..."); a run made
    only of ``names`` (the brand) is not a heading."""
    words = sentence.split()
    i = 0
    while (
        i < len(words)
        and (
            _caps_word(words[i])
            # "CYTOKINE RELEASE SYNDROME and NEUROLOGICAL TOXICITIES": a small word between capitals
            or (
                i > 0
                and words[i].lower() in HEADING_SMALL_WORDS
                and i + 1 < len(words)
                and _caps_word(words[i + 1])
            )
            # "... EXACERBATION OF HEPATITIS B Lactic acidosis": one capital letter after capitals,
            # when a capitalised word follows
            or (
                i > 0
                and re.fullmatch(r"[A-Z]", words[i]) is not None
                and i + 1 < len(words)
                and words[i + 1][:1].isupper()
            )
        )
    ):
        i += 1
    if i == 0 or i == len(words):
        return None, sentence
    if not words[i][0].isupper() and words[i] not in ("*", "\u2022"):
        i -= 1  # "HUMIRA is", "HUMIRA 40 mg": the capitalised word starts the body
    head = words[:i]
    known = {n.lower() for n in names}
    if not head or all(w.strip(".,:;()").lower() in known for w in head):
        return None, sentence
    heading = " ".join(head)
    if sum(c.isalpha() for c in heading) < 5:
        return None, sentence
    return heading, " ".join(words[i:])


# --- section titles --------------------------------------------------------------------------

_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$")
_UNIT_AFTER = re.compile(
    r"^(?:mg|mcg|g|ml|kg|%|mm|cm|tablets?|capsules?|units?|years?)\b", re.IGNORECASE
)


def split_number(title: str, top_level: bool) -> tuple[str | None, str]:
    """Split a section title into its number and name.

    "5.1 Infections" -> ("5.1", "Infections"); "5 WARNINGS AND PRECAUTIONS" -> ("5", ...) at the
    top level only; "WARNINGS" -> (None, "WARNINGS"); "10 mg Tablets" -> (None, "10 mg Tablets").
    """
    m = _NUMBERED.match(title)
    if not m or _UNIT_AFTER.match(m.group(2)):
        return None, title
    number, rest = m.group(1), m.group(2)
    if "." not in number and not top_level:
        return None, title
    return number, rest


__all__ = [
    "HEADING_SMALL_WORDS",
    "clean",
    "first_sentence",
    "is_heading_line",
    "normalise_space",
    "sentences",
    "split_caps_heading",
    "split_number",
]
