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

LABEL_FORMATS = ("text", "json")


def _label_format(fmt: str) -> None:
    if fmt not in LABEL_FORMATS:
        from rxcompare.errors import ConfigError

        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(LABEL_FORMATS)}")


def _json_text(doc: object) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, indent=1)


def _pack_product(name: str, pack):
    """The pack's product for a name: the resolver when this build has one, else an exact
    (case-insensitive) match of id, brand, ingredient or synonym."""
    try:
        from rxcompare import resolver
    except ImportError:
        resolver = None
    if resolver is not None and hasattr(resolver, "resolve_product"):
        return resolver.resolve_product(name, pack)
    if resolver is not None and hasattr(resolver, "resolve"):
        return resolver.resolve(name, pack).product
    from rxcompare.errors import UnknownDrugError
    from rxcompare.sources.facts import matches_product

    found = [p for p in pack.products if matches_product(p, name)]
    if len(found) != 1:
        raise UnknownDrugError(
            f"{name!r} matches {len(found)} products of the knowledge pack; give a brand "
            "(`rxcompare pack info` lists them)",
            tuple(p.brand for p in found),
        )
    return found[0]


@label_app.command("parse")
def label_parse_cmd(
    file: Path = typer.Argument(..., help="an SPL XML label file or an openFDA drug/label.json reply"),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write to this file"),
) -> None:
    """Parse a label (SPL XML or openFDA JSON, told by content): identity, products, numbered
    sections and table shapes. A reply of several openFDA results gives each."""
    from rxcompare.models import to_dict
    from rxcompare.sources.openfda_label import parse_label
    from rxcompare.sources.spl import outline

    _label_format(fmt)
    labels = parse_label(file)
    if fmt == "json" and len(labels) == 1:
        _write(_json_text({"schema": "rxcompare/label", "version": 1, "label": to_dict(labels[0])}), output)
    elif fmt == "json":
        _write(_json_text({"schema": "rxcompare/labels", "version": 1, "labels": to_dict(labels)}), output)
    else:
        _write("\n\n".join(outline(label) for label in labels), output)


@label_app.command("show")
def label_show_cmd(
    drug: str = typer.Argument(..., help="a product of the knowledge pack (or of --file)"),
    section: Optional[str] = typer.Option(None, "--section", "-s", help='only this section, e.g. "5" or "5.1"'),
    file: Optional[Path] = typer.Option(None, "--file", help="read this label (SPL XML or openFDA JSON) instead of the pack"),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write to this file"),
    pack_file: Optional[Path] = typer.Option(None, "--pack", help="a knowledge pack file"),
) -> None:
    """What the label says about a product: facts grouped by section, each with its citation."""
    from rxcompare.errors import LabelError
    from rxcompare.models import to_dict
    from rxcompare.sources.facts import extract_facts, facts_outline, in_section, matches_product

    _label_format(fmt)
    if file is not None:
        from rxcompare.sources.facts import product_from_label
        from rxcompare.sources.openfda_label import parse_label

        labels = parse_label(file)
        if len(labels) > 1:
            raise LabelError(f"{file} holds {len(labels)} labels; save the one to show on its own")
        label = labels[0]
        product = product_from_label(label)
        if not matches_product(product, drug):
            raise LabelError(
                f"{file} is the label of {product.brand} ({product.ingredient}), not {drug!r}; "
                f"name its product ({product.id!r}) or give another file"
            )
        facts, incidences = extract_facts(label, product.id)
        source = f"{label.source} file {file.name}"
    else:
        from rxcompare import settings
        from rxcompare.sources.pack import load_pack

        pack = load_pack(pack_file or settings.PACK.get())
        product = _pack_product(drug, pack)
        facts, incidences = list(pack.facts_for(product.id)), list(pack.incidences_for(product.id))
        held = pack.label_of(product.id)
        source = (
            f"knowledge pack ({pack.source_of(product.id) or 'unknown source'}); label version "
            f"{held.version or 'unknown'} of {held.effective_date or 'unknown date'}; {pack.describe()}"
        )
    if section:
        facts = [f for f in facts if in_section(f.citation.section, section)]
        incidences = [i for i in incidences if in_section(i.citation.section, section)]
    if fmt == "json":
        doc = {"schema": "rxcompare/label-facts", "version": 1, "source": source,
               "product": to_dict(product), "facts": to_dict(facts), "incidences": to_dict(incidences)}
        _write(_json_text(doc), output)
        return
    from rxcompare.sources.spl import terminal_safe

    text = f"source: {source}\n{facts_outline(product, facts, incidences)}"
    if not facts and not incidences:
        text += f"\n(nothing for section {section})" if section else "\n(no facts)"
    _write(terminal_safe(text), output)


# ---- pack commands (issue: labels) --------------------------------------------------------


