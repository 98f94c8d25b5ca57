"""Terminal output with rich: a side-by-side table per dimension, citations as footnotes."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rxcompare.models import Comparison, Favours
from rxcompare.render.common import DISCLAIMER, cite_line, drug_title, favours_label, footnotes_for
from rxcompare.render.markdown import GRADE_WORDS

STYLE = {Favours.A: "green", Favours.B: "cyan", Favours.NONE: "white", Favours.UNCLEAR: "yellow"}


def build_renderable(comparison: Comparison) -> Group:
    c = comparison
    audience = c.audience
    notes = footnotes_for(c)
    parts = []
    v = c.verdict
    verdict = [Text(v.summary)]
    if v.patient_factors:
        verdict.append(Text("Patient factors: " + "; ".join(v.patient_factors), style="bold"))
    for name, group in ((c.a.name, v.favours_a), (c.b.name, v.favours_b)):
        verdict.append(Text(f"Favours {name} ({len(group)}):", style="bold"))
        for f in group:
            verdict.append(Text(f"  • {f.statement} {notes.marks(f)}"))
    parts.append(
        Panel(Group(*verdict), title=f"{drug_title(c, 'a')} vs {drug_title(c, 'b')}", subtitle="verdict")
    )
    for d in c.dimensions:
        table = Table(title=d.title, title_justify="left", title_style="bold", expand=True)
        table.add_column("", ratio=2, overflow="fold")
        table.add_column(c.a.name, ratio=5, overflow="fold")
        table.add_column(c.b.name, ratio=5, overflow="fold")
        table.add_column("favours", ratio=2, overflow="fold")
        statements = Text()
        for f in d.findings:
            label = Text(favours_label(f, c, audience), style=STYLE[f.favours])
            if (f.a_text or f.b_text) and f.grade.value != "absent":
                table.add_row(
                    escape(f.topic.split(".")[-1].replace("_", " ")),
                    escape(f.a_text or "—"),
                    escape(f.b_text or "—"),
                    label,
                )
            grade = GRADE_WORDS[audience][f.grade.value]
            statements.append(("! " if f.emphasis else "• ") + f"{f.statement} {notes.marks(f)}", style="bold" if f.emphasis else "")
            statements.append(f" [{favours_label(f, c, audience)}; {grade}]\n", style=STYLE[f.favours])
            for cav in f.caveats:
                statements.append(f"    {cav}\n", style="dim")
        parts.append(table if table.row_count else Text(d.title, style="bold"))
        parts.append(statements)
    foot = Text("Sources\n", style="bold")
    for i, cit in enumerate(notes.citations, 1):
        foot.append(f"[{i}] {cite_line(cit)}\n")
    parts.append(foot)
    parts.append(Text(DISCLAIMER, style="italic"))
    return Group(*parts)


def render_terminal(comparison: Comparison, width: int | None = None, color: bool = True) -> str:
    """Render to text (with ANSI colours when ``color``) at ``width`` columns."""
    console = Console(width=width or 110, record=True, force_terminal=color, color_system="standard" if color else None, file=_Null())
    console.print(build_renderable(comparison))
    return console.export_text(styles=color)


class _Null:
    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        pass
