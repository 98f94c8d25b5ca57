"""Headings in flattened label text: subsection titles bounded by the label's own cross-checks.

openFDA's section strings run a heading into its text ("5.3 Progressive Multifocal
Leukoencephalopathy PML, an opportunistic viral infection ..."): where the title ends is not marked.
Capitalisation alone guesses wrong whenever the text starts with a capitalised word ("Cytopenias
Treatment-emergent Grade 3 ..."). Labels name their own subsections elsewhere, and those names bound
the title:

- the Highlights bullets, "Peripheral neuropathy: Monitor patients ... (5.1)";
- lists of serious reactions, "Peripheral Neuropathy [see Warnings and Precautions (5.1)]";
- a body that restates its heading ("Cytokine Release Syndrome Cytokine Release Syndrome (CRS),
  which may ...");
- the product's own names, which start a body ("Hepatic and Renal Impairment Coartem is ...").

:func:`bound_title` takes the longest phrase the label uses for that number when the text starts
with it; otherwise the capitalisation rule, cut where the cross-checks show the body starts; and
when those disagree in a way no check settles, no title (the words stay in the text).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from rxcompare.sources.labels.text import HEADING_SMALL_WORDS

# "(5.1)", "( 5.1 , 5.2 )", "(2.2)(4)": a bare reference to numbered sections
_BARE_REF = re.compile(r"\(\s*\d{1,2}(?:\.\d{1,2})*(?:\s*[,;]\s*\d{1,2}(?:\.\d{1,2})*)*\s*\)")
# "[see Warnings and Precautions (5.1)]", "[ seeWarnings and Precautions (5.2), Adverse ...]"
_SEE_REF = re.compile(r"\[\s*see\s*[^\[\]]{0,200}\]", re.IGNORECASE)
_BULLET = re.compile(r"(?:^|\s)[*\u2022]\s")
_EXCERPT = re.compile(r"\bEXCERPT:\s*", re.IGNORECASE)


def _norm(word: str) -> str:
    return word.lower().strip(".,:;*()[]\u2022").replace("\u2010", "-").replace("\u2011", "-")


_SPACED_HYPHEN = re.compile(r"\s+-(?=\w)")
_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})+|\d{1,2}")


def _norm_words(text: str) -> list[str]:
    text = _SPACED_HYPHEN.sub("-", text)  # "difficile -associated" as printed in bullets
    return [w for w in (_norm(x) for x in text.split()) if w]


def _numbers(ref: str) -> list[str]:
    return _NUMBER.findall(ref)


_SENTENCE_END = re.compile(r"[.;]\s")
_ITEM_CHARS = 1000
"""A list item longer than this is not a subsection's name (those are at most 14 words)."""


def _after(positions: list[int], lo: int, hi: int) -> int | None:
    """The first of the sorted ``positions`` in [lo, hi), or None."""
    i = bisect.bisect_left(positions, lo)
    return positions[i] if i < len(positions) and positions[i] < hi else None


def _item_words(marks: tuple, start: int, cut: int) -> list[str] | None:
    """The words of the list item from ``start`` to ``cut`` (cut at a colon) when they can name a
    subsection: no sentence ends inside, at most ``_ITEM_CHARS`` characters and 14 words.
    ``marks`` are the text, its colons and sentence ends, and the words of items read so far."""
    flat, colons, sentence_ends, seen = marks
    colon = _after(colons, start, cut)
    if colon is not None:  # Highlights: "Phrase: what to do (5.1)"
        cut = colon
    elif _after(sentence_ends, start, cut - 1) is not None:
        return None
    if cut - start > _ITEM_CHARS:
        return None
    item = flat[start:cut]
    if item not in seen:  # a label repeats its phrases: each is normalised once
        seen[item] = _norm_words(item)
    words = seen[item]
    return words if 0 < len(words) <= 14 else None


def _named(ref: str) -> list[tuple[str, str]]:
    """(section, subsection) for each section of which the reference names exactly one subsection:
    "(5.1)" -> [("5", "5.1")]; "(5.1, 5.2)" -> []; "(5.1, 6.2)" -> [("5", "5.1"), ("6", "6.2")]."""
    subs: dict[str, list[str]] = {}
    for n in _numbers(ref):
        if n.count(".") == 1:
            subs.setdefault(n.split(".", 1)[0], []).append(n)
    return [(number, only[0]) for number, only in subs.items() if len(only) == 1]


def reference_titles(texts: Iterable[str], number: str) -> dict[str, list[list[str]]]:
    """Phrases the label uses for the subsections of section ``number``: {"5.1": [["peripheral",
    "neuropathy"], ...]} (normalised words), from bullets and list items that end in, or put before
    a colon, a reference to exactly one subsection (see :func:`all_reference_titles`)."""
    return all_reference_titles(texts).get(number, {})