def _pack_summary(pack, newer: dict[str, str] | None = None) -> str:
    from rxcompare.sources.pack import SOURCE_NAMES

    lines = [
        f"{pack.describe()}: {len(pack.products)} products, "
        f"{len(pack.facts)} facts, {len(pack.incidences)} incidences"
    ]
    for p in pack.products:
        held = pack.label_of(p.id)
        source = pack.source_of(p.id) or "unknown"
        fetched = f", fetched {held.fetched}" if held.fetched else ""
        lines.append(
            f"  {p.id}: {p.brand} ({p.ingredient}) - source {SOURCE_NAMES.get(source, source)}; "
            f"label set id {held.set_id or 'not shown'}, version {held.version or 'not cited'} of "
            f"{held.effective_date or 'unknown date'}{fetched}; {len(pack.facts_for(p.id))} facts, "
            f"{len(pack.incidences_for(p.id))} incidences; sections {', '.join(pack.coverage_of(p.id)) or 'none'}"
        )
        if newer is not None:
            lines.append(f"    online: {newer.get(p.id, 'DailyMed lists this version as current')}")
    return "\n".join(lines)


@pack_app.command("build")
def pack_build_cmd(
    curated: Optional[Path] = typer.Option(
        None, "--curated", help="folder of curated JSON entries [default: knowledge/curated]"
    ),
    spl: list[Path] = typer.Option([], "--spl", help="an SPL XML label to extract facts from (repeatable)"),
    event_groups: Optional[Path] = typer.Option(
        None, "--event-groups", help="event groups JSON [default: knowledge/event_groups.json if present]"
    ),
    out_file: Path = typer.Option(Path("src/rxcompare/data/pack.json"), "--out", "-o", help="pack file to write"),
) -> None:
    """Build the knowledge pack from curated entries and SPL labels, and write it atomically."""
    from rxcompare.errors import ConfigError
    from rxcompare.sources.pack import build_pack, load_pack, write_pack

    if curated is None:
        default = Path("knowledge/curated")
        entries = sorted(default.glob("*.json")) if default.is_dir() else []
    elif not curated.is_dir():
        raise ConfigError(f"--curated {curated}: no such folder; give the folder of curated JSON entries")
    else:
        entries = sorted(curated.glob("*.json"))
    if event_groups is None and Path("knowledge/event_groups.json").is_file():
        event_groups = Path("knowledge/event_groups.json")
    if not entries and not spl:
        raise ConfigError("nothing to build: no curated entries found and no --spl label given")
    path = write_pack(build_pack(entries, spl, event_groups), out_file)
    err.print(f"wrote {path}", highlight=False)
    _write(_pack_summary(load_pack(path)), None)


@pack_app.command("info")
def pack_info_cmd(
    pack_file: Optional[Path] = typer.Option(
        None, "--pack", help="a knowledge pack file [default: the user pack, else the embedded one]"
    ),
    online: bool = typer.Option(False, "--online", help="ask DailyMed whether a newer label version exists"),
) -> None:
    """The pack's version and build date, and each product with its source and label version."""
    from rxcompare import settings
    from rxcompare.sources.pack import load_pack

    pack = load_pack(pack_file or settings.PACK.get())
    newer = None
    if online:
        from rxcompare.sources.dailymed import DailyMedClient
        from rxcompare.sources.pack_update import newer_labels

        with DailyMedClient() as client, err.status("asking DailyMed for the current label versions"):
            newer = dict(newer_labels(pack, [p.id for p in pack.products], client))
    _write(_pack_summary(pack, newer), None)


def _update_line(u) -> str:
    from rxcompare.sources.pack import SOURCE_NAMES

    def label(lab) -> str:
        return (f"version {lab.version or 'unknown'} of {lab.effective_date or 'unknown date'} "
                f"({SOURCE_NAMES.get(lab.source, lab.source)})")

    if u.outcome == "kept":
        return f"{u.product}: kept, {label(u.before)}: " + "; ".join(u.reasons)
    if u.outcome == "current":
        return f"{u.product}: current, {label(u.before)}: " + "; ".join(u.reasons)
    tried = f" (after {'; '.join(u.reasons)})" if u.reasons else ""
    return (
        f"{u.product}: updated, {label(u.before)} -> {label(u.after)} from {u.after.url}{tried}; "
        f"sections now covered {', '.join(u.sections) or 'none'} (new: {', '.join(u.new_sections) or 'none'}); "
        f"facts +{u.facts_added} -{u.facts_removed}; incidences +{u.incidences_added} -{u.incidences_removed}"
    )


