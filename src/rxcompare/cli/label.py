"""``rxcompare label``: read a label file, show what a label says."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rxcompare.cli.common import (
    TEXT_FORMATS,
    Output,
    PackFile,
    TextFormat,
    check_format,
    json_text,
    load_pack,
    pack_product,
    write_output,
)

app = typer.Typer(help="Read FDA labels (SPL XML, openFDA JSON).", no_args_is_help=True)


@app.command("parse")
def label_parse_cmd(
    file: Path = typer.Argument(
        ..., help="an SPL XML label file or an openFDA drug/label.json reply"
    ),
    fmt: TextFormat = "text",
    output: Output = None,
) -> None:
    """Parse a label (SPL XML or openFDA JSON, told by content): identity, products, numbered
    sections and table shapes. A reply of several openFDA results gives each."""
    from rxcompare.models import envelope, to_dict
    from rxcompare.sources.labels.openfda_json import parse_label
    from rxcompare.sources.labels.spl import outline

    check_format(fmt, TEXT_FORMATS)
    labels = parse_label(file)
    if fmt == "json" and len(labels) == 1:
        write_output(json_text(envelope("rxcompare/label", label=to_dict(labels[0]))), output)
    elif fmt == "json":
        write_output(json_text(envelope("rxcompare/labels", labels=to_dict(labels))), output)
    else:
        write_output("\n\n".join(outline(label) for label in labels), output)


def _file_facts(file: Path, drug: str):
    """(product, facts, incidences, source, None) read from a label file that must be ``drug``'s
    (the file is read whole: no coverage to report)."""
    from rxcompare.errors import LabelError
    from rxcompare.sources.labels.fact_context import matches_product, product_from_label
    from rxcompare.sources.labels.facts import extract_facts
    from rxcompare.sources.labels.openfda_json import parse_label

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
    return product, facts, incidences, f"{label.source} file {file.name}", None


def _pack_facts(pack_file: Optional[Path], drug: str):
    """(product, facts, incidences, source, label sections held in full) as the knowledge pack
    holds them."""
    pack = load_pack(pack_file)
    product = pack_product(drug, pack)
    held = pack.label_of(product.id)
    source = (
        f"knowledge pack ({pack.source_of(product.id) or 'unknown source'}); label version "
        f"{held.version or 'unknown'} of {held.effective_date or 'unknown date'}; {pack.describe()}"
    )
    return (
        product,
        list(pack.facts_for(product.id)),
        list(pack.incidences_for(product.id)),
        source,
        pack.coverage_of(product.id),
    )


def _nothing_said(section: Optional[str], product, held: Optional[tuple[str, ...]]) -> str:
    """Why no fact is shown: the file read (``held`` None) has none there, the pack holds the
    section in full (``held``: the sections it does) and none of its facts is from it, or the pack
    does not hold the section (not the same as the label saying nothing)."""
    if held is None:
        return (
            f"(the label file yields no fact from section {section})" if section else "(no facts)"
        )
    if not section:
        return "(the pack holds no fact of this product)"
    top = section.split(".")[0].upper()
    if top in held:
        return (
            f"(the pack holds section {top} of this label in full, and none of its facts is from "
            f"section {section})"
        )
    return (
        f"(not in the pack: it does not hold section {top} of this label in full; held in full: "
        f"{', '.join(held) or 'none'}. `rxcompare pack update {product.id}` (online) or "
        "`rxcompare pack build --spl FILE` fills it)"
    )


@app.command("show")
def label_show_cmd(
    drug: str = typer.Argument(..., help="a product of the knowledge pack (or of --file)"),
    section: Optional[str] = typer.Option(
        None, "--section", "-s", help='only this section, e.g. "5" or "5.1"'
    ),
    file: Optional[Path] = typer.Option(
        None, "--file", help="read this label (SPL XML or openFDA JSON) instead of the pack"
    ),
    fmt: TextFormat = "text",
    output: Output = None,
    pack_file: PackFile = None,
) -> None:
    """What the label says about a product: facts grouped by section, each with its citation."""
    from rxcompare.models import envelope, to_dict
    from rxcompare.render.label import facts_outline
    from rxcompare.sources.labels.facts import in_section
    from rxcompare.sources.labels.spl import terminal_safe

    check_format(fmt, TEXT_FORMATS)
    product, facts, incidences, source, held = (
        _file_facts(file, drug) if file is not None else _pack_facts(pack_file, drug)
    )
    if section:
        facts = [f for f in facts if in_section(f.citation.section, section)]
        incidences = [i for i in incidences if in_section(i.citation.section, section)]
    if fmt == "json":
        doc = envelope(
            "rxcompare/label-facts",
            source=source,
            product=to_dict(product),
            facts=to_dict(facts),
            incidences=to_dict(incidences),
        )
        write_output(json_text(doc), output)
        return
    text = f"source: {source}\n{facts_outline(product, facts, incidences)}"
    if not facts and not incidences:
        text += "\n" + _nothing_said(section, product, held)
    write_output(terminal_safe(text), output)
