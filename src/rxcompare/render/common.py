"""What every renderer shares: footnote numbering, citation lines, favours labels.

Renderers see only models. They round numbers; the records keep full precision.
"""

from __future__ import annotations

import re

from rxcompare.models import NOT_IN_PACK, Citation, Comparison, Favours, Finding, SummaryLine

DISCLAIMER = (
    "rxcompare summarises cited evidence. It is not medical advice and not a causality assessment; "
    "decisions about treatment belong to patients and their clinicians."
)


# What each kind of document read is (models.Citation.source_class); the label itself needs no note.
SOURCE_CLASS_NOTES = {
    "label-copy": "a copy of the label's text published by a third party",
    "patient-labelling": "patient labelling (Medication Guide), not prescribing information",
    "secondary": "secondary source: not the label's own text",
    "registry": "results posted on ClinicalTrials.gov by the trial's sponsor or investigator: not label text",
    "eu-label": "a regulator's text of another jurisdiction than the US label (or a verbatim copy): shown apart, never merged",
    "publication": "a trial registry record or peer-reviewed publication: not label text",
}


def source_mark(c: Citation) -> str:
    """The mark that opens a citation line of a class a reader must tell apart at a glance: the
    jurisdiction of an EU/UK/Swiss text ("[EU label]"), "[publication]"; "" for the others."""
    if c.source_class == "eu-label":
        return f"[{c.jurisdiction or 'EU'} label]"
    if c.source_class == "publication":
        return "[publication]"
    return ""


class Footnotes:
    """Numbers citations in order of first use."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self.citations: list[Citation] = []

    def number(self, c: Citation) -> int:
        if c.key not in self._numbers:
            self.citations.append(c)
            self._numbers[c.key] = len(self.citations)
        return self._numbers[c.key]

    def refs(self, finding: Finding) -> list[int]:
        return [self.number(c) for c in finding.citations]

    def marks(self, finding: Finding) -> str:
        return "".join(f"[{n}]" for n in self.refs(finding))


def footnotes_for(comparison: Comparison) -> Footnotes:
    """Footnotes numbered in reading order: the summary first, then the findings."""
    notes = Footnotes()
    if comparison.summary is not None:
        for line in comparison.summary.lines:
            for c in line.citations:
                notes.number(c)
    for f in comparison.findings:
        notes.refs(f)
    return notes


def favoured_name(favours: Favours, comparison: Comparison) -> str:
    """The name of the drug a finding or summary line favours, or "" when it favours neither."""
    if favours is Favours.A:
        return comparison.a.name
    if favours is Favours.B:
        return comparison.b.name
    return ""


def favours_label(f: Finding, comparison: Comparison, audience: str = "clinician") -> str:
    if f.favours in (Favours.A, Favours.B):
        return favoured_name(f.favours, comparison)
    if f.favours is Favours.NONE:
        return "neither"
    return "cannot tell"


def cite_line(c: Citation, url: bool = True) -> str:
    """One footnote line: what, where, which version and date (and the address, unless ``url``
    is False: a page shows it as a link), opened by the document's mark when it is an EU/UK/Swiss
    text or a publication."""
    mark = source_mark(c)
    parts = [f"{mark} {c.title}" if mark else c.title]
    if c.section:
        parts.append(f"section {c.heading}")
    if c.set_id and not mark:  # an EU text or a publication is not the US label the set id names
        parts.append(f"set id {c.set_id}")
    if c.version:
        parts.append(c.version if c.version.startswith("version") else f"version {c.version}")
    if c.effective_date:
        parts.append(f"effective {c.effective_date}")
    for k, v in c.detail:
        parts.append(f"{k}: {v}")
    if c.source_class in SOURCE_CLASS_NOTES:
        parts.append(SOURCE_CLASS_NOTES[c.source_class])
    if c.curated:
        parts.append("entered by hand from this document")
    if c.url and url:
        parts.append(c.url)
    return "; ".join(parts)


def drug_title(comparison: Comparison, side: str) -> str:
    d = comparison.a if side == "a" else comparison.b
    p = d.product
    return f"{p.brand} ({p.ingredient})"


# The summary's headings (renderer words; the lines themselves come from the comparison).
SUMMARY_GROUPS = (
    ("notices", "Read first", "Read first"),
    ("differs", "What differs", "What is different"),
    ("figures", "Figures against each trial's own comparator", "Numbers from the studies"),
    # "both", not "both labels": a shared point may rest on a secondary summary (each line names its
    # documents)
    ("shared", "What both share", "What both say"),
    ("cannot_tell", "What this comparison cannot tell", "What we cannot tell from this"),
    ("coverage", "What the pack holds", "What information we have"),
)

# Short row labels of the side-by-side tables (topic keys' last part -> label), so that a label
# fits a narrow first column without splitting mid-word.
ROW_LABELS = {
    "administered_by": "given by",
    "antibody_type": "antibody",
    "administration_reactions": "reactions",
    "serious_infections": "serious inf.",
    "immunoglobulins": "Ig levels",
    "contraindication": "contraind.",
    "during_treatment": "during use",
    "observation": "observation",
    "premedication": "premed.",
    "maintenance": "maintenance",
    "infusion_duration": "duration",
    "boxed_warning": "boxed",
    "fetal_risk": "fetal risk",
    "contraception": "contracept.",
    "planning_pregnancy": "pregnancy",
    "liver_injury": "liver",
    "non_live": "non-live",
    "administrations": "doses",
    "visits": "visits",
    "no_head_to_head": "trials",
    "missed_dose": "missed dose",
    "convenience": "convenience",
    "monitoring": "monitoring",
    "infections": "infections",
    "malignancy": "malignancy",
    "indication": "indication",
}


ROW_LABEL_WIDTH = 12


def row_label(topic: str, width: int | None = ROW_LABEL_WIDTH) -> str:
    """The label of a topic's row. With a ``width`` (the terminal's fixed first column): the short
    label, at most ``width`` characters, a longer name abbreviated with a full stop, never cut
    silently; without one (Markdown, HTML): the topic's whole name."""
    last = topic.split(".")[-1]
    whole = last.replace("_", " ")
    if width is None:
        return whole
    label = ROW_LABELS.get(last, whole)
    return label if len(label) <= width else label[: width - 1].rstrip() + "."