@pack_app.command("update")
def pack_update_cmd(
    drugs: Optional[list[str]] = typer.Argument(None, help="products of the pack to update"),
    all_products: bool = typer.Option(False, "--all", help="update every product of the pack"),
    out_file: Optional[Path] = typer.Option(
        None, "--out", "-o", help="pack file to write [default: the user pack, RXCOMPARE_USER_PACK]"
    ),
    pack_file: Optional[Path] = typer.Option(
        None, "--pack", help="pack to start from [default: --out when it exists, else the user or embedded pack]"
    ),
) -> None:
    """Replace pack entries by the current label from DailyMed (openFDA where DailyMed cannot
    answer), read whole; write the user pack atomically. The embedded pack is never changed.
    Exit status 1 when a product could not be updated (its entry is kept; the others are written)."""
    from rxcompare import settings
    from rxcompare.errors import ConfigError
    from rxcompare.sources.dailymed import DailyMedClient
    from rxcompare.sources.online import OpenFdaClient
    from rxcompare.sources.pack import load_pack, pack_to_dict, user_pack_path, write_pack
    from rxcompare.sources.pack_update import update_pack

    target = out_file or user_pack_path()
    if target is None:
        raise ConfigError("RXCOMPARE_USER_PACK is empty; give --out FILE")
    start = pack_file or settings.PACK.get() or (target if target.is_file() else None)
    pack = load_pack(start)
    if all_products == bool(drugs):
        raise ConfigError("name the products to update, or give --all (not both)")
    ids = [p.id for p in pack.products] if all_products else list(dict.fromkeys(_pack_product(d, pack).id for d in drugs))
    with DailyMedClient() as dailymed, OpenFdaClient() as openfda, err.status("updating the pack") as status:
        new, reports = update_pack(
            pack, ids, dailymed, openfda, lambda pid, step: status.update(f"{pid}: {step}")
        )
    for u in reports:
        _write(_update_line(u), None)
    if any(u.outcome == "updated" for u in reports):
        path = write_pack(pack_to_dict(new, built=max(u.after.fetched for u in reports if u.outcome == "updated")), target)
        err.print(f"wrote {path}", highlight=False)
    else:
        err.print(f"nothing changed; {target} was not written", highlight=False)
    if any(u.outcome == "kept" for u in reports):
        raise typer.Exit(1)


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
    from rxcompare.comparison import compare_drugs
    from rxcompare.errors import ConfigError
    from rxcompare.resolver import resolve_pair
    from rxcompare.sources.pack import load_pack

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    pack = load_pack(pack_file or settings.PACK.get())
    if online:
        pack = _with_online_labels(pack, (a, b))
    da, db = resolve_pair(a, b, pack, indication=indication)
    source, missing = _postmarketing_source(warehouse, online)
    from rxcompare.sources.ctgov import RegistrySource

    comparison = compare_drugs(
        da, db, pack, factors=tuple(factors), audience=audience, postmarketing=source,
        postmarketing_missing=missing, indication=indication, trials=RegistrySource(online=online),
    )
    if online:
        comparison = _with_label_notices(comparison, pack, (da.product.id, db.product.id))
    _write(_render(comparison, fmt, width), output)


def _with_label_notices(comparison, pack, product_ids):
    """``--online``: a provenance entry for each pack label DailyMed lists in a newer version."""
    import dataclasses

    from rxcompare.sources.dailymed import DailyMedClient
    from rxcompare.sources.pack_update import newer_labels

    with DailyMedClient() as client:
        notes = newer_labels(pack, product_ids, client)
    extra = tuple((f"newer label: {pid}", note) for pid, note in notes)
    return dataclasses.replace(comparison, provenance=comparison.provenance + extra) if extra else comparison


def _with_online_labels(pack, names):
    """The pack plus openFDA labels for the names it cannot resolve (``--online``)."""
    from rxcompare.resolver import candidates
    from rxcompare.sources.online import OpenFdaClient
    from rxcompare.sources.openfda_labels import pack_with_online_labels

    missing = [n for n in names if not candidates(n, pack)[0]]
    return pack_with_online_labels(pack, missing, OpenFdaClient()) if missing else pack


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
    from rxcompare.comparison import names_in_question
    from rxcompare.sources.pack import load_pack

    pack = load_pack(pack_file or settings.PACK.get())
    a, b = names_in_question(question, pack)
    err.print(f"comparing {a} with {b}", highlight=False)
    _run_compare(a, b, fmt, output, [], audience, None, pack_file, width, warehouse, online)

# ---- trials (issue 17: ClinicalTrials.gov) -------------------------------------------------


def _trial_subject(name: str, pack):
    """(ingredient to search, the pack's products of it) for a name; a name the pack does not
    know is searched as given, with no product to count its trials for."""
    from rxcompare.errors import AmbiguousDrugError
    from rxcompare.resolver import candidates

    ids, _how = candidates(name, pack)
    products = [pack.product(i) for i in ids]
    ingredients = sorted({p.ingredient for p in products})
    if len(ingredients) > 1:
        raise AmbiguousDrugError(
            f"{name!r} matches products of {len(ingredients)} ingredients ({', '.join(ingredients)}); "
            "name one", tuple(p.brand for p in products),
        )
    if not products:
        return " ".join(name.split()).lower(), []
    return ingredients[0], [p for p in pack.products if p.ingredient == ingredients[0]]


