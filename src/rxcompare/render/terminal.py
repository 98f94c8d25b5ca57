"""Terminal output with rich: a side-by-side table per dimension, citations as footnotes."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rxcompare.models import Comparison, Favours
from rxcompare.render.common import (
    COMPACT_TITLE,
    DISCLAIMER,
    FULL_HINT,
    ROW_LABEL_WIDTH,
    DocumentNotes,
    Footnotes,
    Said,
    cite_line,
    compact_rows,
    drug_title,
    favours_label,
    footnotes_for,
    is_gap_cell,
    key_phrase,
    line_favours,
    line_marks,
    row_label,
    spelling,
    summary_groups,
    with_advice,
)
from rxcompare.render.markdown import GRADE_WORDS
from rxcompare.render.studies import (
    STUDIES_TITLE,
    publication_link,
    publication_meta,
    studies_intro,
    studies_line,
)

STYLE = {Favours.A: "green", Favours.B: "cyan", Favours.NONE: "white", Favours.UNCLEAR: "yellow"}


def _summary_panel(c: Comparison, notes, said: Said | None = None) -> Panel:
    said = said or Said()
    spell = spelling(c.audience)
    body = [Text(c.summary.answer.text if c.summary else c.verdict.summary, style="bold")]
    for title, lines in summary_groups(c, c.audience):
        body.append(Text(""))
        body.append(Text(title, style="bold underline"))
        for line in lines:
            said.note(line.text)
            advice = said.advice(line.advice)
            text = spell(with_advice(line.text, advice))
            t = Text(f"• {text} {line_marks(line, notes)}".rstrip())
            fav = line_favours(line, c)
            if fav:
                t.append(f" [favours {fav}]", style="green")
            body.append(t)
    return Panel(
        Group(*body), title=f"{drug_title(c, 'a')} vs {drug_title(c, 'b')}", subtitle="summary"
    )


def _compact(c: Comparison, width: int | None = None) -> Group:
    """The summary, then one short line per topic per drug, then the sources those cite."""
    notes = DocumentNotes()
    for line in c.summary.lines if c.summary else ():
        for cit in line.citations:
            notes.number(cit)
    parts = [_summary_panel(c, notes)]
    table = Table(title=COMPACT_TITLE, title_justify="left", title_style="bold", expand=True)
    table.add_column("", width=ROW_LABEL_WIDTH + 2, overflow="fold")
    table.add_column(c.a.name, ratio=1, overflow="fold")
    table.add_column(c.b.name, ratio=1, overflow="fold")
    # a patient's answer is the summary alone; the side-by-side cells are the labels' own words
    for f in compact_rows(c) if c.audience != "patient" else ():
        marks = notes.short_marks(f)
        table.add_row(  # the refs under the row's label: the cells keep their two lines
            Text(f"{row_label(f.topic)}\n{marks}"),
            Text(key_phrase(f.a_text), style="dim" if is_gap_cell(f.a_text) else ""),
            Text(key_phrase(f.b_text), style="dim" if is_gap_cell(f.b_text) else ""),
        )
    if table.row_count:
        parts.append(table)
    if c.audience != "patient":
        parts.append(Text(FULL_HINT, style="dim"))
    if studies_line(c):  # at most one line on the studies; --full lists them
        parts.append(Text(studies_line(c), style="dim"))
    foot = Text("Sources\n", style="bold")
    for i in range(1, len(notes.citations) + 1):
        line = notes.line(i, c.audience != "patient", width - len(f"[{i}] ") if width else None)
        foot.append(f"[{i}] {line}\n")
    parts.append(foot)
    parts.append(Text(DISCLAIMER, style="italic"))
    return Group(*parts)


def _sources(notes: Footnotes) -> Text:
    foot = Text("Sources\n", style="bold")
    for i, cit in enumerate(notes.citations, 1):
        foot.append(f"[{i}] {cite_line(cit)}\n")
    return foot


def build_renderable(comparison: Comparison, full: bool = False, width: int | None = None) -> Group:
    c = comparison
    if not full and c.summary is not None:
        return _compact(c, width)
    audience = c.audience
    notes = footnotes_for(c)
    said = Said()  # every sentence once: a statement refers to what the summary or a cell said
    parts = [_summary_panel(c, notes, said)]
    told: set[str] = set()  # each caveat once per answer
    for d in c.dimensions:
        table = Table(title=d.title, title_justify="left", title_style="bold", expand=True)
        table.add_column("", no_wrap=True, width=12)
        table.add_column(c.a.name, ratio=5, overflow="fold")
        table.add_column(c.b.name, ratio=5, overflow="fold")
        table.add_column("favours", ratio=2, overflow="fold")
        statements = Text()
        for f in d.findings:
            label = Text(favours_label(f, c, audience), style=STYLE[f.favours])
            if (f.a_text or f.b_text) and f.grade.value != "absent":
                cells = said.cells(f.a_text, f.b_text)
                if cells is None:
                    continue
                a_text, b_text = cells
                table.add_row(
                    escape(row_label(f.topic)),
                    Text(a_text or "—", style="dim" if is_gap_cell(a_text) else ""),
                    Text(b_text or "—", style="dim" if is_gap_cell(b_text) else ""),
                    label,
                )
        for f in d.findings:
            if f.kind == "gap":  # the table's "not in pack" mark and the summary say it once
                continue
            grade = GRADE_WORDS[audience][f.grade.value]
            statement = said.fresh(f.statement, row_label(f.topic, width=None).capitalize())
            if not statement:
                continue  # the same pointer to what was shown above, given already
            statements.append(
                ("! " if f.emphasis else "• ")
                + f"{with_advice(statement, said.advice(f.advice))} {notes.marks(f)}",
                style="bold" if f.emphasis else "",
            )
            statements.append(
                f" [{favours_label(f, c, audience)}; {grade}]\n", style=STYLE[f.favours]
            )
            for cav in f.caveats:
                if cav not in told:
                    told.add(cav)
                    statements.append(f"    {cav}\n", style="dim")
        parts.append(table if table.row_count else Text(d.title, style="bold"))
        if statements:
            parts.append(statements)
    if c.studies is not None:
        parts.append(_studies(c))
    parts.append(_sources(notes))
    parts.append(Text(DISCLAIMER, style="italic"))
    return Group(*parts)


def _studies(c: Comparison) -> Text:
    """What studies address the pair: where the list comes from, then one entry per publication."""
    out = Text(STUDIES_TITLE + "\n", style="bold")
    out.append(studies_intro(c.studies) + "\n", style="dim")
    for p in c.studies.publications:
        out.append(f"• “{p.title}”")
        meta, link = publication_meta(p), publication_link(p)
        out.append(f" ({meta})" if meta else "", style="dim")
        out.append(f" {link}\n" if link else "\n")
    return out


def render_terminal(
    comparison: Comparison, width: int | None = None, color: bool = True, full: bool = False
) -> str:
    """Render to text (with ANSI colours when ``color``) at ``width`` columns: the summary and a
    compact side-by-side table, or with ``full`` every dimension's findings."""
    console = Console(
        width=width or 110,
        record=True,
        force_terminal=color,
        color_system="standard" if color else None,
        file=_Null(),
    )
    console.print(build_renderable(comparison, full=full, width=console.width))
    return console.export_text(styles=color)


class _Null:
    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        pass
