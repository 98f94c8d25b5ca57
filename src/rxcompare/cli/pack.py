"""``rxcompare pack``: build, inspect and update the knowledge pack."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rxcompare.cli.common import err, load_pack, pack_product, write_output
from rxcompare.render.pack import pack_summary, update_line

app = typer.Typer(help="Build and inspect the knowledge pack.", no_args_is_help=True)


@app.command("build")
def pack_build_cmd(
    curated: Optional[Path] = typer.Option(
        None, "--curated", help="folder of curated JSON entries \\[default: knowledge/curated]"
    ),
    spl: list[Path] = typer.Option(
        [], "--spl", help="an SPL XML label to extract facts from (repeatable)"
    ),
    event_groups: Optional[Path] = typer.Option(
        None,
        "--event-groups",
        help="event groups JSON \\[default: knowledge/event_groups.json if present]",
    ),
    out_file: Optional[Path] = typer.Option(
        None,
        "--out",
        "-o",
        help="pack file to write \\[default: src/rxcompare/data/pack.json of the "
        "repository this is run in (a checkout of rxcompare), else the user pack, RXCOMPARE_USER_PACK]",
    ),
) -> None:
    """Build the knowledge pack from curated entries and SPL labels, and write it atomically.

    Outside a checkout of rxcompare the pack is written to the user pack (which every command
    reads), never into the installed package's folder unless --out names it."""
    from rxcompare.errors import ConfigError
    from rxcompare.sources.pack import build_pack, write_pack

    if curated is None:
        default = Path("knowledge/curated")
        entries = sorted(default.glob("*.json")) if default.is_dir() else []
    elif not curated.is_dir():
        raise ConfigError(
            f"--curated {curated}: no such folder; give the folder of curated JSON entries"
        )
    else:
        entries = sorted(curated.glob("*.json"))
    if event_groups is None and Path("knowledge/event_groups.json").is_file():
        event_groups = Path("knowledge/event_groups.json")
    if not entries and not spl:
        raise ConfigError("nothing to build: no curated entries found and no --spl label given")
    if out_file is None:
        out_file = _build_target()
    path = write_pack(build_pack(entries, spl, event_groups), out_file)
    err.print(f"wrote {path}", highlight=False)
    write_output(pack_summary(load_pack(path)), None)


def _build_target() -> Path:
    """``pack build``'s default: the embedded pack's source in a checkout of rxcompare (the folder
    holds pyproject.toml naming the project and src/rxcompare/data/), else the user pack."""
    from rxcompare.errors import ConfigError
    from rxcompare.sources.pack import user_pack_path

    here = Path("src/rxcompare/data")
    project = Path("pyproject.toml")
    if (
        here.is_dir()
        and project.is_file()
        and 'name = "rxcompare"' in project.read_text(encoding="utf-8")
    ):
        return here / "pack.json"
    target = user_pack_path()
    if target is None:
        raise ConfigError(
            "RXCOMPARE_USER_PACK is empty and this is not a checkout of rxcompare; give --out FILE"
        )
    err.print(f"not in a checkout of rxcompare: writing the user pack {target}", highlight=False)
    return target


def _target_and_pack(out_file: Optional[Path], pack_file: Optional[Path]):
    """(the pack file to write, the pack to start from) of ``pack add`` and ``pack update``."""
    from rxcompare import settings
    from rxcompare.errors import ConfigError
    from rxcompare.sources.pack import user_pack_path

    target = out_file or user_pack_path()
    if target is None:
        raise ConfigError("RXCOMPARE_USER_PACK is empty; give --out FILE")
    return target, load_pack(
        pack_file or settings.PACK.get() or (target if target.is_file() else None)
    )


