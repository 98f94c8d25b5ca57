"""``rxcompare pack update``: pack entries replaced by the current label, read whole.

The one module of the pack that asks the network (DailyMed, openFDA); the rest of the pack is
offline (tests/test_architecture.py).

For each product: DailyMed's version history of the entry's set id, then the current SPL
document (:mod:`rxcompare.sources.labels.dailymed`), parsed by :func:`~rxcompare.sources.labels.spl.parse_spl`;
where the entry has no set id or DailyMed fails, openFDA's ``drug/label.json``
(:func:`~rxcompare.sources.openfda.labels.fetch_label_of`). The label becomes an entry exactly as
``pack build --spl`` makes one (:func:`~rxcompare.sources.pack.entry_from_label`), under the
entry's id, and replaces the entry whole: products, facts, incidences, coverage (every section of
the label), source and the label record (set id, version, date, address, day fetched).

A document is refused when its set id is not the entry's or its product is not the entry's
brand. Whatever fails for a product leaves that product's entry as it was and is said in its
:class:`ProductUpdate`; the other products are updated all the same. Nothing here writes a file:
the caller writes the new pack (:func:`~rxcompare.sources.pack.write_pack`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from rxcompare.errors import ConfigError, LabelError, PackError, SourceError, UnknownDrugError
from rxcompare.models import Comparison, Label, Product
from rxcompare.sources.labels.dailymed import DailyMedClient, is_set_id
from rxcompare.sources.labels.fact_context import matches_product, product_from_label
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.openfda.labels import SOURCE as OPENFDA_SOURCE
from rxcompare.sources.openfda.labels import fetch_label_document
from rxcompare.sources.pack import Pack, PackLabel, put_entry

__all__ = [
    "ProductUpdate",
    "add_by_name",
    "newer_labels",
    "pack_with_online_labels",
    "update_pack",
    "with_label_notices",
]

_PARSED = ("spl", "dailymed", "openfda")  # sources that read a label whole


@dataclass(frozen=True)
class ProductUpdate:
    """What ``pack update`` did to one product."""

    product: str
    outcome: str  # "updated" | "added" (new to the pack) | "current" (the newest version, read whole) | "kept" (failed)
    before: PackLabel
    after: PackLabel
    sections: tuple[str, ...] = ()  # top-level sections covered after the update
    new_sections: tuple[str, ...] = ()  # of which not covered before
    facts_added: int = 0
    facts_removed: int = 0
    incidences_added: int = 0
    incidences_removed: int = 0
    reasons: tuple[str, ...] = ()  # why a source was not used (and why the entry was kept)


Progress = Callable[[str, str], None]  # (product id, what is being done)


def _set_id_of(pack: Pack, product: Product) -> str | None:
    for candidate in (product.set_id, pack.label_of(product.id).set_id):
        if is_set_id(candidate):
            return str(candidate).strip().lower()
    return None


def _check(label: Label, entry: Product, set_id: str | None, where: str) -> None:
    """Refuse a document that is not the entry's label (another set id, another product)."""
    if set_id and label.set_id.strip().lower() != set_id:
        raise PackError(
            f"{where} is the label with set id {label.set_id}, not the entry's set id {set_id}; refused"
        )
    found = product_from_label(label)
    if not (matches_product(entry, found.brand) or matches_product(found, entry.brand)):
        raise PackError(
            f"{where} is the label of {found.brand} ({found.ingredient}), not of {entry.brand} "
            f"({entry.ingredient}); refused"
        )


def _digits(text: object) -> str:
    return "".join(c for c in str(text or "") if c.isdigit())


def _not_older(label: Label, before: PackLabel, where: str) -> None:
    """Refuse a document older than the label the pack holds: a lower version of the same set id,
    or an earlier effective date (a stale mirror or cache must never roll an entry back)."""
    same_set = (
        bool(before.set_id) and str(before.set_id).strip().lower() == label.set_id.strip().lower()
    )
    old_v, new_v = str(before.version or ""), str(label.version or "")
    if same_set and old_v.isdigit() and new_v.isdigit() and int(new_v) < int(old_v):
        raise PackError(
            f"{where} is version {new_v} of the label, older than version {old_v} the pack holds; "
            "refused (try again later: the source may not be up to date)"
        )
    old_d, new_d = _digits(before.effective_date), _digits(label.effective_date)
    if len(old_d) == 8 and len(new_d) == 8 and new_d < old_d:
        raise PackError(
            f"{where} is effective {label.effective_date}, earlier than {before.effective_date} of the "
            "label the pack holds; refused (try again later: the source may not be up to date)"
        )


