"""``rxcompare signals``: one command, one mode per call, named by at most one mode option.

=================  ==================================================================  ==========
mode               what it does                                                        source
=================  ==================================================================  ==========
pairs (default)    every statistic per drug-event pair (or DRUG --vs DRUG2 head to     warehouse
                   head), written as a table, JSON, CSV or Parquet                     or --reports
``--by-quarter``   the same, cumulatively by quarter received                          warehouse
``--onset``        time to onset of DRUG's pairs                                       warehouse
``--evaluate SET`` the rules scored on a reference set (omop, euadr, harpaz)           warehouse
``--dedup-sensi``  the estimates at each deduplication level, and/or with ``--report`` warehouse
``tivity``         ``FILE`` the READUS-PV study report (HTML or Markdown)
=================  ==================================================================  ==========

:func:`signals_mode` names the mode from the options and refuses what a mode cannot take, in one
place; each mode is one function that parses, calls :mod:`rxcompare.signals` and renders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from rxcompare.cli.common import err, json_text, out, output_file, write_output

SIGNAL_FORMATS = ("text", "json", "csv")
FORMAT_ALIASES = {"table": "text"}  # the name --format had for the terminal table, still accepted


def _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious):
    from rxcompare.sources.faers.counts import SUSPECT, CountQuery, parse_quarters

    return CountQuery(
        roles=tuple(role) or SUSPECT,
        level=level,
        indication=indication,
        quarters=parse_quarters(quarters) if quarters else None,
        country=country,
        sex=sex,
        age_band=age_band,
        serious=True if serious else None,
    )


def _shape(table, sort: str | None, top: int | None, flagged: bool):
    """--flagged, then --sort and --top, on a scored table (the scores are those of every pair)."""
    if flagged:
        table = table.select(flagged_only=True, filters=(("flagged", "yes"),))
    if sort is None and top is None:
        return table
    from rxcompare.errors import ConfigError

    try:
        return table.ordered(sort, top)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _one_state(warehouse, engine: str, read):
    """``read()`` over one state of a local DuckDB warehouse: read again when an ingest or a dedup
    committed meanwhile (:func:`rxcompare.sources.faers.store.read_consistently`); Spark reads once."""
    from rxcompare import settings
    from rxcompare.sources.faers.store import read_consistently

    root = Path(settings.WAREHOUSE.get(warehouse) or ".")
    return read_consistently(root, read) if engine == "duckdb" and root.is_dir() else read()


def _signals_warehouse(
    drug,
    vs,
    event,
    fmt,
    output,
    min_count,
    warehouse,
    engine,
    spark_master,
    query,
    strata,
    by_quarter,
    onset,
    shape=(None, None, False),
) -> None:
    """Warehouse mode of `signals`: count on the chosen engine, score, write."""
    import json

    from rxcompare.errors import ConfigError, FaersError
    from rxcompare.signals.warehouse import signals_by_quarter, signals_from_warehouse
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.stats.thresholds import Thresholds

    parquet = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if onset and (parquet or vs or by_quarter):
        raise ConfigError(
            "--onset summarises time to onset of DRUG's pairs; it takes no --vs or "
            "--by-quarter and writes text, json or csv"
        )
    names = tuple(x.strip() for x in (strata or "").split(",") if x.strip())
    kw = {
        "drug": drug,
        "events": tuple(event),
        "query": query,
        "strata": names,
        "thresholds": Thresholds(min_count=min_count),
    }

    def read():
        try:
            tables = connect_engine(warehouse, engine, spark_master=spark_master)
        except FaersError as exc:
            raise FaersError(
                f"signals in warehouse mode (no --reports given): {exc}; or give --reports "
                "FILE (a long table of reports)"
            ) from None
        with tables:
            if onset:
                from rxcompare.signals.onset import time_to_onset

                return time_to_onset(
                    tables, query, [drug] if drug else [], event
                ), tables.description
            if by_quarter:
                return signals_by_quarter(tables, **kw)
            return signals_from_warehouse(tables, vs=vs, **kw)

    got = _one_state(warehouse, engine, read)
    if onset:
        from rxcompare.render.onset import onset_csv, onset_text
        from rxcompare.signals.onset import onset_json

        rows, description = got
        text = (
            json.dumps(onset_json(rows, description), indent=1)
            if fmt == "json"
            else onset_csv(rows)
            if fmt == "csv"
            else onset_text(rows, description, out.width)
        )
        write_output(text, output)
        return
    if by_quarter:
        _write_tables([(q, _shape(t, *shape)) for q, t in got], fmt, output)
    else:
        _write_tables([(None, _shape(got, *shape))], fmt, output)


def _write_tables(results, fmt: str, output: Optional[Path]) -> None:
    """Scored tables (``[(None, table)]``, or ``[(quarter, table), ...]`` by quarter) as the terminal
    table, or CSV, JSON or Parquet (by the output's suffix) written column-wise by
    :mod:`rxcompare.signals.files`."""
    from rxcompare.signals.files import write_signals

    parquet = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if not parquet and fmt == "text":
        from rxcompare.render.signal_text import signals_text

        if results and results[0][0] is None:
            write_output(signals_text(results[0][1], out.width), output)
        else:
            write_output(
                "\n".join(f"received up to {q}:\n{signals_text(t, out.width)}" for q, t in results),
                output,
            )
        return
    if output is None:
        sys.stdout.flush()
    if output is None:
        rows = write_signals(results, fmt, sys.stdout)
    else:
        with output_file(output) as tmp:
            rows = write_signals(results, "parquet" if parquet else fmt, tmp)
    if output is not None:
        err.print(
            f"wrote {output} ({rows} {'pairs' if results and results[0][0] is None else 'rows'})",
            highlight=False,
        )


def _signals_evaluate(
    name,
    reference,
    outcomes,
    definition,
    synonyms,
    fmt,
    output,
    min_count,
    warehouse,
    engine,
    spark_master,
    query,
) -> None:
    """`signals --evaluate`: every rule's sensitivity, specificity, PPV and AUC on a reference set."""
    from rxcompare.errors import ConfigError
    from rxcompare.render.evaluation import evaluation_text
    from rxcompare.signals.evaluate import evaluate_reference, evaluation_json
    from rxcompare.signals.reference_sets import load_reference
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.stats.thresholds import Thresholds

    if fmt not in ("text", "json"):
        raise ConfigError(f"--evaluate writes text or json, not {fmt!r}")
    ref = load_reference(name, reference, outcomes=outcomes, level=definition)
    names = load_synonyms(synonyms)

    def read():
        with connect_engine(warehouse, engine, spark_master=spark_master) as tables:
            return evaluate_reference(
                tables,
                ref,
                query=query,
                thresholds=Thresholds(min_count=min_count),
                synonyms=names,
            )

    ev = _one_state(warehouse, engine, read)
    write_output(json_text(evaluation_json(ev)) if fmt == "json" else evaluation_text(ev), output)


STUDY_FORMATS = ("text", "json", "markdown")


def _signals_study(
    drug,
    vs,
    event,
    fmt,
    output,
    min_count,
    warehouse,
    engine,
    spark_master,
    query,
    strata,
    sensitivity,
    report,
    statistic,
    synonyms,
) -> None:
    """`signals --dedup-sensitivity` (the estimates at each deduplication level) and `--report FILE`
    (the READUS-PV study report, HTML or Markdown by the file's suffix)."""
    import shlex

    from rxcompare.errors import ConfigError
    from rxcompare.render.study import (
        render_study_html,
        render_study_markdown,
        sensitivity_markdown,
        sensitivity_text,
    )
    from rxcompare.signals.study import build_study, dedup_sensitivity
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.stats.thresholds import Thresholds

    if drug is None:
        raise ConfigError(
            "--dedup-sensitivity and --report study one DRUG (with --vs DRUG2 for head to head)"
        )
    if sensitivity and fmt not in STUDY_FORMATS:
        raise ConfigError(f"--dedup-sensitivity writes {', '.join(STUDY_FORMATS)}, not {fmt!r}")
    kind = report.suffix.lower() if report is not None else ""
    if report is not None and kind not in (".html", ".htm", ".md", ".markdown"):
        raise ConfigError(
            f"--report {report}: give a file ending in .html (self-contained page) or .md (Markdown)"
        )
    names = tuple(x.strip() for x in (strata or "").split(",") if x.strip())
    kw = {
        "drug": drug,
        "vs": vs,
        "events": tuple(event),
        "query": query,
        "strata": names,
        "thresholds": Thresholds(min_count=min_count),
        "statistic": statistic,
        "synonyms": load_synonyms(synonyms),
    }
    ran = Path(sys.argv[0]).name in ("rxcompare", "__main__.py")  # not when called as a library
    command = shlex.join(["rxcompare", *sys.argv[1:]]) if ran else ""

    def read():
        with connect_engine(warehouse, engine, spark_master=spark_master) as tables:
            if report is not None:
                doc = build_study(tables, command=command, **kw)
                return doc, doc["sensitivity"]
            return None, dedup_sensitivity(tables, **kw)

    doc, sens = _one_state(warehouse, engine, read)
    if report is not None:
        with output_file(report, "--report") as tmp:
            tmp.write_text(
                render_study_html(doc) if kind in (".html", ".htm") else render_study_markdown(doc),
                encoding="utf-8",
            )
        err.print(f"wrote {report}", highlight=False)
    if sensitivity:
        text = (
            json_text(sens)
            if fmt == "json"
            else sensitivity_markdown(sens)
            if fmt == "markdown"
            else sensitivity_text(sens, out.width)
        )
        write_output(text, output)


def signals_cmd(
    drug: str | None = typer.Argument(None, help="drug label as written in the source"),
    vs: str | None = typer.Option(None, "--vs", help="head-to-head: ROR of DRUG against this drug"),
    event: list[str] = typer.Option([], "--event", help="event (preferred term); repeatable"),
    indication: str | None = typer.Option(None, "--indication", help="warehouse only"),
    role: list[str] = typer.Option([], "--role", help="warehouse only: PS, SS, C, I"),
    min_count: int = typer.Option(3, "--min-count", help="no pair with fewer reports is flagged"),
    all_pairs: bool = typer.Option(False, "--all-pairs", help="score and output every pair"),
    fmt: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help="text | json | csv, and markdown for --dedup-sensitivity; table is another name for "
        "text (default: csv or json for an --output named .csv or .json, else text)",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="file (.csv, .json or .parquet sets the format)"
    ),
    reports: Path | None = typer.Option(
        None, "--reports", help="long table of reports (CSV/Parquet)"
    ),
    report_col: str = typer.Option("id", "--report-col", help="column of report ids"),
    drug_col: str = typer.Option("var1", "--drug-col", help="column of drug labels"),
    event_col: str = typer.Option("var2", "--event-col", help="column of event labels"),
    level: str = typer.Option("ingredient", "--level", help="warehouse: ingredient | product"),
    quarters: str | None = typer.Option(
        None, "--quarters", help="warehouse: quarters received, e.g. 2023q1-2024q4"
    ),
    country: str | None = typer.Option(
        None, "--country", help="warehouse: country of occurrence (code)"
    ),
    sex: str | None = typer.Option(None, "--sex", help="warehouse: F or M"),
    age_band: str | None = typer.Option(
        None, "--age-band", help="warehouse: <18, 18-44, 45-64, 65-74, >=75"
    ),
    serious: bool = typer.Option(False, "--serious", help="warehouse: serious cases only"),
    warehouse: str | None = typer.Option(
        None, "--warehouse", help="FAERS warehouse folder (or URL for Spark)"
    ),
    engine: str = typer.Option("duckdb", "--engine", help="warehouse: duckdb | spark"),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="Spark master URL \\[default: local[*]]"
    ),
    by_quarter: bool = typer.Option(
        False, "--by-quarter", help="warehouse: cumulative scoring by quarter received"
    ),
    strata: str | None = typer.Option(
        None, "--strata", help="warehouse: stratified MGPS E, e.g. sex,age_band"
    ),
    onset: bool = typer.Option(
        False, "--onset", help="warehouse: time to onset of DRUG's pairs instead"
    ),
    evaluate: str | None = typer.Option(
        None,
        "--evaluate",
        help="warehouse: evaluate the rules on a reference set instead: omop | euadr | harpaz",
    ),
    reference: Path | None = typer.Option(
        None, "--reference", help="--evaluate: reference set file or its folder"
    ),
    outcomes: Path | None = typer.Option(
        None,
        "--outcomes",
        help="--evaluate omop|euadr: outcome PT definitions "
        "\\[default: the definitions shipped with rxcompare]",
    ),
    definition: str = typer.Option(
        "narrow", "--definition", help="--evaluate harpaz: narrow | broad PT sets"
    ),
    synonyms: Path | None = typer.Option(
        None,
        "--synonyms",
        help="--evaluate, --dedup-sensitivity, --report: CSV name,ingredient,product",
    ),
    dedup_sensitivity: bool = typer.Option(
        False,
        "--dedup-sensitivity",
        help="warehouse: the estimates and flags at "
        "each deduplication level (none, FDA's rule, + demographic match)",
    ),
    report: Path | None = typer.Option(
        None, "--report", help="warehouse: write the READUS-PV study report (.html or .md)"
    ),
    statistic: str = typer.Option(
        "ror",
        "--statistic",
        help="--dedup-sensitivity, --report: the statistic charted: ror | prr | ic | ebgm",
    ),
    sort: str | None = typer.Option(
        None,
        "--sort",
        help="order rows by this column, largest first: ror, ror_lower, prr, "
        "chi2, ic, ic025, ebgm, eb05, a (cases), mdrr",
    ),
    top: int | None = typer.Option(None, "--top", help="keep the first N rows (after --sort)"),
    flagged: bool = typer.Option(False, "--flagged", help="keep only the pairs a rule flagged"),
) -> None:
    """Disproportionality signals (ROR, PRR, chi-square, IC, EBGM) per drug-event pair, from a
    long table of reports (--reports) or the FAERS warehouse (DuckDB, or Spark with --engine spark).
    One mode per call: the pairs (default), --by-quarter, --onset, --evaluate SET, or
    --dedup-sensitivity and/or --report FILE (the study)."""
    from rxcompare.errors import ConfigError
    from rxcompare.stats.thresholds import Thresholds

    if fmt is None:  # an output file named for its format is written in it
        fmt = {".csv": "csv", ".json": "json"}.get(
            output.suffix.lower() if output is not None else "", "text"
        )
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    warehouse_options = {
        "--indication": indication,
        "--role": role,
        "--level": level != "ingredient",
        "--quarters": quarters,
        "--country": country,
        "--sex": sex,
        "--age-band": age_band,
        "--serious": serious,
        "--warehouse": warehouse,
        "--engine": engine != "duckdb",
        "--spark-master": spark_master,
        "--strata": strata,
    }
    mode = signals_mode(
        by_quarter=by_quarter,
        onset=onset,
        evaluate=evaluate,
        dedup_sensitivity=dedup_sensitivity,
        report=report,
        reports=reports,
        warehouse_options=warehouse_options,
    )
    if mode in ("study", "evaluate", "onset") and (sort is not None or top is not None or flagged):
        other = {
            "study": "--dedup-sensitivity" if dedup_sensitivity else "--report",
            "evaluate": "--evaluate",
            "onset": "--onset",
        }[mode]
        raise ConfigError(
            f"--sort, --top and --flagged order and cut the signals table; {other} writes another "
            "document: leave them out"
        )
    if mode == "study":
        query = _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious)
        _signals_study(
            drug,
            vs,
            event,
            fmt,
            output,
            min_count,
            warehouse,
            engine,
            spark_master,
            query,
            strata,
            dedup_sensitivity,
            report,
            statistic,
            synonyms,
        )
        return
    if fmt not in SIGNAL_FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(SIGNAL_FORMATS)}")
    if mode == "evaluate":
        query = _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious)
        _signals_evaluate(
            evaluate,
            reference,
            outcomes,
            definition,
            synonyms,
            fmt,
            output,
            min_count,
            warehouse,
            engine,
            spark_master,
            query,
        )
        return
    if drug is None and not all_pairs:
        raise ConfigError("give a DRUG, or --all-pairs to score every drug-event pair")
    if mode == "reports":
        from rxcompare.signals.report_table import signals_from_reports

        table = signals_from_reports(
            reports,
            report_col,
            drug_col,
            event_col,
            drug=drug,
            events=tuple(event),
            vs=vs,
            thresholds=Thresholds(min_count=min_count),
        )
        _write_tables([(None, _shape(table, sort, top, flagged))], fmt, output)
        return
    query = _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious)
    _signals_warehouse(
        drug,
        vs,
        event,
        fmt,
        output,
        min_count,
        warehouse,
        engine,
        spark_master,
        query,
        strata,
        mode == "by-quarter",
        mode == "onset",
        (sort, top, flagged),
    )