@app.command("add")
def pack_add_cmd(
    files: list[Path] = typer.Argument(
        ..., help="SPL XML labels, openFDA drug/label.json replies, or folders of them"
    ),
    out_file: Optional[Path] = typer.Option(
        None,
        "--out",
        "-o",
        help="pack file to write \\[default: the user pack, RXCOMPARE_USER_PACK]",
    ),
    pack_file: Optional[Path] = typer.Option(
        None,
        "--pack",
        help="pack to start from \\[default: --out when it exists, else the user or embedded pack]",
    ),
) -> None:
    """Add label files to the user pack, offline: each label becomes an entry as `pack build --spl`
    makes one. An older version of a label the pack holds, or another product under an id it holds,
    is refused and then nothing is written; the pack is written atomically."""
    from datetime import UTC, datetime

    from rxcompare.sources.pack import pack_to_dict, write_pack
    from rxcompare.sources.pack.add import add_labels

    target, pack = _target_and_pack(out_file, pack_file)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    new, reports = add_labels(pack, files, today)
    for a in reports:
        lab = a.label
        what = (
            f"already holds version {lab.version} of {lab.effective_date}"
            if a.outcome == "held"
            else f"{a.outcome}, label set id {lab.set_id} version {lab.version} of {lab.effective_date}"
            + (f" (was version {a.before.version or 'unknown'})" if a.before is not None else "")
            + f"; sections held in full: {', '.join(a.sections) or 'none'}; {a.facts} facts, "
            f"{a.incidences} incidences"
        )
        write_output(f"{a.product}: {a.brand} from {a.file}: {what}", None)
    if any(a.outcome != "held" for a in reports):
        path = write_pack(pack_to_dict(new, built=today), target)
        err.print(f"wrote {path}", highlight=False)
    else:
        err.print(f"nothing changed; {target} was not written", highlight=False)


@app.command("info")
def pack_info_cmd(
    pack_file: Optional[Path] = typer.Option(
        None,
        "--pack",
        help="a knowledge pack file \\[default: the user pack, else the embedded one]",
    ),
    online: bool = typer.Option(
        False, "--online", help="ask DailyMed whether a newer label version exists"
    ),
) -> None:
    """The pack's version and build date, and each product with its source and label version."""
    pack = load_pack(pack_file)
    newer = None
    if online:
        from rxcompare.sources.labels.dailymed import DailyMedClient
        from rxcompare.sources.pack.update import newer_labels

        with (
            DailyMedClient() as client,
            err.status("asking DailyMed for the current label versions"),
        ):
            newer = dict(newer_labels(pack, [p.id for p in pack.products], client))
    write_output(pack_summary(pack, newer), None)


@app.command("update")
def pack_update_cmd(
    drugs: Optional[list[str]] = typer.Argument(
        None,
        help="products to update; a name the pack does not hold is looked up on openFDA and added",
    ),
    all_products: bool = typer.Option(False, "--all", help="update every product of the pack"),
    out_file: Optional[Path] = typer.Option(
        None,
        "--out",
        "-o",
        help="pack file to write \\[default: the user pack, RXCOMPARE_USER_PACK]",
    ),
    pack_file: Optional[Path] = typer.Option(
        None,
        "--pack",
        help="pack to start from \\[default: --out when it exists, else the user or embedded pack]",
    ),
) -> None:
    """Replace pack entries by the current label from DailyMed (openFDA where DailyMed cannot
    answer), read whole; a name the pack does not hold is found on openFDA and added. Write the
    user pack atomically; the embedded pack is never changed. Exit status 1 when a product could
    not be updated (its entry is kept; the others are written)."""
    from rxcompare.comparison.resolve import candidates
    from rxcompare.errors import ConfigError
    from rxcompare.sources.labels.dailymed import DailyMedClient
    from rxcompare.sources.openfda.client import OpenFdaClient
    from rxcompare.sources.pack import pack_to_dict, write_pack
    from rxcompare.sources.pack.update import add_by_name, update_pack

    target, pack = _target_and_pack(out_file, pack_file)
    if all_products == bool(drugs):
        raise ConfigError("name the products to update, or give --all (not both)")
    names = [] if all_products else list(drugs)
    outside = [n for n in names if not candidates(n, pack)[0]]
    ids = (
        [p.id for p in pack.products]
        if all_products
        else list(dict.fromkeys(pack_product(d, pack).id for d in names if d not in outside))
    )
    with (
        DailyMedClient() as dailymed,
        OpenFdaClient() as openfda,
        err.status("updating the pack") as status,
    ):
        added = []
        for name in outside:
            status.update(f"{name}: openFDA drug/label")
            pack, report = add_by_name(pack, name, openfda)
            added.append(report)
        new, reports = update_pack(
            pack, ids, dailymed, openfda, lambda pid, step: status.update(f"{pid}: {step}")
        )
        reports = added + reports
    for u in reports:
        write_output(update_line(u), None)
    if any(u.outcome in ("updated", "added") for u in reports):
        built = max(u.after.fetched for u in reports if u.outcome in ("updated", "added"))
        path = write_pack(pack_to_dict(new, built=built), target)
        err.print(f"wrote {path}", highlight=False)
    else:
        err.print(f"nothing changed; {target} was not written", highlight=False)
    if any(u.outcome == "kept" for u in reports):
        raise typer.Exit(1)
