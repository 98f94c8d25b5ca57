"""The command line: parse, call the library, hand the result to a renderer.

One module per command group, each a thin parse-call-render layer: :mod:`.compare` (compare, ask),
:mod:`.trials`, :mod:`.label`, :mod:`.pack`, :mod:`.faers`, :mod:`.signals`, :mod:`.serve`; the options
they share and the two consoles live in :mod:`.common`. Heavy libraries are imported inside the
commands that use them, so that ``rxcompare --help`` and ``compare`` start fast. Errors become a
message and a non-zero exit status here, in one place (:func:`main`).

Exit status: 0 done; 1 the command could not do its work (an unknown medicine, a file or service
that cannot be read, a question that cannot be answered); 2 a usage error (an option or setting
that cannot be used: the parser's own errors and :class:`~rxcompare.errors.ConfigError`); 130
interrupted.
"""

from __future__ import annotations

import gc
import os

import typer
from rich.markup import escape

from rxcompare.cli import compare, faers, label, pack, serve, signals, trials
from rxcompare.cli.common import err
from rxcompare.errors import ConfigError, RxCompareError

FAILURE = 1  # the command could not do its work
USAGE = 2  # an option or setting that cannot be used (as the parser's own usage errors)

app = typer.Typer(
    help="Compare the safety of two medicines from cited evidence (labels, FAERS, trials).",
    no_args_is_help=True,
    add_completion=True,  # typer's --install-completion / --show-completion
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from rxcompare import __version__

        typer.echo(f"rxcompare {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Compare the safety of two medicines from cited evidence (labels, FAERS, trials)."""


def exit_status(exc: RxCompareError) -> int:
    """2 for a usage error (:class:`ConfigError`), 1 for everything else that went wrong."""
    return USAGE if isinstance(exc, ConfigError) else FAILURE


app.command("compare")(compare.compare_cmd)
app.command("ask")(compare.ask_cmd)
app.command("trials")(trials.trials_cmd)
app.add_typer(label.app, name="label")
app.add_typer(pack.app, name="pack")
app.add_typer(faers.app, name="faers")
app.command("signals")(signals.signals_cmd)
app.command("serve")(serve.serve_cmd)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; rxcompare errors become a message and an exit status
    (:func:`exit_status`: 2 for a usage error, 1 otherwise; the parser's own errors are 2).

    OpenBLAS runs on one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise: the only BLAS
    work here is the MGPS fit's five-parameter L-BFGS-B steps and dot products over at most
    20,000 points, where a pool of threads costs far more than it gives (on CAERS, 0.12 s of
    statistics on one thread against 0.5-1.3 s on two busy cores; the same prior to the last
    digit). The variable must be set before numpy loads, so it is set here, not in the library.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app(args=argv, prog_name="rxcompare")
    except RxCompareError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise SystemExit(exit_status(exc)) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None


def run() -> None:
    """The ``rxcompare`` program: :func:`main`, then exit without the garbage collector's last
    passes over every object of the process.

    At exit Python collects cycles among all objects still alive; with numpy, scipy and DuckDB
    loaded that is some 0.1 s of a 0.8 s command, for memory the system takes back anyway.
    ``gc.freeze()`` sets today's objects aside from collection; everything else about the exit is
    unchanged (output flushed, files closed, ``atexit`` handlers and temporary-folder clean-up
    run). Only the program does this: a process that calls :func:`main` and goes on keeps its
    collector as it was.
    """
    try:
        main()
    finally:
        gc.freeze()