@app.command("trials")
def trials_cmd(
    drugs: list[str] = typer.Argument(..., help="one or two medicines (brand or generic name)"),
    nct: list[str] = typer.Option([], "--nct", help="count only this registry study (repeatable)"),
    fetch: bool = typer.Option(False, "--fetch", help="ask ClinicalTrials.gov and fill the trials cache "
                               "[default: read the cache]"),
    fmt: str = typer.Option("text", "--format", "-f", help="text | json"),
    pack_file: Optional[Path] = typer.Option(None, "--pack", help="a knowledge pack file"),
) -> None:
    """ClinicalTrials.gov trials with posted results: their arms, how each maps to the medicine or
    its comparator, and what is not counted and why."""
    from rxcompare import settings
    from rxcompare.errors import ConfigError
    from rxcompare.sources.ctgov import (
        CtGovClient,
        TrialsStore,
        check_nct,
        drug_names,
        fetch_registry,
        stored_registry,
        trials_json,
        trials_outline,
    )
    from rxcompare.sources.pack import load_pack

    if fmt not in LABEL_FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(LABEL_FORMATS)}")
    if not 1 <= len(drugs) <= 2:
        raise ConfigError(f"give one or two medicines, not {len(drugs)}")
    ids = check_nct(nct)
    pack = load_pack(pack_file or settings.PACK.get())
    store = TrialsStore()
    subjects = [_trial_subject(d, pack) for d in drugs]
    registries = []
    if fetch:
        with CtGovClient() as client:
            for ingredient, products in subjects:
                reg, doc = fetch_registry(ingredient, client, drug_names(ingredient, products), products, ids)
                registries.append((reg, products))
                store.save(doc)
    else:
        for ingredient, products in subjects:
            doc = store.load(ingredient)
            if doc is None:
                raise ConfigError(
                    f"the trials cache holds nothing for {ingredient!r} ({store.path(ingredient)}); run "
                    f"`rxcompare trials {ingredient} --fetch` (needs the network) first"
                )
            reg = stored_registry(doc, drug_names(ingredient, products), products)
            if ids:
                reg = reg.__class__(**{**reg.__dict__, "trials": tuple(t for t in reg.trials if t.nct_id in ids)})
            registries.append((reg, products))
    if fmt == "json":
        _write(_json_text(trials_json([r for r, _ in registries])), None)
    else:
        _write("\n\n".join(trials_outline(r, p) for r, p in registries), None)


# ---- faers commands (issue: FAERS warehouse) -----------------------------------------------


def _faers_progress():
    """A rich progress bar and the callback ``(step, done, total)`` that feeds it."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(),
                   console=err, transient=True)
    task = bar.add_task("", total=None)

    def update(step: str, done: int, total: int | None) -> None:
        bar.update(task, description=step, completed=done, total=total)

    return bar, update


@faers_app.command("download")
def faers_download(
    first: str = typer.Argument(..., help="first quarter, e.g. 2023q1"),
    last: Optional[str] = typer.Argument(None, help="last quarter (default: the first)"),
    dest: Path = typer.Option(Path("."), "--dest", help="folder for the zips"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="mirror of FDA's Exports folder"),
) -> None:
    """Download FDA's quarterly ASCII zips (resumable; sha256 recorded beside each zip)."""
    from rxcompare.sources.faers.download import download_quarter
    from rxcompare.sources.faers.layout import quarter_range

    bar, update = _faers_progress()
    with bar:
        for q in quarter_range(first, last or first):
            d = download_quarter(q, dest, base_url=base_url, progress=update)
            state = "already here" if d.skipped else f"{d.size:,} bytes"
            err.print(f"{escape(d.path)}: {state}, sha256 {d.sha256}", highlight=False)


@faers_app.command("ingest")
def faers_ingest(
    paths: list[Path] = typer.Argument(..., help="faers_ascii_YYYYqN.zip files or extracted folders"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="warehouse folder (else RXCOMPARE_WAREHOUSE)"),
    strict: bool = typer.Option(False, "--strict", help="stop at the first bad line instead of listing it"),
    synonyms: Optional[Path] = typer.Option(None, "--synonyms", help="CSV name,ingredient,product (else RXCOMPARE_SYNONYMS)"),
    allow_missing: bool = typer.Option(False, "--allow-missing",
                                       help="ingest a quarter whose table file is absent or unreadable, recording it as missing"),
) -> None:
    """Ingest quarters into the warehouse (atomic per quarter; the same file twice changes nothing)."""
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.sources.faers.warehouse import Warehouse

    wh = Warehouse(warehouse)
    syn = load_synonyms(synonyms)
    bar, update = _faers_progress()
    results = []
    with bar:
        try:
            for p in paths:
                results.append(wh.ingest(p, strict=strict, progress=update, synonyms=syn, rebuild=False,
                                         allow_missing=allow_missing))
        finally:  # the quarters ingested before an error get their case tables too
            if any(not r.skipped for r in results) or wh.status().needs_dedup:
                update("deduplicating", 0, None)
                wh.dedupe(syn)
    for r in results:
        if r.skipped:
            out.print(f"{r.quarter}: already ingested from {escape(r.source)} (same sha256), nothing changed")
            continue
        rows = ", ".join(f"{t} {n:,}" for t, n in r.rows)
        out.print(f"{r.quarter} ({r.layout}): {rows}; rejected {r.rejects}, flagged {r.flagged}, "
                  f"deleted-case ids {r.deleted}", highlight=False)
        if r.rejects or r.flagged:
            out.print(f"  listed in {escape(str(wh.path / 'rejects' / (r.quarter + '.csv')))}: "
                      + ", ".join(f"{k} {n}" for k, n in r.reasons), highlight=False)
    faers_status(warehouse)


