"""Markdown: the verdict, one section per dimension (a side-by-side table and the findings), sources."""

from __future__ import annotations

from rxcompare.models import Comparison, Finding
from rxcompare.render.common import (
    DISCLAIMER,
    Footnotes,
    cite_line,
    drug_title,
    favours_label,
    footnotes_for,
)

GRADE_WORDS = {
    "clinician": {"label": "label", "trial": "trial", "postmarketing": "post-marketing", "absent": "no evidence"},
    "patient": {
        "label": "from the official labels",
        "trial": "from clinical studies",
        "postmarketing": "from reports after approval",
        "absent": "no information",
    },
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>") or "—"


def _finding_line(f: Finding, c: Comparison, notes: Footnotes, audience: str) -> str:
    grade = GRADE_WORDS[audience][f.grade.value]
    star = "**!** " if f.emphasis else ""
    line = f"- {star}{f.statement} {notes.marks(f)} — *favours: {favours_label(f, c, audience)}; {grade}*"
    if audience == "clinician":
        for e in f.estimates:
            if e.lower is not None:
                line += f" ({e.method}: {e.value:.4g}, {int(e.level * 100)}% CI {e.lower:.4g} to {e.upper:.4g})"
    for cav in f.caveats:
        line += f"\n  - *{'Caveat' if audience == 'clinician' else 'Good to know'}:* {cav}"
    return line


def render_markdown(comparison: Comparison) -> str:
    c = comparison
    audience = c.audience
    notes = footnotes_for(c)
    a, b = drug_title(c, "a"), drug_title(c, "b")
    out = [f"# {a} vs {b}: safety comparison", "", f"> {DISCLAIMER}", ""]
    v = c.verdict
    out += ["## Verdict", "", v.summary, ""]
    if v.patient_factors:
        out += ["Patient factors given: " + "; ".join(v.patient_factors) + ".", ""]
    for title, group in ((f"Favours {c.a.name}", v.favours_a), (f"Favours {c.b.name}", v.favours_b)):
        out.append(f"**{title}** ({len(group)})")
        out += [f"- {f.statement} {notes.marks(f)}" for f in group] or ["- none"]
        out.append("")
    for d in c.dimensions:
        out += [f"## {d.title}", ""]
        rows = [f for f in d.findings if (f.a_text or f.b_text) and f.grade.value != "absent"]
        if rows:
            out += [f"| | {c.a.name} | {c.b.name} |", "|---|---|---|"]
            for f in rows:
                topic = f.topic.split(".")[-1].replace("_", " ")
                out.append(f"| {topic} | {_cell(f.a_text)} | {_cell(f.b_text)} |")
            out.append("")
        out += [_finding_line(f, c, notes, audience) for f in d.findings]
        out.append("")
    out += ["## Sources", ""]
    out += [f"{i}. {cite_line(cit)}" for i, cit in enumerate(notes.citations, 1)]
    out += ["", "## Provenance", ""]
    out += [f"- {k}: {val}" for k, val in c.provenance]
    return "\n".join(out) + "\n"