def summary_groups(comparison: Comparison, audience: str = "clinician"):
    """(title, lines) of the summary, in order, without empty groups."""
    s = comparison.summary
    if s is None:
        return []
    out = []
    for key, clinician, patient in SUMMARY_GROUPS:
        lines = getattr(s, key)
        if lines:
            out.append((patient if audience == "patient" else clinician, lines))
    return out


def line_marks(line: SummaryLine, notes: Footnotes) -> str:
    return "".join(f"[{n}]" for n in dict.fromkeys(notes.number(c) for c in line.citations))


def line_favours(line: SummaryLine, comparison: Comparison) -> str:
    return favoured_name(line.favours, comparison)


def with_advice(text: str, advice: str) -> str:
    """A statement with the command-line advice that goes with it (terminal and Markdown; a web
    page shows no command)."""
    return f"{text} {advice}" if advice else text


def is_gap_cell(text: str) -> bool:
    return text == NOT_IN_PACK


# ---- the compact answer (the default): one short line per topic per drug -------------------

COMPACT_TITLE = (
    "Side by side (each drug's own words or figure, shortened; --full for the whole evidence)"
)
FULL_HINT = (
    "The whole evidence, dimension by dimension: --full (terminal, Markdown) or the HTML report."
)
KEY_PHRASE = 48  # characters of a cell kept in the compact table

# the short mark of each kind of document in a compact source line (the label itself has none)
SOURCE_CLASS_MARKS = {
    "label-copy": "label copy",
    "patient-labelling": "patient labelling",
    "secondary": "secondary",
    "registry": "registry results",
    "eu-label": "another jurisdiction's label",
    "publication": "publication",
}


def compact_rows(comparison: Comparison) -> list[Finding]:
    """The findings of the compact table: one per topic, with something to show for at least one
    drug (not two marks of absence), in dimension order; a row whose two cells an earlier row
    already shows is left out, and so is a topic the summary's differences state for both drugs
    (said once, above the table)."""
    summary = comparison.summary
    rows, cells = [], set()
    seen = {x.topic for x in summary.differs} if summary is not None else set()
    for f in comparison.findings:
        if f.topic in seen or f.dimension in ("patient_factors", "postmarketing", "convenience"):
            continue
        if f.kind == "describes" and f.dimension != "mechanism":
            continue  # statements shown apart (another jurisdiction's label): in the full evidence
        if not (f.a_text or f.b_text) or (
            is_gap_cell(f.a_text or NOT_IN_PACK) and is_gap_cell(f.b_text or NOT_IN_PACK)
        ):
            continue
        pair = (key_phrase(f.a_text), key_phrase(f.b_text))
        if pair in cells:
            continue
        seen.add(f.topic)
        cells.add(pair)
        rows.append(f)
    return rows