@faers_app.command("dedup")
def faers_dedup(
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="warehouse folder"),
    synonyms: Optional[Path] = typer.Option(None, "--synonyms", help="CSV name,ingredient,product"),
    match: Optional[str] = typer.Option(None, "--match", help="then find duplicates across case ids: demographic"),
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


@faers_app.command("status")
def faers_status(
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="warehouse folder"),
) -> None:
    """Quarters held, reports before and after deduplication, rejects."""
    from rich.table import Table

    from rxcompare.sources.faers.warehouse import Warehouse

    st = Warehouse(warehouse).status()
    table = Table(title=f"FAERS warehouse {st.path}", title_justify="left")
    for col in ("quarter", "layout", "source", "reports", "rejected", "flagged", "deleted ids", "ingested"):
        table.add_column(col, justify="right" if col in ("reports", "rejected", "flagged", "deleted ids") else "left")
    for q in st.quarters:
        table.add_row(q.quarter, q.layout, q.source, f"{q.reports:,}", str(q.rejects), str(q.flagged),
                      str(q.deleted), q.ingested_at)
    out.print(table)
    for line in st.recovered:
        out.print(f"recovered: {escape(line)}", highlight=False)
    for q in st.quarters:
        if q.missing:
            out.print(f"[yellow]{q.quarter}: ingested without {', '.join(t.upper() for t in q.missing)} (--allow-missing)[/]")
        if q.damaged:
            out.print(f"[red]{q.quarter} is damaged: {escape('; '.join(q.damaged))}; ingest it again from its zip[/]")
    if st.damaged:
        out.print(f"[red]the case tables are damaged: {escape('; '.join(st.damaged))}; run `rxcompare faers dedup`[/]")
    d = st.dedup
    if d is None:
        out.print("no deduplicated case table yet")
        return
    orphans = ", ".join(f"{t} {n}" for t, n in d.orphans if n)
    out.print(f"reports {d.rows_before:,}; removed as older versions {d.removed_older_versions:,}; "
              f"removed as deleted cases {d.removed_deleted:,}; cases after deduplication {d.after:,}"
              + (f"; orphan rows (no DEMO row): {orphans}" if orphans else ""), highlight=False)
    if st.stale:
        out.print("[yellow]the case tables were built from other quarters: run `rxcompare faers dedup`[/]")
    _match_status(st.path)


def _match_status(path) -> None:
    """The demographic match's counts and the fields each quarter could be matched on."""
    from rxcompare.sources.faers.match import read_match_report

    m, stale = read_match_report(path)
    if m is None:
        return
    joined = ", ".join(f"{f} {n}" for f, n in m.joined_with_missing if n)
    out.print(f"demographic match: {m.cases_before:,} cases, {m.candidates:,} with event date, suspect and "
              f"reaction; {m.groups:,} groups of {m.cases_in_groups:,} cases merged (removed {m.removed:,}"
              + (f"; joined with one field missing: {joined}" if joined else "")
              + f"); cases after {m.cases_after:,}", highlight=False)
    for q, fields in m.fields_by_quarter:
        have = [f"{f} {share:.0%}" for f, share in fields if share > 0]
        lack = [f for f, share in fields if share == 0]
        out.print(f"  {q}: matched on {', '.join(have) or 'nothing'} present"
                  + (f"; not matched on {', '.join(lack)} (absent)" if lack else ""), highlight=False)
    if stale:
        out.print("[yellow]the demographic match is older than the case tables: run "
                  "`rxcompare faers dedup --match demographic`[/]")


@faers_app.command("synth")
def faers_synth(
    out_dir: Path = typer.Option(..., "--out", help="folder to write the quarters into"),
    reports: int = typer.Option(5000, "--reports", help="DEMO rows over all quarters"),
    quarters: int = typer.Option(2, "--quarters", help="number of quarters"),
    seed: int = typer.Option(0, "--seed"),
    start: str = typer.Option("2023q1", "--start", help="first quarter"),
    fmt: str = typer.Option("zip", "--format", help="zip or dir"),
    faults: bool = typer.Option(False, "--faults", help="damage a few lines as real releases are damaged"),
) -> None:
    """Write synthetic quarters in FDA's layout, with their truth (truth.csv, truth.json) beside them."""
    from rxcompare.sources.faers.synth import synth_quarters

    t = synth_quarters(out_dir, reports=reports, quarters=quarters, seed=seed, start=start, fmt=fmt, faults=faults)
    out.print(f"wrote {len(t.quarters)} quarters to {escape(str(out_dir))}: {t.reports:,} reports, {t.cases:,} cases, "
              f"{t.older_versions:,} older versions, {t.deleted_cases:,} deleted, {t.expected_cases:,} expected after "
              f"deduplication; {t.drug_rows:,} drug rows, {t.reac_rows:,} reaction rows", highlight=False)


