"""What every renderer shares: footnote numbering, citation lines, favours labels.

Renderers see only models. They round numbers; the records keep full precision.
"""

from __future__ import annotations

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
}


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


def cite_line(c: Citation) -> str:
    """One footnote line: what, where, which version and date."""
    parts = [c.title]
    if c.section:
        parts.append(f"section {c.heading}")
    if c.set_id:
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
    if c.url:
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
    # "both", not "both labels": a shared point may rest on a secondary summary (each line names its
    # documents)
    ("shared", "What both share", "What both say"),
    ("cannot_tell", "What this comparison cannot tell", "What we cannot tell from this"),
    ("coverage", "What the pack holds", "What information we have"),
)

# Short row labels of the side-by-side tables (topic keys' last part -> label), so that a label
# fits a narrow first column without splitting mid-word.
ROW_LABELS = {
    "administered_by": "given by", "antibody_type": "antibody", "administration_reactions": "reactions",
    "serious_infections": "serious inf.", "immunoglobulins": "Ig levels", "contraindication": "contraind.",
    "during_treatment": "during use", "observation": "observation", "premedication": "premed.",
    "maintenance": "maintenance", "infusion_duration": "duration", "boxed_warning": "boxed",
    "fetal_risk": "fetal risk", "contraception": "contracept.", "planning_pregnancy": "pregnancy", "liver_injury": "liver",
    "non_live": "non-live", "administrations": "doses", "visits": "visits", "no_head_to_head": "trials",
    "missed_dose": "missed dose", "convenience": "convenience", "monitoring": "monitoring",
    "infections": "infections", "malignancy": "malignancy", "indication": "indication",
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
    return "".join(f"[{notes.number(c)}]" for c in line.citations)


def line_favours(line: SummaryLine, comparison: Comparison) -> str:
    return favoured_name(line.favours, comparison)


def is_gap_cell(text: str) -> bool:
    return text == NOT_IN_PACK
