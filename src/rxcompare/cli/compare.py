"""``rxcompare compare`` and ``rxcompare ask``: two medicines, dimension by dimension."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rxcompare.cli.common import (
    Online,
    Output,
    PackFile,
    WarehouseDir,
    Width,
    check_format,
    err,
    load_pack,
    out,
    output_format,
    write_output,
)

FORMATS = (
    "terminal",
    "text",
    "markdown",
    "json",
    "html",
)  # text: the terminal's table, without colour
BY_SUFFIX = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}
FormatOption = typer.Option(
    None,
    "--format",
    "-f",
    show_default=False,
    help="terminal | text | markdown | json | html \\[default: terminal; with -o, the file name's: "
    ".md, .json, .html, .txt]",
)
FullOption = typer.Option(
    False,
    "--full",
    help="the whole evidence, dimension by dimension (terminal, markdown); "
    "by default the summary and a compact side-by-side table",
)


def _render(comparison, fmt: str, width: Optional[int], full: bool = False) -> str:
    if fmt == "markdown":
        from rxcompare.render.markdown import render_markdown

        return render_markdown(comparison, full=full)
    if fmt == "json":
        from rxcompare.render.json import render_json

        return render_json(comparison)
    if fmt == "html":
        from rxcompare.render.html import render_html

        return render_html(comparison)
    from rxcompare.render.terminal import render_terminal

    return render_terminal(
        comparison, width=width or out.width, color=out.is_terminal and fmt == "terminal", full=full
    )


def run_compare(
    a: str,
    b: str,
    fmt: Optional[str],
    output: Optional[Path],
    factors: list[str],
    audience: str,
    indication: Optional[str],
    pack_file: Optional[Path],
    width: Optional[int],
    warehouse: Optional[Path] = None,
    online: bool = False,
    full: bool = False,
) -> None:
    """Compare the two names on every source at hand (:func:`rxcompare.comparison.compare`), render,
    write."""
    from rxcompare.comparison import compare

    fmt = output_format(fmt, output, BY_SUFFIX, "terminal")
    check_format(fmt, FORMATS)
    if output is not None and fmt == "terminal":
        fmt = "text"  # no colour codes in a file
    comparison = compare(
        a,
        b,
        pack=load_pack(pack_file),
        factors=tuple(factors),
        audience=audience,
        indication=indication,
        online=online,
        warehouse=warehouse,
    )
    write_output(_render(comparison, fmt, width, full), output)


_FACTOR_HELP = (
    "patient factor: prior_immunosuppressant, hbv_positive, planning_pregnancy, needle_averse"
)


def compare_cmd(
    drug_a: str = typer.Argument(..., help="first medicine (brand or generic name)"),
    drug_b: str = typer.Argument(..., help="second medicine"),
    fmt: Optional[str] = FormatOption,
    output: Output = None,
    factor: list[str] = typer.Option([], "--factor", help=_FACTOR_HELP),
    prior_immunosuppressant: bool = typer.Option(False, "--prior-immunosuppressant"),
    hbv_positive: bool = typer.Option(False, "--hbv-positive"),
    planning_pregnancy: bool = typer.Option(False, "--planning-pregnancy"),
    needle_averse: bool = typer.Option(False, "--needle-averse"),
    audience: str = typer.Option("clinician", "--audience", help="clinician | patient"),
    indication: Optional[str] = typer.Option(
        None, "--indication", help="resolve/restrict by indication"
    ),
    warehouse: WarehouseDir = None,
    online: Online = False,
    pack_file: PackFile = None,
    width: Width = None,
    full: bool = FullOption,
) -> None:
    """Compare the safety of two medicines, dimension by dimension, with citations."""
    flags = {
        "prior_immunosuppressant": prior_immunosuppressant,
        "hbv_positive": hbv_positive,
        "planning_pregnancy": planning_pregnancy,
        "needle_averse": needle_averse,
    }
    factors = list(factor) + [k for k, v in flags.items() if v]
    run_compare(
        drug_a,
        drug_b,
        fmt,
        output,
        factors,
        audience,
        indication,
        pack_file,
        width,
        warehouse,
        online,
        full,
    )


def ask_cmd(
    question: list[str] = typer.Argument(
        ..., help='a question such as "Is Kesimpta safer than Ocrevus?" (quoted or not)'
    ),
    fmt: Optional[str] = FormatOption,
    output: Output = None,
    audience: str = typer.Option("patient", "--audience", help="clinician | patient"),
    warehouse: WarehouseDir = None,
    online: Online = False,
    pack_file: PackFile = None,
    width: Width = None,
    full: bool = FullOption,
) -> None:
    """Answer a free-text question naming two medicines with their comparison."""
    from rxcompare.comparison import names_in_question

    a, b = names_in_question(" ".join(question), load_pack(pack_file))
    err.print(f"comparing {a} with {b}", highlight=False)
    run_compare(a, b, fmt, output, [], audience, None, pack_file, width, warehouse, online, full)
