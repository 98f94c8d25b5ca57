"""The command line: parse, call the library, hand the result to a renderer.

Errors are turned into a message and a non-zero exit status here, in one place (:func:`main`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from rxcompare.errors import RxCompareError

app = typer.Typer(
    help="Compare the safety of two medicines from cited evidence (labels, FAERS, trials).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
label_app = typer.Typer(help="Read FDA labels (SPL XML, openFDA JSON).", no_args_is_help=True)
pack_app = typer.Typer(help="Build and inspect the knowledge pack.", no_args_is_help=True)
faers_app = typer.Typer(help="FAERS warehouse: download, ingest, status, synthetic data.", no_args_is_help=True)
app.add_typer(label_app, name="label")
app.add_typer(pack_app, name="pack")
app.add_typer(faers_app, name="faers")

out = Console()
err = Console(stderr=True)


def _write(text: str, output: Optional[Path]) -> None:
    """Write to a file (atomically enough for a report) or to standard output."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")


# ---- label commands (issue: labels) -------------------------------------------------------

# ---- pack commands (issue: labels) --------------------------------------------------------

# ---- compare and ask (issue: comparison) ---------------------------------------------------

FORMATS = ("terminal", "markdown", "json", "html")


def _render(comparison, fmt: str, width: Optional[int]) -> str:
    if fmt == "markdown":
        from rxcompare.render.markdown import render_markdown

        return render_markdown(comparison)
    if fmt == "json":
        from rxcompare.render.json import render_json

        return render_json(comparison)
    if fmt == "html":
        from rxcompare.render.html import render_html

        return render_html(comparison)
    from rxcompare.render.terminal import render_terminal

    return render_terminal(comparison, width=width or out.width, color=out.is_terminal)


def _run_compare(
    a: str, b: str, fmt: str, output: Optional[Path], factors: list[str], audience: str,
    indication: Optional[str], pack_file: Optional[Path], width: Optional[int],
    warehouse: Optional[Path] = None, online: bool = False,
) -> None:
    from rxcompare import settings
    from rxcompare.compare import compare_drugs
    from rxcompare.errors import ConfigError
    from rxcompare.resolve import resolve_pair
    from rxcompare.sources.pack import load_pack

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    pack = load_pack(pack_file or settings.PACK.get())
    da, db = resolve_pair(a, b, pack, indication=indication)
    source, missing = _postmarketing_source(warehouse, online)
    comparison = compare_drugs(
        da, db, pack, factors=tuple(factors), audience=audience, postmarketing=source,
        postmarketing_missing=missing, indication=indication,
    )
    _write(_render(comparison, fmt, width), output)


def _postmarketing_source(warehouse: Optional[Path], online: bool):
    """The post-marketing source to use, or (None, why there is none)."""
    try:
        from rxcompare.sources.postmarketing import pick_source
    except ImportError:
        return None, "this build has no post-marketing source."
    return pick_source(warehouse, online)


_FACTOR_HELP = "patient factor: prior_immunosuppressant, hbv_positive, planning_pregnancy, needle_averse"


@app.command("compare")
def compare_cmd(
    drug_a: str = typer.Argument(..., help="first medicine (brand or generic name)"),
    drug_b: str = typer.Argument(..., help="second medicine"),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal | markdown | json | html"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write to this file"),
    factor: list[str] = typer.Option([], "--factor", help=_FACTOR_HELP),
    prior_immunosuppressant: bool = typer.Option(False, "--prior-immunosuppressant"),
    hbv_positive: bool = typer.Option(False, "--hbv-positive"),
    planning_pregnancy: bool = typer.Option(False, "--planning-pregnancy"),
    needle_averse: bool = typer.Option(False, "--needle-averse"),
    audience: str = typer.Option("clinician", "--audience", help="clinician | patient"),
    indication: Optional[str] = typer.Option(None, "--indication", help="resolve/restrict by indication"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="FAERS warehouse folder"),
    online: bool = typer.Option(False, "--online", help="use openFDA for post-marketing counts"),
    pack_file: Optional[Path] = typer.Option(None, "--pack", help="a knowledge pack file"),
    width: Optional[int] = typer.Option(None, "--width", help="terminal width"),
) -> None:
    """Compare the safety of two medicines, dimension by dimension, with citations."""
    flags = {
        "prior_immunosuppressant": prior_immunosuppressant,
        "hbv_positive": hbv_positive,
        "planning_pregnancy": planning_pregnancy,
        "needle_averse": needle_averse,
    }
    factors = list(factor) + [k for k, v in flags.items() if v]
    _run_compare(drug_a, drug_b, fmt, output, factors, audience, indication, pack_file, width, warehouse, online)


@app.command("ask")
def ask_cmd(
    question: str = typer.Argument(..., help='a question such as "Is Kesimpta safer than Ocrevus?"'),
    fmt: str = typer.Option("terminal", "--format", "-f", help="terminal | markdown | json | html"),
    output: Optional[Path] = typer.Option(None, "--output", "-o"),
    audience: str = typer.Option("patient", "--audience", help="clinician | patient"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse"),
    online: bool = typer.Option(False, "--online"),
    pack_file: Optional[Path] = typer.Option(None, "--pack"),
    width: Optional[int] = typer.Option(None, "--width"),
) -> None:
    """Answer a free-text question naming two medicines with their comparison."""
    from rxcompare import settings
    from rxcompare.compare import names_in_question
    from rxcompare.sources.pack import load_pack

    pack = load_pack(pack_file or settings.PACK.get())
    a, b = names_in_question(question, pack)
    err.print(f"comparing {a} with {b}", highlight=False)
    _run_compare(a, b, fmt, output, [], audience, None, pack_file, width, warehouse, online)

# ---- faers commands (issue: FAERS warehouse) -----------------------------------------------

# ---- signals (issue: signals) --------------------------------------------------------------

# ---- serve (issue: web) --------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; rxcompare errors become a message and exit status 2.

    Usage errors are reported by the command-line parser itself (exit status 2).
    """
    try:
        app(args=argv, prog_name="rxcompare")
    except RxCompareError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