class DocumentNotes(Footnotes):
    """Footnotes numbered per document read (not per section): the compact answer's sources, each
    line naming the sections cited from that document."""

    def __init__(self) -> None:
        super().__init__()
        self._sections: dict[int, list[str]] = {}

    def number(self, c: Citation) -> int:
        # one document, one number: a page at one address cited for both drugs is one source
        # (its citations carry each drug's set id)
        owner = "" if c.url else c.set_id
        key = "|".join(str(x) for x in (c.kind, owner, c.version, c.url, c.title))
        if key not in self._numbers:
            self.citations.append(c)
            self._numbers[key] = len(self.citations)
        n = self._numbers[key]
        # a numbered section by its number alone ("5.2"); a document's own headings are in --full
        where = c.section if c.section and c.section[:1].isdigit() else ""
        if where and where not in self._sections.setdefault(n, []):
            self._sections[n].append(where)
        return n

    def marks(self, finding: Finding) -> str:
        return "".join(f"[{n}]" for n in dict.fromkeys(self.refs(finding)))

    def short_marks(self, finding: Finding) -> str:
        """The refs of a compact table row as one mark, in number order: "[1,4,9]"."""
        return "[" + ",".join(str(n) for n in sorted(set(self.refs(finding)))) + "]"

    def line(self, n: int, sections: bool = True, width: int | None = None) -> str:
        """Source ``n`` in one short line (of at most ``width`` characters where its title can be
        shortened that far); ``sections`` False leaves out the section numbers (a patient's
        answer)."""
        return cite_short(
            self.citations[n - 1], self._sections.get(n, ()) if sections else [], width
        )


SOURCE_TITLE = 52  # characters of a document's title kept in a compact source line
SOURCE_SECTIONS = 6  # section numbers named in a compact source line (the rest counted)


def cite_short(c: Citation, sections=None, width: int | None = None) -> str:
    """A compact source line: the document (its title shortened, further when the line would be
    longer than ``width``, down to 24 characters), the sections cited, the version it shows
    (without its explanation), its kind and the site it was read on. The whole line, with the
    address and the version's explanation, is in --full and the other formats."""
    limit = SOURCE_TITLE
    line = _cite_short(c, sections, limit)
    while width and len(line) > width and limit > 24:
        limit = max(24, limit - max(len(line) - width, 4))
        line = _cite_short(c, sections, limit)
    return line


def _cite_short(c: Citation, sections, limit: int) -> str:
    mark = source_mark(c)
    title = key_phrase(c.title, limit)
    parts = [f"{mark} {title}" if mark else title]
    heads = list(sections) if sections is not None else ([c.heading] if c.section else [])
    if heads:
        shown = ", ".join(heads[:SOURCE_SECTIONS])
        if len(heads) > SOURCE_SECTIONS:
            shown += f" and {len(heads) - SOURCE_SECTIONS} more"
        parts.append(("§" if len(heads) == 1 else "§§") + shown)
    if c.version:
        parts.append(short_version(c.version))
    if c.source_class in SOURCE_CLASS_MARKS and not mark:
        parts.append(SOURCE_CLASS_MARKS[c.source_class])
    if c.url:
        host = c.url.split("//", 1)[-1].split("/", 1)[0].removeprefix("www.")
        if host and host.lower() not in title.lower():
            parts.append(host)
    return "; ".join(parts)


def short_version(version: str) -> str:
    """A citation's version without the explanation in brackets after it ("rev 2024-01-25
    (DailyMed update; ...)" -> "version rev 2024-01-25"); "version not shown" stays as it is."""
    v = version if version.startswith("version") else f"version {version}"
    if v.startswith("version not shown"):
        return "version not shown"
    return v.split(" (", 1)[0].split("; ", 1)[0]


def key_phrase(text: str, limit: int = KEY_PHRASE) -> str:
    """A cell's first line, cut at a word boundary with an ellipsis when longer than ``limit``
    (the whole text is in --full)."""
    first = (text or "—").strip().splitlines()[0] if (text or "").strip() else "—"
    if len(first) <= limit and "\n" not in (text or "").strip():
        return first
    cut = first[:limit].rsplit(" ", 1)[0] if len(first) > limit else first
    if cut.count("(") > cut.count(")"):  # never stop inside a bracket: before it
        cut = cut[: cut.rindex("(")] if len(cut[: cut.rindex("(")].strip()) >= 12 else cut
    return cut.rstrip(" ,;:(") + "…"


# ---- every sentence once ----------------------------------------------------------------------