def _from_dailymed(
    client: DailyMedClient, set_id: str, pack: Pack, entry: Product, progress: Progress
):
    """``(label, url)`` of the current DailyMed document, or ``(None, None)`` when the pack
    already holds that version read whole."""
    from rxcompare.sources.labels.spl import parse_spl

    progress(entry.id, "DailyMed version history")
    history = client.history(set_id)
    version, _published = history.current
    before = pack.label_of(entry.id)
    if (
        pack.source_of(entry.id) in _PARSED
        and before.set_id == set_id
        and str(before.version) == version
    ):
        return None, history.url
    progress(entry.id, f"DailyMed document, version {version}")
    url, data = client.document(set_id, version)
    try:
        label = parse_spl(data, f"DailyMed document {url}")
        _check(label, entry, set_id, f"DailyMed document {url}")
        _not_older(label, before, f"DailyMed document {url}")
    except SourceError:
        client.forget_document(set_id, version)
        raise
    if (
        label.version != version
    ):  # DailyMed's document moved on since its history: trust the document
        client.forget_document(set_id, version)
    return label, url


def _from_openfda(
    client: OpenFdaClient,
    set_id: str | None,
    entry: Product,
    progress: Progress,
    before: PackLabel | None = None,
):
    from rxcompare.sources.openfda.labels import fetch_label_of

    progress(entry.id, "openFDA drug/label")
    label, url = fetch_label_of(entry, set_id, client)
    _check(label, entry, set_id, f"openFDA label {url}")
    if before is not None:
        _not_older(label, before, f"openFDA label {url}")
    return label, url


def update_pack(
    pack: Pack,
    product_ids: Iterable[str],
    dailymed: DailyMedClient | None,
    openfda: OpenFdaClient | None,
    progress: Progress | None = None,
    today: str | None = None,
) -> tuple[Pack, list[ProductUpdate]]:
    """A new pack with each product's entry replaced by its current label, and what happened
    to each product (see the module docstring). ``dailymed`` or ``openfda`` None: not asked."""
    progress = progress or (lambda _p, _s: None)
    today = today or datetime.now(UTC).strftime("%Y-%m-%d")
    reports = []
    for pid in product_ids:
        entry = pack.product(pid)
        before = pack.label_of(pid)
        set_id = _set_id_of(pack, entry)
        reasons: list[str] = []
        label = url = source = None
        if set_id is None:
            reasons.append(
                f"DailyMed: not asked, the entry has no set id (it shows {entry.set_id!r})"
            )
        elif dailymed is not None:
            try:
                label, url = _from_dailymed(dailymed, set_id, pack, entry, progress)
                source = "dailymed"
                if label is None:
                    reports.append(
                        ProductUpdate(
                            pid,
                            "current",
                            before,
                            before,
                            pack.coverage_of(pid),
                            reasons=(
                                f"DailyMed lists version {before.version} as current ({url})",
                            ),
                        )
                    )
                    continue
            except (SourceError, ConfigError) as exc:
                reasons.append(f"DailyMed: {exc}")
                label = None
        if label is None and openfda is not None:
            try:
                label, url = _from_openfda(openfda, set_id, entry, progress, before)
                source = "openfda"
            except (SourceError, ConfigError, UnknownDrugError) as exc:
                reasons.append(f"openFDA: {exc}")
                label = None
        if label is None:
            reasons.append("the entry was kept as it was")
            reports.append(
                ProductUpdate(
                    pid, "kept", before, before, pack.coverage_of(pid), reasons=tuple(reasons)
                )
            )
            continue
        try:
            pack, after, changes = put_entry(pack, label, str(url), str(source), today, entry)
        except LabelError as exc:  # a label that names no product
            reasons += [f"{source}: {exc}", "the entry was kept as it was"]
            reports.append(
                ProductUpdate(
                    pid, "kept", before, before, pack.coverage_of(pid), reasons=tuple(reasons)
                )
            )
            continue
        reports.append(
            ProductUpdate(pid, "updated", before, after, reasons=tuple(reasons), **changes)
        )
    return pack, reports


