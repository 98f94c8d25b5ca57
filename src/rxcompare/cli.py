"""The command line: parse, call the library, hand the result to a renderer.

Errors are turned into a message and a non-zero exit status here, in one place (:func:`main`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from rxcompare.errors import RxCompareError, UnknownDrugError

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

# ---- faers commands (issue: FAERS warehouse) -----------------------------------------------

# ---- signals (issue: signals) --------------------------------------------------------------

# ---- serve (issue: web) --------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn rxcompare errors into a message and exit status 2."""
    try:
        app(args=argv, standalone_mode=False)
    except RxCompareError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        if isinstance(exc, UnknownDrugError) and exc.suggestions:
            err.print("did you mean: " + ", ".join(exc.suggestions), highlight=False)
        raise SystemExit(2) from None
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        raise
