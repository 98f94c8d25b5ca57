"""``rxcompare faers``: download, ingest, deduplicate and inspect the FAERS warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from rxcompare.cli.common import Synonyms, WarehouseDir, err, out

app = typer.Typer(
    help="FAERS warehouse: download, ingest, status, synthetic data.", no_args_is_help=True
)


def _faers_progress():
    """A rich progress bar and the callback ``(step, done, total)`` that feeds it."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("", total=None)

    def update(step: str, done: int, total: int | None) -> None:
        bar.update(task, description=step, completed=done, total=total)

    return bar, update


def _quarter_arg(value: Optional[str]) -> Optional[str]:
    """A quarter argument checked as it is parsed: a usage error, not a traceback, for 2023q9."""
    from rxcompare.sources.faers.layout import parse_quarter

    try:
        return None if value is None else parse_quarter(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("download")
def faers_download(
    first: str = typer.Argument(..., help="first quarter, e.g. 2023q1", callback=_quarter_arg),
    last: Optional[str] = typer.Argument(
        None, help="last quarter (default: the first)", callback=_quarter_arg
    ),
    dest: Path = typer.Option(Path("."), "--dest", help="folder for the zips"),
    base_url: Optional[str] = typer.Option(
        None, "--base-url", help="mirror of FDA's Exports folder"
    ),
) -> None:
    """Download FDA's quarterly ASCII zips (resumable; sha256 recorded beside each zip)."""
    from rxcompare.sources.faers.download import download_quarter
    from rxcompare.sources.faers.layout import current_quarter, quarter_range

    last = last or first
    if first > last:
        raise typer.BadParameter(
            f"the first quarter {first} comes after the last {last}; swap them"
        )
    if last > (now := current_quarter()):
        raise typer.BadParameter(
            f"{last} is after the quarter under way ({now}); FDA publishes a quarter's files "
            f"after it ends: give {now} or earlier"
        )
    try:
        quarters = quarter_range(first, last)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}; download a shorter range") from None
    bar, update = _faers_progress()
    with bar:
        for q in quarters:
            d = download_quarter(q, dest, base_url=base_url, progress=update)
            state = "already here" if d.skipped else f"{d.size:,} bytes"
            err.print(f"{escape(d.path)}: {state}, sha256 {d.sha256}", highlight=False)


@app.command("ingest")
def faers_ingest(
    paths: list[Path] = typer.Argument(
        ...,
        help="faers_ascii_YYYYqN.zip files or extracted folders, or openFDA "
        "bulk files YYYYqN/drug-event-NNNN-of-NNNN.json.zip",
    ),
    warehouse: WarehouseDir = None,
    strict: bool = typer.Option(
        False, "--strict", help="stop at the first bad line instead of listing it"
    ),
    synonyms: Synonyms = None,
    allow_missing: bool = typer.Option(
        False,
        "--allow-missing",
        help="ingest a quarter whose table file is absent or unreadable, recording it as missing",
    ),
) -> None:
    """Ingest quarters into the warehouse (atomic per quarter; the same file twice changes nothing).

    Quarters are added to current case tables as update layers (up to 8, then a rebuild folds
    them); into a warehouse without current case tables they are ingested, then deduplicated once
    (:meth:`Warehouse.ingest_many <rxcompare.sources.faers.warehouse.Warehouse.ingest_many>`).
    openFDA bulk files are read by quarter (the parts in one YYYYqN folder together) into the same
    tables; a warehouse holds one system's quarters."""
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.sources.faers.openfda_bulk import bulk_quarter, ingest_bulk, is_bulk_file
    from rxcompare.sources.faers.warehouse import Warehouse

    wh = Warehouse(warehouse)
    bar, update = _faers_progress()
    syn = load_synonyms(synonyms)
    results = []
    bulk: dict[str | None, list[Path]] = {}
    for p in paths:
        if is_bulk_file(p):
            bulk.setdefault(bulk_quarter(p), []).append(p)
    paths = [p for p in paths if not is_bulk_file(p)]
    with bar:
        for files in bulk.values():
            r, stage = ingest_bulk(files, wh.path, progress=update, synonyms=syn, strict=strict)
            results.append(r)
            err.print(
                f"{r.quarter}: openFDA bulk, {stage.records:,} records in {len(files)} files, "
                f"{stage.duplicates:,} older copies of a report dropped",
                highlight=False,
            )
    with bar:
        results += wh.ingest_many(
            paths, strict=strict, progress=update, synonyms=syn, allow_missing=allow_missing
        )
    for r in results:
        if r.skipped:
            out.print(
                f"{r.quarter}: already ingested from {escape(r.source)} (same sha256), nothing changed"
            )
            continue
        rows = ", ".join(f"{t} {n:,}" for t, n in r.rows)
        out.print(
            f"{r.quarter} ({r.layout}): {rows}; rejected {r.rejects}, flagged {r.flagged}, "
            f"deleted-case ids {r.deleted}",
            highlight=False,
        )
        if r.rejects or r.flagged:
            out.print(
                f"  listed in {escape(str(wh.path / 'rejects' / (r.quarter + '.csv')))}: "
                + ", ".join(f"{k} {n}" for k, n in r.reasons),
                highlight=False,
            )
    faers_status(warehouse)


