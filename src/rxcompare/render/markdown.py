"""Markdown: the verdict, one section per dimension (a side-by-side table and the findings), sources."""

from __future__ import annotations

from rxcompare.models import Comparison, Finding
from rxcompare.render.common import (
    COMPACT_TITLE,
    DISCLAIMER,
    FULL_HINT,
    DocumentNotes,
    Footnotes,
    Said,
    cite_line,
    compact_rows,
    drug_title,
    favours_label,
    footnotes_for,
    key_phrase,
    line_favours,
    line_marks,
    row_label,
    spelling,
    summary_groups,
    with_advice,
)
from rxcompare.render.studies import (
    STUDIES_TITLE,
    publication_link,
    publication_meta,
    studies_intro,
    studies_line,
)

GRADE_WORDS = {
    "clinician": {
        "label": "label",
        "trial": "trial",
        "secondary": "secondary source, not label text",
        "postmarketing": "post-marketing",
        "absent": "no evidence",
    },
    "patient": {
        "label": "from the official labels",
        "trial": "from clinical studies",
        "secondary": "from a summary of the label, not the label itself",
        "postmarketing": "from reports after approval",
        "absent": "no information",
    },
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>") or "—"


def _finding_line(
    f: Finding, c: Comparison, notes: Footnotes, audience: str, told: set[str], once: Said
) -> str:
    grade = GRADE_WORDS[audience][f.grade.value]
    star = "**!** " if f.emphasis else ""
    statement = once.fresh(f.statement, row_label(f.topic, width=None).capitalize())
    if not statement:
        return ""  # the same pointer to what was shown above, given already
    said = with_advice(statement, once.advice(f.advice)).replace(
        "\n", "<br>"
    )  # a quoted list's line breaks, as the summary keeps them
    line = f"- {star}{said} {notes.marks(f)} — *favours: {favours_label(f, c, audience)}; {grade}*"
    if audience == "clinician":
        for e in f.estimates:
            if e.lower is not None:
                line += f" ({e.method}: {e.value:.4g}, {int(e.level * 100)}% CI {e.lower:.4g} to {e.upper:.4g})"
    for cav in f.caveats:
        if cav in told:  # each caveat once per answer
            continue
        told.add(cav)
        line += f"\n  - *{'Caveat' if audience == 'clinician' else 'Good to know'}:* {cav}"
    return line


def _studies(c: Comparison) -> list[str]:
    """The section "What studies address": where the list comes from, one item per publication."""
    out = [f"## {STUDIES_TITLE}", "", f"*{_cell(studies_intro(c.studies))}*", ""]
    for p in c.studies.publications:
        meta, link = publication_meta(p), publication_link(p)
        title = _cell(p.title).replace("[", "\\[").replace("]", "\\]")
        out.append(
            f"- “{title}”" + (f" ({_cell(meta)})" if meta else "") + (f" <{link}>" if link else "")
        )
    return out + [""] if c.studies.publications else out


def render_markdown(comparison: Comparison, full: bool = False) -> str:
    """The summary and a compact side-by-side table, or with ``full`` every dimension's table and
    findings; then the sources cited and the provenance."""
    c = comparison
    audience = c.audience
    compact = not full and c.summary is not None
    if compact:
        notes = DocumentNotes()
        for line in c.summary.lines:
            for cit in line.citations:
                notes.number(cit)
    else:
        notes = footnotes_for(c)
    a, b = drug_title(c, "a"), drug_title(c, "b")
    out = [f"# {a} vs {b}: safety comparison", "", f"> {DISCLAIMER}", ""]
    answer = c.summary.answer if c.summary else None
    out += [
        "## Summary",
        "",
        f"**{answer.text if answer else c.verdict.summary}**"
        + (f" {line_marks(answer, notes)}" if answer and answer.citations else ""),
        "",
    ]
    once = Said()  # every sentence once: a statement refers to what was shown above
    spell = spelling(audience)
    for title, lines in summary_groups(c, audience):
        out.append(f"**{title}**")
        for line in lines:
            fav = line_favours(line, c)
            once.note(line.text)
            advice = once.advice(line.advice)
            out.append(
                f"- {_cell(spell(with_advice(line.text, advice)))} {line_marks(line, notes)}".rstrip()
                + (f" — *favours {fav}*" if fav else "")
            )
        out.append("")
    if compact and audience != "patient":
        out += [f"## {COMPACT_TITLE}", "", f"| | {c.a.name} | {c.b.name} |", "|---|---|---|"]
        for f in compact_rows(c):
            out.append(
                f"| {row_label(f.topic, width=None)} | {_cell(key_phrase(f.a_text))} | "
                f"{_cell(key_phrase(f.b_text))} {notes.short_marks(f)} |"
            )
        out += ["", f"*{FULL_HINT}*", ""]
        if studies_line(c):  # one line on the studies, in the hint's paragraph
            out.insert(-1, f"*{studies_line(c)}*")
    said: set[str] = set()
    for d in () if compact else c.dimensions:
        out += [f"## {d.title}", ""]
        rows = [f for f in d.findings if (f.a_text or f.b_text) and f.grade.value != "absent"]
        cells = [(f, once.cells(f.a_text, f.b_text)) for f in rows]
        cells = [(f, x) for f, x in cells if x is not None]
        if cells:
            out += [f"| | {c.a.name} | {c.b.name} |", "|---|---|---|"]
            for f, (a_text, b_text) in cells:
                topic = row_label(f.topic, width=None)
                out.append(f"| {topic} | {_cell(a_text)} | {_cell(b_text)} |")
            out.append("")
        lines = [
            _finding_line(f, c, notes, audience, said, once)
            for f in d.findings
            if f.kind != "gap"  # the table's "not in pack" mark and the summary say it once
        ]
        out += [x for x in lines if x]
        out.append("")
    if not compact and c.studies is not None:
        out += _studies(c)
    out += ["## Sources", ""]
    out += [
        f"{i}. {notes.line(i, sections=audience != 'patient') if compact else cite_line(cit)}"
        for i, cit in enumerate(notes.citations, 1)
    ]
    out += ["", "## Provenance", ""]
    out += [f"- {k}: {val}" for k, val in c.provenance]
    return "\n".join(out) + "\n"