# ---- signals (issue: signals) --------------------------------------------------------------

SIGNAL_FORMATS = ("table", "json", "csv")


def _signal_count_source(
    reports: Path, report_col: str, drug_col: str, event_col: str,
    indication: str | None, role: list[str],
):
    """The counting functions of a --reports table: (count_all, count_pair). (The warehouse mode
    is :func:`_signals_warehouse`.)"""
    from rxcompare.errors import ConfigError
    from rxcompare.sources.report_table import count_head_to_head, count_report_pairs

    for name, value in (("--indication", indication), ("--role", role)):
        if value:
            raise ConfigError(
                f"{name} {value!r} filters the FAERS warehouse; a --reports table has no such "
                "column -- filter the table before counting, or leave the option out"
            )
    return (
        lambda: count_report_pairs(reports, report_col, drug_col, event_col),
        lambda x, y: count_head_to_head(reports, x, y, report_col, drug_col, event_col),
    )


def _signals_text(table) -> str:
    """A rounded, human-readable table (rounding happens here, never in the library)."""
    import io
    import math

    from rich.table import Table

    def g(x: float) -> str:
        return "-" if math.isnan(x) else f"{x:.3g}"

    cols = table.columns
    t = Table(title=f"{table.source}: {len(table)} pairs, counted in {table.counting_unit}s "
                    f"(n = {table.n_reports})", title_justify="left")
    for name in ("drug", "event", "a", "ROR (95% CI)", "PRR", "IC025", "EBGM (EB05-EB95)", "flagged by"):
        t.add_column(name, justify="right" if name not in ("drug", "event") else "left")
    for i in range(len(table)):
        t.add_row(
            str(cols["drug"][i]), str(cols["event"][i]), str(cols["a"][i]),
            f"{g(cols['ror'][i])} ({g(cols['ror_lower'][i])}-{g(cols['ror_upper'][i])})",
            g(cols["prr"][i]), g(cols["ic025"][i]),
            "-" if math.isnan(cols["ebgm"][i])
            else f"{g(cols['ebgm'][i])} ({g(cols['eb05'][i])}-{g(cols['eb95'][i])})",
            str(cols["flags"][i]) or "-",
        )
    console = Console(record=True, width=max(out.width, 120), file=io.StringIO())
    console.print(t)
    if table.prior is not None:
        p = table.prior
        console.print(
            f"MGPS prior: alpha1={p.alpha1:.4g} beta1={p.beta1:.4g} alpha2={p.alpha2:.4g} "
            f"beta2={p.beta2:.4g} p={p.p:.4g} ({p.method}; {p.n_pairs} pairs)", highlight=False
        )
    if table.mgps_note:
        console.print(table.mgps_note, highlight=False)
    console.print("rules: " + "; ".join(f"{k}: {v}" for k, v in table.rules.items()), highlight=False)
    if table.filters:
        console.print("filters: " + "; ".join(f"{k}={v}" for k, v in table.filters), highlight=False)
    return console.export_text()


def _onset_text(summaries, source: str) -> str:
    """Time-to-onset summaries as a rounded table."""
    import io
    import math

    from rich.table import Table

    t = Table(title=f"{source}: time to onset (days), counted in deduplicated cases", title_justify="left")
    for name in ("drug", "event", "cases", "usable (share)", "median (Q1-Q3)", "min-max", "too coarse",
                 "missing", "negative"):
        t.add_column(name, justify="left" if name in ("drug", "event") else "right")
    for s in summaries:
        spread = "-" if math.isnan(s.median_days) else f"{s.median_days:g} ({s.q1_days:g}-{s.q3_days:g})"
        rng = "-" if math.isnan(s.min_days) else f"{s.min_days:g}-{s.max_days:g}"
        t.add_row(s.drug, s.event, str(s.cases), f"{s.usable} ({s.share_usable:.0%})", spread, rng,
                  str(s.too_coarse), str(s.missing + s.invalid), str(s.negative))
    console = Console(record=True, width=max(out.width, 120), file=io.StringIO())
    console.print(t)
    console.print("onset = event date - earliest full therapy start of the drug; dates given only as "
                  "YYYY or YYYYMM are counted as too coarse, never given invented days", highlight=False)
    return console.export_text()


def _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious):
    from rxcompare.sources.faers.counts import SUSPECT, CountQuery, parse_quarters

    return CountQuery(
        roles=tuple(role) or SUSPECT, level=level, indication=indication,
        quarters=parse_quarters(quarters) if quarters else None, country=country, sex=sex,
        age_band=age_band, serious=True if serious else None,
    )