ONCE_MIN = 40  # characters: shorter sentences (a dose, "not in pack") may repeat
_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"’)]*\s+")
SAID_ABOVE = "as shown above"


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` longer than :data:`ONCE_MIN` characters, without the quotation
    marks around them."""
    out = []
    for part in _SENTENCE_END.split(" ".join((text or "").split())):
        part = part.strip().strip('“”"')
        if len(part) > ONCE_MIN:
            out.append(part)
    return out


class Said:
    """What an answer has said so far, so that a statement refers to a sentence already shown
    (in the summary, a table cell or an earlier statement) instead of repeating it: issue 25,
    every sentence once. Advice (a command) is given once per answer too."""

    def __init__(self) -> None:
        self._sentences: dict[str, None] = {}
        self._advice: set[str] = set()
        self._pointers: set[str] = set()

    def note(self, *texts: str) -> None:
        for text in texts:
            for s in sentences(text):
                self._sentences.setdefault(s, None)

    def fresh(self, text: str, label: str | None = None) -> str:
        """``text`` with every sentence said before replaced by an ellipsis; when nothing of
        substance is left, "``label``: as shown above." (a statement: "" when that pointer was
        given already) or "as shown above" (a cell, ``label`` None). Then what it says is noted."""
        flat = " ".join((text or "").split())
        out, cut = flat, False
        for s in sentences(flat):
            if s in self._sentences:
                out, cut = out.replace(s, "…"), True
        if not cut:
            self.note(text)
            return text
        out = re.sub(r"…(\s*…)+", "…", out)
        rest = re.sub(r"[“”\"…—:;,.\s]+", " ", out).strip()
        if len(rest) <= ONCE_MIN or not sentences(rest + "."):
            if label is None:
                return SAID_ABOVE
            head = label or re.split(r" — |: ", flat, maxsplit=1)[0][:ONCE_MIN]
            out = f"{head}: {SAID_ABOVE}."
            if out in self._pointers:
                return ""
            self._pointers.add(out)
            return out
        self.note(out)
        return out

    def cells(self, a_text: str, b_text: str) -> tuple[str, str] | None:
        """A table row's two cells through :meth:`fresh`; None when neither says anything not shown
        above (the row is left out)."""
        a, b = self.fresh(a_text), self.fresh(b_text)
        if SAID_ABOVE in (a, b) and {a, b} <= {SAID_ABOVE, "", "—"}:
            return None
        return a, b

    def advice(self, advice: str) -> str:
        """``advice`` the first time it is given, "" after."""
        if not advice or advice in self._advice:
            return ""
        self._advice.add(advice)
        return advice


# ---- a patient's answer: abbreviations spelled out once ---------------------------------------

# general medical abbreviations (words, not facts about a medicine) and what they stand for
ABBREVIATIONS = {
    "HBV": "hepatitis B virus",
    "HBsAg": "hepatitis B surface antigen",
    "HBcAb": "hepatitis B core antibody",
    "PML": "progressive multifocal leukoencephalopathy, a rare brain infection",
    "MS": "multiple sclerosis",
    "RMS": "relapsing multiple sclerosis",
    "PPMS": "primary progressive multiple sclerosis",
    "IgM": "immunoglobulin M, an antibody",
    "IgG": "immunoglobulin G, an antibody",
    "CBC": "complete blood count",
    "RA": "rheumatoid arthritis",
    "TNF": "tumour necrosis factor",
    "EU": "European Union",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b")


class SpelledOut:
    """Spells out each abbreviation of :data:`ABBREVIATIONS` the first time a patient's answer
    uses it: "HBV (hepatitis B virus)", or inside a quotation "HBV [hepatitis B virus]" (an
    editor's insertion, so the label's words stay its own)."""

    def __init__(self) -> None:
        self._done: set[str] = set()

    def __call__(self, text: str) -> str:
        out, last = [], 0
        for m in _ABBREVIATION.finditer(text):
            abbr = m.group(1)
            if abbr in self._done:
                continue
            self._done.add(abbr)
            meaning = ABBREVIATIONS[abbr]
            if meaning.split(",")[0].lower() in text.lower():
                continue  # the text names it in words already
            quoted = text.count("“", 0, m.start()) > text.count("”", 0, m.start())
            out.append(text[last : m.end()] + (f" [{meaning}]" if quoted else f" ({meaning})"))
            last = m.end()
        return "".join(out) + text[last:]


def spelling(audience: str):
    """What a summary line's text goes through before it is shown: a patient's answer spells
    abbreviations out once (:class:`SpelledOut`); a clinician's is shown as it is."""
    return SpelledOut() if audience == "patient" else str