@app.command("dedup")
def faers_dedup(
    warehouse: WarehouseDir = None,
    synonyms: Synonyms = None,
    match: Optional[str] = typer.Option(
        None, "--match", help="then find duplicates across case ids: demographic"
    ),
) -> None:
    """Rebuild the deduplicated case tables from every ingested quarter (FDA's rule); with --match
    demographic, then record probable duplicates across case ids (rxcompare.sources.faers.match)."""
    from rxcompare.errors import ConfigError
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.sources.faers.warehouse import Warehouse

    if match not in (None, "demographic"):
        raise ConfigError(f"--match {match!r}: the one matching rule is demographic")
    Warehouse(warehouse).dedupe(load_synonyms(synonyms))
    if match:
        from rxcompare.sources.faers.match import match_demographic

        match_demographic(Warehouse(warehouse).path)
    faers_status(warehouse)


@app.command("status")
def faers_status(
    warehouse: WarehouseDir = None,
) -> None:
    """Quarters held, reports before and after deduplication, rejects."""
    from rich.table import Table

    from rxcompare.sources.faers.warehouse import Warehouse

    st = Warehouse(warehouse).status()
    if not st.quarters and st.dedup is None and not st.damaged and not st.recovered:
        out.print(
            f"FAERS warehouse {escape(str(st.path))}: no quarter ingested yet; "
            "`rxcompare faers ingest faers_ascii_YYYYqN.zip --warehouse DIR` ingests one "
            "(`rxcompare faers download` fetches it)",
            highlight=False,
        )
        return
    table = Table(title=f"FAERS warehouse {st.path}", title_justify="left")
    for col in (
        "quarter",
        "layout",
        "source",
        "reports",
        "rejected",
        "flagged",
        "deleted ids",
        "ingested",
    ):
        table.add_column(
            col,
            justify="right" if col in ("reports", "rejected", "flagged", "deleted ids") else "left",
        )
    for q in st.quarters:
        table.add_row(
            q.quarter,
            q.layout,
            q.source,
            f"{q.reports:,}",
            str(q.rejects),
            str(q.flagged),
            str(q.deleted),
            q.ingested_at,
        )
    out.print(table)
    for line in st.recovered:
        out.print(f"recovered: {escape(line)}", highlight=False)
    for q in st.quarters:
        if q.missing:
            out.print(
                f"[yellow]{q.quarter}: ingested without {', '.join(t.upper() for t in q.missing)} (--allow-missing)[/]"
            )
        if q.damaged:
            out.print(
                f"[red]{q.quarter} is damaged: {escape('; '.join(q.damaged))}; ingest it again from its zip[/]"
            )
    if st.damaged:
        out.print(
            f"[red]the case tables are damaged: {escape('; '.join(st.damaged))}; run `rxcompare faers dedup`[/]"
        )
    d = st.dedup
    if d is None:
        out.print("no deduplicated case table yet")
        return
    orphans = ", ".join(f"{t} {n}" for t, n in d.orphans if n)
    if d.reports_before is None:  # a dedup.json written before reports were counted apart
        reports = f"DEMO lines {d.rows_before:,}"
    else:  # distinct reports: a DEMO line that FDA's file repeats is not a report more
        reports = f"reports {d.reports_before:,}"
        if d.removed_repeated:
            reports += f" ({d.removed_repeated:,} repeated DEMO lines not counted)"
    out.print(
        f"{reports}; removed as older versions {d.removed_older_versions:,}; "
        f"removed as deleted cases {d.removed_deleted:,}; cases after deduplication {d.after:,}"
        + (f"; orphan rows (no DEMO row): {orphans}" if orphans else ""),
        highlight=False,
    )
    if st.stale:
        out.print(
            "[yellow]the case tables were built from other quarters: run `rxcompare faers dedup`[/]"
        )
    elif st.updates:
        out.print(
            f"case tables: {', '.join(st.updates)} added as update layers since the last full build "
            "(read together; `rxcompare faers dedup` folds them into one)",
            highlight=False,
        )
    _match_status(st.path)