def add_by_name(
    pack: Pack, name: str, openfda: OpenFdaClient, today: str | None = None
) -> tuple[Pack, ProductUpdate]:
    """``pack update NAME`` for a name the pack does not hold: the newest openFDA label found by
    that name (brand or generic, :func:`~rxcompare.sources.openfda.labels.fetch_label_document`), added as a
    new entry. A label whose product id the pack holds is refused (the name was not that entry's:
    update it by its own name)."""
    today = today or datetime.now(UTC).strftime("%Y-%m-%d")
    label, url = fetch_label_document(name, openfda)
    found = product_from_label(label)
    if any(p.id == found.id for p in pack.products):
        raise PackError(
            f"openFDA's label for {name!r} is of {found.brand}, which the pack holds as {found.id!r}; "
            f"update it by that name (`rxcompare pack update {found.id}`)"
        )
    new, record, changes = put_entry(pack, label, url, OPENFDA_SOURCE, today)
    empty = PackLabel(found.id, None, None, None, "none")
    return new, ProductUpdate(
        found.id,
        "added",
        empty,
        record,
        reasons=(f"openFDA: found by the name {name!r}",),
        **changes,
    )


def newer_labels(
    pack: Pack, product_ids: Iterable[str], dailymed: DailyMedClient
) -> list[tuple[str, str]]:
    """``(product id, note)`` for each product whose label DailyMed lists in a newer version than
    the pack holds (or whose check failed, saying why); products found current give no note."""
    notes = []
    for pid in product_ids:
        held = pack.label_of(pid)
        set_id = _set_id_of(pack, pack.product(pid))
        if set_id is None:
            notes.append(
                (
                    pid,
                    f"the pack's label of {pid} has no set id; DailyMed could not be asked for a newer one",
                )
            )
            continue
        try:
            history = dailymed.history(set_id)
        except (SourceError, ConfigError) as exc:
            notes.append((pid, f"could not check for a newer label: {exc}"))
            continue
        version, published = history.current
        if str(held.version) == version:
            continue
        newer = (
            held.version is not None and held.version.isdigit() and int(version) > int(held.version)
        )
        notes.append(
            (
                pid,
                f"the pack holds label version {held.version or 'unknown'} of {held.effective_date or 'unknown date'}; "
                f"DailyMed lists version {version}, published {published}"
                f"{'' if newer else ' (not newer by number: check the set id)'}; "
                f"`rxcompare pack update {pid}` fetches it",
            )
        )
    return notes


def pack_with_online_labels(pack: Pack, names: Iterable[str], client: OpenFdaClient) -> Pack:
    """A new pack: ``pack`` plus the openFDA label of each name it does not hold.

    A name counts as held when a product of the pack has it as id, brand, synonym or ingredient
    (case-insensitive); fuzzy matching is the resolver's job, so call this for the names the resolver
    could not match. A fetched product whose id the pack already has is not added (the pack's entry,
    curated or parsed from SPL, wins). Added products are recorded with source ``openfda``, the
    label they were read from (set id, version, date, query) and the sections the label gave,
    held in full (:func:`~rxcompare.sources.pack.entry_from_label`), so that a section openFDA
    served is never called "not in the pack".
    """
    for name in names:
        if any(matches_product(p, name) for p in pack.products):
            continue
        label, url = fetch_label_document(name, client)
        if any(p.id == product_from_label(label).id for p in pack.products):
            continue
        pack, _record, _changes = put_entry(pack, label, url, OPENFDA_SOURCE, None)
    return pack


def with_label_notices(comparison: Comparison, pack: Pack) -> Comparison:
    """``--online``: the comparison with a provenance entry ``("newer label: <id>", note)`` for
    each of its two pack labels that DailyMed lists in another version (or that could not be
    checked)."""
    with DailyMedClient() as client:
        notes = newer_labels(pack, (comparison.a.product.id, comparison.b.product.id), client)
    extra = tuple((f"newer label: {pid}", note) for pid, note in notes)
    return (
        dataclasses.replace(comparison, provenance=comparison.provenance + extra)
        if extra
        else comparison
    )