def all_reference_titles(texts: Iterable[str]) -> dict[str, dict[str, list[list[str]]]]:
    """:func:`reference_titles` of every section at once: {"5": {"5.1": [...], ...}, "6": ...}.

    Linear in the length of the texts: where bullets, excerpts, brackets, colons and sentence ends
    stand is found once per text, each reference looks its item up by bisection, and an item is
    read only when it is short enough to be a name."""
    found: dict[str, dict[str, list[list[str]]]] = {}
    seen: dict[str, list[str]] = {}
    names: dict[str, list[tuple[str, str]]] = {}  # a reference's text -> (section, subsection)s
    for text in texts:
        flat = " ".join(text.split())
        refs = [*_BARE_REF.finditer(flat), *_SEE_REF.finditer(flat)]
        if not refs:
            continue
        # a reference begins with "(" or "[": no match below ends inside one, so a match over the
        # whole text that ends before a reference is the match over the text before it
        starts = sorted(
            [m.end() for m in _BULLET.finditer(flat)] + [m.end() for m in _EXCERPT.finditer(flat)]
        )
        brackets = [m.start() for m in re.finditer(r"\[", flat)]
        colons = [m.start() for m in re.finditer(":", flat)]
        sentence_ends = [m.start() for m in _SENTENCE_END.finditer(flat)]
        bracket_after: dict[int, int | None] = {}  # an item's start -> its first "[" after it
        verdicts: dict[tuple[int, int], list[str] | None] = {}
        marks = (flat, colons, sentence_ends, seen)
        for ref in refs:
            said = ref.group(0)
            named = names.get(said)
            if named is None:  # a label repeats its references: each is read once
                named = names[said] = _named(said)
            if not named:
                continue
            end = ref.start()
            i = bisect.bisect_right(starts, end)
            if i == 0:
                continue
            start = starts[i - 1]
            if start not in bracket_after:
                bracket_after[start] = _after(brackets, start, len(flat))
            cut = bracket_after[start]  # "X [see Warnings and Precautions (5.2)]"
            cut = end if cut is None or cut >= end else cut
            # the references after one item's bracket share its verdict: judged once
            words = verdicts.get((start, cut), ())
            if words == ():
                words = verdicts[(start, cut)] = _item_words(marks, start, cut)
            if words:
                for number, sub in named:
                    found.setdefault(number, {}).setdefault(sub, []).append(words)
    return found


def _caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def title_case_run(words: list[str]) -> int:
    """How many leading words form a Title Case heading by capitalisation alone ("Serious
    Infections Patients treated with ..." -> 2). A capitalised small word ("In", "The") starts a
    sentence unless the run so far ends in a small word ("Concurrent Treatment with Other Forms
    ..."); the run's last capitalised word before a lower-case word starts the body."""
    run = 0
    for i, w in enumerate(words[:24]):
        core = w.strip("()[],:;")
        if not core:
            break
        small = core.lower() in HEADING_SMALL_WORDS
        prev_small = i > 0 and words[i - 1].strip("(),").lower() in HEADING_SMALL_WORDS
        if i > 0 and small and core[0].isupper() and not prev_small:
            return run
        if core[0].isupper() or core[0].isdigit() or small or core[0] in "(-":
            run += 1
            continue
        break
    else:
        return run
    if run == len(words):
        return run
    j = run
    caps_tail = j
    while caps_tail > 0 and _caps(words[caps_tail - 1]):
        caps_tail -= 1
    small_tail = caps_tail
    while small_tail > 0 and words[small_tail - 1].strip("(),").lower() in HEADING_SMALL_WORDS:
        small_tail -= 1
    if small_tail < caps_tail and small_tail > 1:
        return small_tail - 1
    if caps_tail < j and caps_tail > 0:
        return caps_tail
    return max(j - 1, 0)


def bound_title(
    words: list[str], phrases: list[list[str]], names: Iterable[str] = ()
) -> int | None:
    """How many leading words of a subsection's flattened text are its title, or None when the
    title cannot be bounded (no cross-check, and capitalisation leaves the end open).

    ``phrases`` are the label's own names for this subsection (:func:`reference_titles`);
    ``names`` the product's names, which start a body, never end a title."""
    normal = [_norm(w) for w in words[:30]]
    best = 0
    for p in phrases:
        if len(p) > best and normal[: len(p)] == p:
            best = len(p)
    # a body that restates its heading: "Cytokine Release Syndrome Cytokine Release Syndrome ..."
    repeat = next(
        (n for n in range(1, 13) if 2 * n <= len(normal) and normal[:n] == normal[n : 2 * n]), 0
    )
    run = title_case_run(words)
    name_words = {w for n in names for w in _norm_words(n) if len(w) > 2}
    # a name followed by a lower-case word starts the body ("... Impairment Coartem is ...");
    # a name inside a heading does not ("Excessive Use of ARCAPTA NEOHALER and Use with ...")
    cut = next(
        (
            i
            for i in range(1, run + 1)
            if i + 1 < len(normal)
            and normal[i] in name_words
            and words[i + 1][:1].islower()
            and normal[i + 1] not in HEADING_SMALL_WORDS
        ),
        None,
    )
    if best:
        # the label's phrase may be shorter than the heading ("Hypersensitivity" for
        # "Hypersensitivity Reactions"): extend only over a run capitalisation agrees on
        if repeat > best:
            return repeat
        if (
            run > best
            and cut is None
            and (words[best].strip("(")[:1].islower() or words[best].startswith("("))
        ):
            return run  # the heading goes on: "Orthostatic Hypotension and Syncope"
        return best
    if repeat:
        return repeat
    if cut is not None and cut <= run:
        return cut
    if run == 0:
        return None
    small = [w.strip("()[],:;").lower() in HEADING_SMALL_WORDS for w in words[:run]]
    if small[-1]:
        # a heading does not end in "in": the sentence started at the capitalised word before
        # the small words ("Endocrine Function Increases in HbA1c ..." -> "Endocrine Function")
        k = run
        while k > 0 and small[k - 1]:
            k -= 1
        k -= 1
        return k if k > 0 and not small[k - 1] else None
    return run