def _signals_warehouse(drug, vs, event, fmt, output, min_count, warehouse, engine, spark_master,
                       query, strata, by_quarter, onset) -> None:
    """Warehouse mode of `signals`: count on the chosen engine, score, write."""
    import json

    from rxcompare.errors import ConfigError, FaersError
    from rxcompare.scoring import signals_by_quarter, signals_from_warehouse
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.stats.thresholds import Thresholds

    parquet = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if onset and (parquet or vs or by_quarter):
        raise ConfigError("--onset summarises time to onset of DRUG's pairs; it takes no --vs or "
                          "--by-quarter and writes table, json or csv")
    names = tuple(x.strip() for x in (strata or "").split(",") if x.strip())
    try:
        tables = connect_engine(warehouse, engine, spark_master=spark_master)
    except FaersError as exc:
        raise FaersError(f"signals in warehouse mode (no --reports given): {exc}; or give --reports "
                         "FILE (a long table of reports)") from None
    kw = {"drug": drug, "events": tuple(event), "query": query, "strata": names,
          "thresholds": Thresholds(min_count=min_count)}
    with tables:
        if onset:
            from rxcompare.sources.faers.onset import onset_csv, onset_json, time_to_onset

            rows = time_to_onset(tables, query, [drug] if drug else [], event)
            text = (json.dumps(onset_json(rows, tables.description), indent=1) if fmt == "json"
                    else onset_csv(rows) if fmt == "csv" else _onset_text(rows, tables.description))
            _write(text, output)
            return
        if by_quarter:
            results = signals_by_quarter(tables, **kw)
        else:
            table = signals_from_warehouse(tables, vs=vs, **kw)
    if by_quarter:
        if not _write_signals(results, fmt, output):
            _write("\n".join(f"received up to {q}:\n{_signals_text(t)}" for q, t in results), output)
        return
    if not _write_signals([(None, table)], fmt, output):
        _write(_signals_text(table), output)


def _write_signals(results, fmt: str, output: Optional[Path]) -> bool:
    """CSV, JSON or Parquet (by the output's suffix) written column-wise by
    :mod:`rxcompare.signal_files`; False when the format is the terminal table."""
    from rxcompare.signal_files import write_signals

    parquet = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if not parquet and fmt == "table":
        return False
    if output is None:
        sys.stdout.flush()
    rows = write_signals(results, "parquet" if parquet else fmt, output if output is not None else sys.stdout)
    if output is not None:
        err.print(f"wrote {output} ({rows} {'pairs' if results and results[0][0] is None else 'rows'})",
                  highlight=False)
    return True


def _signals_evaluate(name, reference, outcomes, definition, synonyms, fmt, output, min_count, warehouse,
                      engine, spark_master, query) -> None:
    """`signals --evaluate`: every rule's sensitivity, specificity, PPV and AUC on a reference set."""
    from rxcompare.errors import ConfigError
    from rxcompare.evaluate import evaluate_reference, evaluation_json, evaluation_text
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.sources.faers.normalise import load_synonyms
    from rxcompare.sources.reference_sets import load_reference
    from rxcompare.stats.thresholds import Thresholds

    if fmt not in ("table", "json"):
        raise ConfigError(f"--evaluate writes table or json, not {fmt!r}")
    if outcomes is None and name != "harpaz" and Path("knowledge/reference_outcomes.json").is_file():
        outcomes = Path("knowledge/reference_outcomes.json")
    ref = load_reference(name, reference, outcomes=outcomes, level=definition)
    with connect_engine(warehouse, engine, spark_master=spark_master) as tables:
        ev = evaluate_reference(tables, ref, query=query, thresholds=Thresholds(min_count=min_count),
                                synonyms=load_synonyms(synonyms))
    _write(_json_text(evaluation_json(ev)) if fmt == "json" else evaluation_text(ev), output)


