"""The command line: parse, call the library, hand the result to a renderer.

One module per command group, each a thin parse-call-render layer: :mod:`.compare` (compare, ask),
:mod:`.trials`, :mod:`.label`, :mod:`.pack`, :mod:`.faers`, :mod:`.signals`, :mod:`.serve`; the options
they share and the two consoles live in :mod:`.common`. Heavy libraries are imported inside the
commands that use them, so that ``rxcompare --help`` and ``compare`` start fast. Errors become a
message and a non-zero exit status here, in one place (:func:`main`).
"""

from __future__ import annotations

import gc
import os

import typer
from rich.markup import escape

from rxcompare.cli import compare, faers, label, pack, serve, signals, trials
from rxcompare.cli.common import err
from rxcompare.errors import RxCompareError

app = typer.Typer(
    help="Compare the safety of two medicines from cited evidence (labels, FAERS, trials).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("compare")(compare.compare_cmd)
app.command("ask")(compare.ask_cmd)
app.command("trials")(trials.trials_cmd)
app.add_typer(label.app, name="label")
app.add_typer(pack.app, name="pack")
app.add_typer(faers.app, name="faers")
app.command("signals")(signals.signals_cmd)
app.command("serve")(serve.serve_cmd)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; rxcompare errors become a message and exit status 2.

    Usage errors are reported by the command-line parser itself (exit status 2).

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
        raise SystemExit(2) from None
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