def drop_excerpts(text: str) -> str:
    """Flattened text without its Highlights excerpts: from "EXCERPT:" through the bullets that
    follow it, each ending in a bare section reference ("... (5.1) ."), to the first text that is
    not such a bullet. The boxed warning's excerpt starts with its heading and "See full
    prescribing information for complete boxed warning."."""
    out = []
    pos = 0
    for m in _EXCERPT.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        p = m.end()
        full = re.compile(
            r"see full prescribing information for complete boxed warning\s*\.?", re.IGNORECASE
        ).search(text, p, p + 400)
        if full:
            p = full.end()
        first = full is None
        while True:
            rest = text[p:].lstrip()
            p = len(text) - len(rest)
            if not rest.startswith(("*", "\u2022")):
                # a lead-in right after "EXCERPT:", without a bullet ("The most common adverse
                # reactions ... (6.1).")
                ref = _BARE_REF.search(text, p, p + 600) if first else None
                sentence_end = re.compile(r"\.\s").search(text, p)
                if (
                    ref
                    and "[" not in text[p : ref.start()]
                    and (sentence_end is None or ref.start() <= sentence_end.start() + 1)
                ):
                    p = ref.end()
                    first = False
                    continue
                break
            first = False
            ref = _BARE_REF.search(text, p)
            if ref is None:
                break
            p = ref.end()
            while True:  # "(2.2)(4)" and a closing " ." belong to the bullet
                more = re.match(r"\s*(?:\.|" + _BARE_REF.pattern + r")", text[p:])
                if not more or not more.group(0).strip():
                    break
                p += more.end()
        pos = p
    out.append(text[pos:])
    return " ".join(" ".join(out).split())


_BOXED_LABEL = re.compile(r"^\s*BOXED WARNING\s*:\s*", re.IGNORECASE)
_WARNING_HEAD = re.compile(r"^WARNINGS?\s*:")


def boxed_heading(text: str) -> tuple[str, str]:
    """(title, text) of a flattened boxed warning: openFDA's "BOXED WARNING:" label dropped, the
    heading "WARNING: ..." split off, and its repetition at the start of the text dropped
    ("WARNING: X WARNING: X Patients ..."). Without a repetition the heading is the run of
    capitals after "WARNING:". A box that does not open with "WARNING" keeps all its text and
    gets no title."""
    text = " ".join(_BOXED_LABEL.sub("", text, count=1).split())
    if not _WARNING_HEAD.match(text):
        return "", text
    second = re.compile(r"\bWARNINGS?\s*:").search(text, 8)
    if second is not None and second.start() <= 400:
        title = text[: second.start()].strip()
        rest = text[second.start() :]
        squeeze = re.compile(r"\s+(?=[:,;])")
        want = squeeze.sub("", title)
        if squeeze.sub("", rest).startswith(want):
            # drop the repetition word by word (the copy may space its colon: "WARNING : X")
            n = len(want.split())
            rest = " ".join(squeeze.sub("", rest).split()[n:])
        if all(
            all(c.isupper() for c in w if c.isalpha()) or w.lower() in HEADING_SMALL_WORDS
            for w in title.split()
        ):
            return title, rest
    words = text.split()
    i = 1
    while i < len(words) and (
        _caps(words[i])
        or not any(c.isalpha() for c in words[i])
        or (words[i].lower() in HEADING_SMALL_WORDS and i + 1 < len(words) and _caps(words[i + 1]))
    ):
        i += 1
    if i < len(words) and not words[i][:1].isupper() and i > 2:
        i -= 1  # "... MALIGNANCY CIMZIA is": the last capitalised word starts the body
    return " ".join(words[:i]), " ".join(words[i:])


__all__ = [
    "all_reference_titles",
    "bound_title",
    "boxed_heading",
    "drop_excerpts",
    "reference_titles",
    "title_case_run",
]
