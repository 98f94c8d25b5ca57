"""What every command group shares: the two consoles, writing a result, the options defined once.

Options are ``Annotated`` types, so that a command declares ``pack_file: PackFile = None`` and every
command spells ``--pack`` alike.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)

PackFile = Annotated[Optional[Path], typer.Option("--pack", help="a knowledge pack file")]
Output = Annotated[Optional[Path], typer.Option("--output", "-o", help="write to this file")]
WarehouseDir = Annotated[Optional[Path], typer.Option("--warehouse", help="FAERS warehouse folder")]
Online = Annotated[
    bool,
    typer.Option(
        "--online",
        help="ask the network: openFDA labels of medicines the pack does not hold, post-marketing "
        "counts from openFDA, ClinicalTrials.gov results, DailyMed's newer label versions, PubMed's "
        "records on the pair (cached on disk)",
    ),
]
Width = Annotated[
    Optional[int], typer.Option("--width", min=20, max=1000, help="terminal width (20 to 1000)")
]
Synonyms = Annotated[Optional[Path], typer.Option("--synonyms", help="CSV name,ingredient,product")]
TextFormat = Annotated[str, typer.Option("--format", "-f", help="text | json")]

TEXT_FORMATS = ("text", "json")


def check_format(fmt: str, choices: tuple[str, ...]) -> None:
    """A clear error for a ``--format`` that is not one of ``choices``."""
    if fmt not in choices:
        from rxcompare.errors import ConfigError

        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(choices)}")


def output_format(
    fmt: Optional[str], output: Optional[Path], by_suffix: dict[str, str], default: str
) -> str:
    """``--format`` when given; else the format the output file's name ends in (``by_suffix``);
    else ``default`` for standard output. A file name of no known format is refused (ConfigError),
    never written in another format than its name says."""
    if fmt is not None:
        return fmt
    if output is None:
        return default
    suffix = output.suffix.lower()
    if suffix in by_suffix:
        return by_suffix[suffix]
    from rxcompare.errors import ConfigError

    raise ConfigError(
        f"-o {output}: {'a name ending in ' + repr(suffix) if suffix else 'a name without a suffix'} says no "
        f"format rxcompare writes; name the file {' or '.join('*' + s for s in by_suffix)}, or give --format"
    )


@contextlib.contextmanager
def output_file(output: Path, option: str = "--output") -> Iterator[Path]:
    """A temporary file to write ``output`` to, put in its place only once whole: a full disk or an
    error leaves a file already there as it was. A folder or an unwritable path is a clear error."""
    import duckdb

    from rxcompare.errors import ConfigError
    from rxcompare.sources.atomic import replacing

    if output.is_dir():
        raise ConfigError(
            f"{option} {output} is a folder; give a file name in it (e.g. {output / 'result'}"
            f"{output.suffix or '.md'})"
        )
    try:
        with replacing(output) as tmp:
            yield tmp
    except (OSError, duckdb.IOException) as exc:
        why = getattr(exc, "strerror", None) or str(exc).splitlines()[0][:200]
        raise ConfigError(
            f"{option} {output}: cannot write ({why}); free some space or choose another path "
            "(a file already there was left as it was)"
        ) from None


def write_output(text: str, output: Optional[Path]) -> None:
    """Write to a file (whole or not at all; and say so on standard error) or to standard output."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        with output_file(output) as tmp:
            tmp.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)


def json_text(doc: object) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, indent=1)


def load_pack(pack_file: Optional[Path]):
    """The pack of ``--pack``, else ``RXCOMPARE_PACK``, else the user pack, else the embedded one."""
    from rxcompare import settings
    from rxcompare.sources.pack import load_pack as load

    return load(pack_file or settings.PACK.get())


def pack_product(name: str, pack):
    """The pack's one product for a name (the resolver's rules and errors)."""
    from rxcompare.comparison.resolve import resolve

    return resolve(name, pack).product