def _match_status(path) -> None:
    """The demographic match's counts and the fields each quarter could be matched on."""
    from rxcompare.sources.faers.match import read_match_report

    m, stale = read_match_report(path)
    if m is None:
        return
    joined = ", ".join(f"{f} {n}" for f, n in m.joined_with_missing if n)
    out.print(
        f"demographic match: {m.cases_before:,} cases, {m.candidates:,} with event date, suspect and "
        f"reaction; {m.groups:,} groups of {m.cases_in_groups:,} cases merged (removed {m.removed:,}"
        + (f"; joined with one field missing: {joined}" if joined else "")
        + f"); cases after {m.cases_after:,}",
        highlight=False,
    )
    for q, fields in m.fields_by_quarter:
        have = [f"{f} {share:.0%}" for f, share in fields if share > 0]
        lack = [f for f, share in fields if share == 0]
        out.print(
            f"  {q}: matched on {', '.join(have) or 'nothing'} present"
            + (f"; not matched on {', '.join(lack)} (absent)" if lack else ""),
            highlight=False,
        )
    if stale:
        out.print(
            "[yellow]the demographic match is older than the case tables: run "
            "`rxcompare faers dedup --match demographic`[/]"
        )


@app.command("synth")
def faers_synth(
    out_dir: Path = typer.Option(..., "--out", help="folder to write the quarters into"),
    reports: int = typer.Option(
        5000, "--reports", min=10, max=50_000_000, help="DEMO rows over all quarters"
    ),
    quarters: int = typer.Option(2, "--quarters", min=1, max=400, help="number of quarters"),
    seed: int = typer.Option(0, "--seed"),
    start: str = typer.Option("2023q1", "--start", help="first quarter", callback=_quarter_arg),
    fmt: str = typer.Option("zip", "--format", help="zip or dir"),
    faults: bool = typer.Option(
        False, "--faults", help="damage a few lines as real releases are damaged"
    ),
) -> None:
    """Write synthetic quarters in FDA's layout, with their truth (truth.csv, truth.json) beside them."""
    from rxcompare.sources.faers.layout import quarter_span
    from rxcompare.sources.faers.synth import synth_quarters

    if (room := quarter_span(start, "9999q4")) < quarters:
        raise typer.BadParameter(
            f"--start {start} with --quarters {quarters} runs past 9999q4, the last quarter "
            f"written YYYYqN; give --quarters {room} or fewer, or an earlier --start"
        )
    t = synth_quarters(
        out_dir, reports=reports, quarters=quarters, seed=seed, start=start, fmt=fmt, faults=faults
    )
    out.print(
        f"wrote {len(t.quarters)} quarters to {escape(str(out_dir))}: {t.reports:,} reports, {t.cases:,} cases, "
        f"{t.older_versions:,} older versions, {t.deleted_cases:,} deleted, {t.expected_cases:,} expected after "
        f"deduplication; {t.drug_rows:,} drug rows, {t.reac_rows:,} reaction rows",
        highlight=False,
    )


@app.command("export")
def faers_export(
    out_dir: Path = typer.Option(..., "--out", help="new folder for the Parquet files"),
    warehouse: WarehouseDir = None,
) -> None:
    """Write the warehouse's live case tables (update layers applied) as plain Parquet for DuckDB,
    pandas, Polars or Spark: dates as DATE where FDA gave a whole day, with the text and its
    precision beside them; export.json records the quarters and rows."""
    from rxcompare.sources.faers.export import export_warehouse
    from rxcompare.sources.faers.warehouse import Warehouse

    bar, update = _faers_progress()
    with bar:
        result = export_warehouse(Warehouse(warehouse).path, out_dir, progress=update)
    rows = ", ".join(f"{name} {n:,}" for name, n in result.rows)
    err.print(
        f"wrote {escape(result.path)}: {rows} rows ({len(result.quarters)} quarters)",
        highlight=False,
    )
