"""Building and writing a pack document: entries from parsed labels and curated files
(:func:`build_pack`), a pack as a document (:func:`pack_to_dict`), written atomically
(:func:`write_pack`)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rxcompare.errors import PackError
from rxcompare.models import Fact, Incidence, Label, Product, envelope, to_dict
from rxcompare.sources.atomic import FolderError, write_json_atomic
from rxcompare.sources.pack.curated import read_curated_entry
from rxcompare.sources.pack.read import forget_loaded, pack_from_dict
from rxcompare.sources.pack.record import SCHEMA, VERSION, Pack, PackLabel

__all__ = ["build_pack", "entry_from_label", "pack_to_dict", "put_entry", "write_pack"]


def entry_from_label(
    label: Label, product_id: str | None = None
) -> tuple[Product, list[Fact], list[Incidence], tuple[str, ...]]:
    """A pack entry from a parsed label (SPL or openFDA), as ``pack build --spl`` makes it: the
    product, its facts and incidences (under ``product_id``, default the label's own product id)
    and its coverage (every numbered top-level section of the label; the boxed warning for SPL,
    whose section codes say whether there is one)."""
    from rxcompare.sources.labels.fact_context import product_from_label
    from rxcompare.sources.labels.facts import extract_facts

    product = product_from_label(label)
    if product_id is not None and product_id != product.id:
        product = dataclasses.replace(product, id=product_id)
    facts, incidences = extract_facts(label, product.id)
    coverage = tuple(
        sorted(
            {s.number.split(".")[0] for s in label.sections if s.number}
            | ({"BW"} if label.source == "spl" else set())
        )
    )
    return product, facts, incidences, coverage


_OPTIONAL_CODES = (
    "rxcui",
    "unii",
)  # written only where a source gave them (packs stay as they were)


def _product_dict(product: Product) -> dict[str, Any]:
    return {k: v for k, v in to_dict(product).items() if not (k in _OPTIONAL_CODES and not v)}


def _key(record) -> tuple:
    c = record.citation
    return (
        (record.topic, record.text, c.section)
        if hasattr(record, "topic")
        else (record.event, record.trial, record.arm, record.n, record.percent, c.section)
    )


def put_entry(
    pack: Pack,
    label: Label,
    url: str | None,
    source: str,
    today: str | None,
    entry: Product | None = None,
) -> tuple[Pack, PackLabel, dict[str, Any]]:
    """The pack with the label's entry in it -- in place of ``entry`` (under its id, keeping its
    synonyms) when given, else under the label's own product id -- the label record, and the
    counts of what changed. Facts without an address are cited to ``url``."""
    from rxcompare.sources.pack.listed import label_text_from_label

    product, facts, incidences, coverage = entry_from_label(label, entry.id if entry else None)
    if entry is not None:
        product = dataclasses.replace(
            product, synonyms=tuple(dict.fromkeys((*entry.synonyms, *product.synonyms)))
        )
    pid = product.id

    def cite(record):
        if record.citation.url or not url:
            return record
        return dataclasses.replace(record, citation=dataclasses.replace(record.citation, url=url))

    facts, incidences = [cite(f) for f in facts], [cite(i) for i in incidences]
    old_f, old_i = (
        {_key(f) for f in pack.facts_for(pid)},
        {_key(i) for i in pack.incidences_for(pid)},
    )
    new_f, new_i = {_key(f) for f in facts}, {_key(i) for i in incidences}
    record = PackLabel(pid, label.set_id, label.version, label.effective_date, source, url, today)
    held = any(p.id == pid for p in pack.products)
    new = dataclasses.replace(
        pack,
        products=tuple(product if p.id == pid else p for p in pack.products)
        + (() if held else (product,)),
        facts=tuple(f for f in pack.facts if f.product != pid) + tuple(facts),
        incidences=tuple(i for i in pack.incidences if i.product != pid) + tuple(incidences),
        sources=tuple(sorted({**dict(pack.sources), pid: source}.items())),
        coverage=tuple(sorted({**dict(pack.coverage), pid: coverage}.items())),
        label_text=tuple(
            sorted({**dict(pack.label_text), pid: label_text_from_label(label)}.items())
        ),
        unread_tables=tuple(
            sorted(
                {
                    **{k: v for k, v in pack.unread_tables if k != pid},
                    **({pid: label.unread_tables} if label.unread_tables else {}),
                }.items()
            )
        ),
        labels=tuple(
            sorted(
                [lab for lab in pack.labels if lab.product != pid] + [record],
                key=lambda x: x.product,
            )
        ),
    )
    changes = {
        "sections": coverage,
        "new_sections": tuple(sorted(set(coverage) - set(pack.coverage_of(pid) if held else ()))),
        "facts_added": len(new_f - old_f),
        "facts_removed": len(old_f - new_f),
        "incidences_added": len(new_i - old_i),
        "incidences_removed": len(old_i - new_i),
    }
    return new, record, changes


def build_pack(
    curated: Iterable[str | os.PathLike[str]] = (),
    spl: Iterable[str | os.PathLike[str]] = (),
    event_groups: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Build the pack document from curated entries and real SPL files."""
    products: dict[str, Product] = {}
    facts: list[Fact] = []
    incidences: list[Incidence] = []
    sources: dict[str, str] = {}
    coverage: dict[str, list[str]] = {}
    texts: dict[str, list[dict[str, str]]] = {}
    spl = sorted(map(str, spl))
    if spl:
        from rxcompare.sources.labels.spl import parse_spl
        from rxcompare.sources.pack.listed import label_text_from_label
    for path in spl:
        label = parse_spl(path)
        product, f, inc, cov = entry_from_label(label)
        products[product.id] = product
        facts += f
        incidences += inc
        sources[product.id] = "spl"
        coverage[product.id] = list(cov)
        texts[product.id] = [to_dict(x) for x in label_text_from_label(label)]
    for path in sorted(map(str, curated)):
        product, f, inc, cov = read_curated_entry(path)
        coverage[product.id] = list(cov)
        if product.id in products:
            raise PackError(
                f"curated entry {path}: product id {product.id!r} is already in the pack"
            )
        products[product.id] = product
        facts += f
        incidences += inc
        sources[product.id] = "curated"
    groups: dict[str, list[str]] = {}
    if event_groups is not None:
        try:
            groups = json.loads(Path(event_groups).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise PackError(f"event groups {event_groups}: cannot read ({exc})") from exc
    return envelope(
        SCHEMA,
        VERSION,
        built=datetime.now(UTC).strftime("%Y-%m-%d"),
        products=[_product_dict(p) for p in sorted(products.values(), key=lambda p: p.id)],
        facts=[to_dict(f) for f in facts],
        incidences=[to_dict(i) for i in incidences],
        event_groups=groups,
        sources=dict(sorted(sources.items())),
        coverage=dict(sorted(coverage.items())),
        label_text=dict(sorted(texts.items())),
    )


def pack_to_dict(pack: Pack, built: str | None = None) -> dict[str, Any]:
    """The pack document of a pack (what :func:`write_pack` writes and :func:`pack_from_dict` reads)."""
    labels = {
        lab.product: {k: v for k, v in to_dict(lab).items() if k != "product"}
        for lab in sorted(pack.labels, key=lambda x: x.product)
    }
    return envelope(
        SCHEMA,
        VERSION,
        built=built or pack.built,
        products=[_product_dict(p) for p in sorted(pack.products, key=lambda p: p.id)],
        facts=[to_dict(f) for f in pack.facts],
        incidences=[to_dict(i) for i in pack.incidences],
        event_groups={k: list(v) for k, v in pack.event_groups},
        sources=dict(sorted(pack.sources)),
        coverage={k: list(v) for k, v in sorted(pack.coverage)},
        label_text={k: [to_dict(x) for x in v] for k, v in sorted(pack.label_text)},
        **(
            {"unread_tables": {k: [list(x) for x in v] for k, v in sorted(pack.unread_tables)}}
            if pack.unread_tables
            else {}
        ),
        **({"labels": labels} if labels else {}),
    )


def write_pack(doc: dict[str, Any], out: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file in the same folder, read back as a pack, then renamed
    over ``out``; an error at any step leaves ``out`` as it was (never half a pack)."""
    out = Path(out)
    pack_from_dict(doc, str(out))  # refuse to write what could not be read back

    def read_back(
        tmp: Path,
    ) -> None:  # what reaches the disk is read back before it replaces anything
        try:
            pack_from_dict(json.loads(tmp.read_text(encoding="utf-8")), f"{out} (as written)")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PackError(
                f"the pack written to {out} does not read back ({exc}); {out} was left as it was"
            ) from None

    try:  # mode 0o644: a temporary file is private; a pack is for everyone to read
        write_json_atomic(
            out, doc, prefix=".pack-", indent=1, newline=True, mode=0o644, check=read_back
        )
    except FolderError as exc:
        raise PackError(
            f"cannot write the pack {out} ({exc}); choose another place with --out"
        ) from None
    except OSError as exc:
        raise PackError(f"cannot write the pack {out} ({exc}); {out} was left as it was") from None
    forget_loaded()
    return out