@app.command("signals")
def signals_cmd(
    drug: str | None = typer.Argument(None, help="drug label as written in the source"),
    vs: str | None = typer.Option(None, "--vs", help="head-to-head: ROR of DRUG against this drug"),
    event: list[str] = typer.Option([], "--event", help="event (preferred term); repeatable"),
    indication: str | None = typer.Option(None, "--indication", help="warehouse only"),
    role: list[str] = typer.Option([], "--role", help="warehouse only: PS, SS, C, I"),
    min_count: int = typer.Option(3, "--min-count", help="no pair with fewer reports is flagged"),
    all_pairs: bool = typer.Option(False, "--all-pairs", help="score and output every pair"),
    fmt: str = typer.Option("table", "--format", "-f", help="table | json | csv"),
    output: Path | None = typer.Option(None, "--output", "-o", help="file (.parquet for Parquet)"),
    reports: Path | None = typer.Option(None, "--reports", help="long table of reports (CSV/Parquet)"),
    report_col: str = typer.Option("id", "--report-col", help="column of report ids"),
    drug_col: str = typer.Option("var1", "--drug-col", help="column of drug labels"),
    event_col: str = typer.Option("var2", "--event-col", help="column of event labels"),
    level: str = typer.Option("ingredient", "--level", help="warehouse: ingredient | product"),
    quarters: str | None = typer.Option(None, "--quarters", help="warehouse: quarters received, e.g. 2023q1-2024q4"),
    country: str | None = typer.Option(None, "--country", help="warehouse: country of occurrence (code)"),
    sex: str | None = typer.Option(None, "--sex", help="warehouse: F or M"),
    age_band: str | None = typer.Option(None, "--age-band", help="warehouse: <18, 18-44, 45-64, 65-74, >=75"),
    serious: bool = typer.Option(False, "--serious", help="warehouse: serious cases only"),
    warehouse: str | None = typer.Option(None, "--warehouse", help="FAERS warehouse folder (or URL for Spark)"),
    engine: str = typer.Option("duckdb", "--engine", help="warehouse: duckdb | spark"),
    spark_master: str | None = typer.Option(None, "--spark-master", help="Spark master URL [default: local[*]]"),
    by_quarter: bool = typer.Option(False, "--by-quarter", help="warehouse: cumulative scoring by quarter received"),
    strata: str | None = typer.Option(None, "--strata", help="warehouse: stratified MGPS E, e.g. sex,age_band"),
    onset: bool = typer.Option(False, "--onset", help="warehouse: time to onset of DRUG's pairs instead"),
    evaluate: str | None = typer.Option(None, "--evaluate", help="warehouse: evaluate the rules on a reference "
                                        "set instead: omop | euadr | harpaz"),
    reference: Path | None = typer.Option(None, "--reference", help="--evaluate: reference set file or its folder"),
    outcomes: Path | None = typer.Option(None, "--outcomes", help="--evaluate omop|euadr: outcome PT definitions "
                                         "[default: knowledge/reference_outcomes.json if present]"),
    definition: str = typer.Option("narrow", "--definition", help="--evaluate harpaz: narrow | broad PT sets"),
    synonyms: Path | None = typer.Option(None, "--synonyms", help="--evaluate: CSV name,ingredient,product"),
) -> None:
    """Disproportionality signals (ROR, PRR, chi-square, IC, EBGM) per drug-event pair, from a
    long table of reports (--reports) or the FAERS warehouse (DuckDB, or Spark with --engine spark)."""
    from rxcompare.errors import ConfigError
    from rxcompare.scoring import run_signals
    from rxcompare.stats.thresholds import Thresholds

    if fmt not in SIGNAL_FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(SIGNAL_FORMATS)}")
    if evaluate is not None:
        query = _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious)
        _signals_evaluate(evaluate, reference, outcomes, definition, synonyms, fmt, output, min_count,
                          warehouse, engine, spark_master, query)
        return
    if drug is None and not all_pairs:
        raise ConfigError("give a DRUG, or --all-pairs to score every drug-event pair")
    if reports is None:
        query = _warehouse_query(role, level, indication, quarters, country, sex, age_band, serious)
        _signals_warehouse(drug, vs, event, fmt, output, min_count, warehouse, engine, spark_master,
                           query, strata, by_quarter, onset)
        return
    warehouse_only = {"--level": level != "ingredient", "--quarters": quarters, "--country": country,
                      "--sex": sex, "--age-band": age_band, "--serious": serious, "--warehouse": warehouse,
                      "--engine": engine != "duckdb", "--spark-master": spark_master,
                      "--by-quarter": by_quarter, "--strata": strata, "--onset": onset}
    for name, used in warehouse_only.items():
        if used:
            raise ConfigError(f"{name} applies to the FAERS warehouse, not to a --reports table; "
                              "leave it out or drop --reports")
    count_all, count_pair = _signal_count_source(reports, report_col, drug_col, event_col, indication, role)
    table = run_signals(
        count_all, drug=drug, events=tuple(event), vs=vs, count_pair=count_pair,
        thresholds=Thresholds(min_count=min_count),
    )
    if not _write_signals([(None, table)], fmt, output):
        _write(_signals_text(table), output)


# ---- serve (issue: web) --------------------------------------------------------------------


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="port to listen on"),
    pack_file: Optional[Path] = typer.Option(None, "--pack", help="a knowledge pack file"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="FAERS warehouse folder"),
    online: bool = typer.Option(False, "--online", help="use openFDA for post-marketing counts"),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="log every request"),
) -> None:
    """Serve the comparison page and the JSON API (/api/compare, /api/drugs, /api/signals, /healthz).

    Only requests for the loopback names, --host and RXCOMPARE_WEB_HOSTS are answered."""
    try:
        import uvicorn

        from rxcompare.web import create_app
    except ImportError as exc:
        from rxcompare.errors import ConfigError

        raise ConfigError(f"the web app needs its extra ({exc.name} is missing): pip install 'rxcompare[web]'") from None
    application = create_app(pack_file=pack_file, warehouse=warehouse, online=online, hosts=[host])
    err.print(f"rxcompare serving on http://{host}:{port}/ (Ctrl+C stops)", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="info" if access_log else "warning",
                access_log=access_log)


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