MODE_OPTIONS = {
    "--by-quarter": "by-quarter",
    "--onset": "onset",
    "--evaluate": "evaluate",
    "--dedup-sensitivity": "study",
    "--report": "study",
}
"""The options that name a mode; without any, ``signals`` scores pairs (``warehouse`` or ``reports``)."""


def signals_mode(
    *,
    by_quarter: bool,
    onset: bool,
    evaluate: str | None,
    dedup_sensitivity: bool,
    report: Path | None,
    reports: Path | None,
    warehouse_options: dict,
) -> str:
    """The mode of one ``signals`` call: ``warehouse`` or ``reports`` (pairs scored), ``by-quarter``,
    ``onset``, ``evaluate`` or ``study``. Raises :class:`ConfigError` for two modes at once, and for
    a mode or a warehouse option given with a --reports table (it has no such column or history)."""
    from rxcompare.errors import ConfigError

    given = {
        "--by-quarter": by_quarter,
        "--onset": onset,
        "--evaluate": evaluate is not None,
        "--dedup-sensitivity": dedup_sensitivity,
        "--report": report is not None,
    }
    named = [o for o, on in given.items() if on]
    modes = sorted({MODE_OPTIONS[o] for o in named})
    if len(modes) > 1:
        raise ConfigError(
            f"{' and '.join(named)} ask for two things at once; give one of --by-quarter, "
            "--onset, --evaluate, or --dedup-sensitivity and/or --report per call"
        )
    if reports is not None:
        for name in named + [o for o, used in warehouse_options.items() if used]:
            raise ConfigError(
                f"{name} applies to the FAERS warehouse, not to a --reports table; "
                "leave it out or drop --reports"
            )
        return "reports"
    return modes[0] if modes else "warehouse"
