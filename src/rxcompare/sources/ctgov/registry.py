"""A medicine's registry trials: fetched and stored, or read from the store; the source the
comparison uses (:class:`RegistrySource`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rxcompare.errors import OnlineError, SourceError
from rxcompare.models import Product, envelope
from rxcompare.sources.ctgov.client import CtGovClient, check_nct, fetch_records, search_studies
from rxcompare.sources.ctgov.read import read_study
from rxcompare.sources.ctgov.records import Registry, norm_text
from rxcompare.sources.ctgov.store import STORE_SCHEMA, TrialsStore

__all__ = [
    "RegistrySource",
    "drug_names",
    "fetch_registry",
    "registry_from_records",
    "stored_registry",
]


def registry_from_records(
    name: str,
    records: dict[str, dict[str, Any]],
    drug_names: Sequence[str],
    products: Sequence[Product] = (),
    **kw: Any,
) -> Registry:
    """A :class:`Registry` of records already fetched (or read from the store)."""
    trials = []
    notes = list(kw.pop("notes", ()))
    for asked, record in records.items():
        try:
            trials.append(read_study(record, drug_names, products, asked=asked))
        except SourceError as exc:
            notes.append(str(exc))
    return Registry(name=name, trials=tuple(trials), notes=tuple(notes), **kw)


def fetch_registry(
    name: str,
    client: CtGovClient,
    drug_names: Sequence[str],
    products: Sequence[Product] = (),
    nct: Sequence[str] = (),
) -> tuple[Registry, dict[str, Any]]:
    """Search (or take ``nct``), fetch every record, read them; returns the registry and the
    document :class:`TrialsStore` keeps. Raises :class:`OnlineError` when a request fails."""
    ids = list(check_nct(nct))
    urls: list[str] = []
    total = None
    if not ids:
        ids, urls, total = search_studies(client, name)
    records = fetch_records(client, ids)
    urls += [client.url(f"studies/{x}", {}) for x in ids]
    now = datetime.now(UTC)
    doc = envelope(
        STORE_SCHEMA,
        name=name,
        fetched_at=now.isoformat(),
        queries=urls,
        total=total,
        selection=list(nct),
        records=records,
    )
    reg = registry_from_records(
        name, records, drug_names, products, queries=tuple(urls), fetched_at=now, total=total
    )
    return reg, doc


def stored_registry(
    doc: dict[str, Any], drug_names: Sequence[str], products: Sequence[Product] = ()
) -> Registry:
    return registry_from_records(
        doc["name"],
        doc["records"],
        drug_names,
        products,
        queries=tuple(doc.get("queries") or ()),
        fetched_at=datetime.fromisoformat(doc["fetched_at"]),
        from_store=True,
        total=doc.get("total"),
    )


@dataclass
class RegistrySource:
    """Registry trials for the comparison: fetched (``online``) and stored, or read from the store.

    Online, a failed request is returned as the registry's ``error`` (with the stored trials, when
    an earlier fetch left some), never raised: the rest of the comparison goes on.
    """

    online: bool = False
    client: CtGovClient | None = None
    store: TrialsStore = field(default_factory=TrialsStore)

    def for_drug(self, ingredient: str, products: Sequence[Product]) -> Registry | None:
        names = drug_names(ingredient, products)
        if self.online:
            client = self.client or CtGovClient()
            try:
                reg, doc = fetch_registry(ingredient, client, names, products)
            except OnlineError as exc:
                stored = self._stored(ingredient, names, products)
                if stored is None:
                    return Registry(name=ingredient, trials=(), error=str(exc))
                return Registry(**{**stored.__dict__, "error": str(exc)})
            self.store.save(doc)
            return reg
        return self._stored(ingredient, names, products)

    def _stored(self, ingredient, names, products) -> Registry | None:
        try:
            doc = self.store.load(ingredient)
        except SourceError as exc:
            return Registry(name=ingredient, trials=(), error=str(exc), from_store=True)
        return stored_registry(doc, names, products) if doc else None


def drug_names(ingredient: str, products: Sequence[Product]) -> tuple[str, ...]:
    """The names an intervention may carry for this medicine: ingredient, brands, synonyms."""
    names = [ingredient] + [n for p in products for n in (p.brand, *p.synonyms)]
    unique: dict[str, str] = {}
    for n in names:
        if len(norm_text(n)) >= 3:
            unique.setdefault(norm_text(n), n)
    return tuple(unique.values())
