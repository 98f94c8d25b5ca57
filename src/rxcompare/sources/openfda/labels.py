"""Labels the knowledge pack does not hold, fetched from openFDA ``drug/label.json``.

``fetch_label(name, client)`` finds the label in two queries:

1. **Which brand?** ``search=openfda.brand_name:"X" openfda.generic_name:"X"`` (the two terms are OR-ed)
   with ``count=openfda.brand_name.exact`` lists the brand names of every label that matches. A brand
   equal to the name (case-insensitive) is taken; a single brand is taken; several brands (a generic
   name with products that differ, like an ingredient sold as two brands) raise
   :class:`~rxcompare.errors.AmbiguousDrugError` listing them, because products are never merged.
   No match raises :class:`~rxcompare.errors.UnknownDrugError`.
2. **The newest label of that brand**: ``search=openfda.brand_name.exact:"<brand>"`` (every
   spelling openFDA counted, OR-ed: ``.exact`` is case-sensitive), ``sort=effective_time:desc``,
   ``limit=1``.

The result is parsed by :func:`rxcompare.sources.labels.openfda_json.parse_openfda_label` and turned into
a product and facts by :mod:`rxcompare.sources.labels.facts`, exactly as SPL files are. Fact citations keep
``kind="label"`` (set id, version, effective date, section); their ``url`` is the openFDA query that
returned the label (without the API key) when the parser gives none.

:func:`rxcompare.sources.pack.update.pack_with_online_labels` adds such products to a pack.
"""

from __future__ import annotations

import dataclasses

from rxcompare.errors import AmbiguousDrugError, LabelError, UnknownDrugError
from rxcompare.models import Citation, Fact, Incidence, Label, Product
from rxcompare.sources.labels.fact_context import product_from_label
from rxcompare.sources.labels.facts import extract_facts
from rxcompare.sources.openfda.client import OpenFdaClient
from rxcompare.sources.openfda.events import quote

__all__ = ["ENDPOINT", "fetch_label", "fetch_label_of", "find_brand"]

ENDPOINT = "drug/label.json"
SOURCE = "openfda"


def find_brand(name: str, client: OpenFdaClient) -> tuple[str, ...]:
    """The brand whose label ``fetch_label`` takes for ``name``, as every spelling openFDA counted
    (``("Gammex", "GAMMEX")``: ``.exact`` fields are case-sensitive), most frequent first."""
    phrase = quote(name.upper(), "drug name")
    data = client.get(
        ENDPOINT,
        {
            "search": f"openfda.brand_name:{phrase} openfda.generic_name:{phrase}",
            "count": "openfda.brand_name.exact",
            "limit": 1000,
        },
    )
    spellings: dict[str, list[str]] = {}
    for r in data.get("results") or []:
        if r.get("term"):
            spellings.setdefault(str(r["term"]).casefold(), []).append(str(r["term"]))
    if not spellings:
        raise UnknownDrugError(
            f"openFDA has no label whose brand or generic name matches {name!r}; check the spelling, "
            "or use the name printed on the US label"
        )
    wanted = " ".join(name.split()).casefold()
    if wanted in spellings:
        return tuple(spellings[wanted])
    if len(spellings) == 1:
        return tuple(next(iter(spellings.values())))
    brands = sorted((s[0] for s in spellings.values()), key=str.casefold)
    raise AmbiguousDrugError(
        f"{name!r} matches the US labels of {len(brands)} brands ({', '.join(brands[:8])}"
        f"{', ...' if len(brands) > 8 else ''}); products of one ingredient can differ in safety, "
        "so name the brand you mean",
        suggestions=tuple(brands[:10]),
    )


def fetch_label_document(name: str, client: OpenFdaClient) -> tuple[Label, str]:
    """The newest US label for ``name`` as openFDA serves it, parsed, and the query that returned
    it."""
    from rxcompare.sources.labels.openfda_json import parse_openfda_label

    spellings = [quote(s, "brand name") for s in find_brand(name, client)]
    exact = spellings[0] if len(spellings) == 1 else f"({' OR '.join(spellings)})"
    brand = spellings[0].strip('"')
    fetched = client.fetch(
        ENDPOINT,
        {"search": f"openfda.brand_name.exact:{exact}", "sort": "effective_time:desc", "limit": 1},
    )
    results = fetched.data.get("results") or []
    if not results or not isinstance(results[0], dict):
        raise UnknownDrugError(
            f"openFDA listed the brand {brand!r} for {name!r} but returned no label for it "
            f"({fetched.url}); try again later"
        )
    return parse_openfda_label(
        results[0], f"openFDA label of {brand!r} ({fetched.url})"
    ), fetched.url


def with_url(records: list, url: str) -> list:
    """Facts or incidences with the query's address in their citations."""
    return [dataclasses.replace(r, citation=_with_url(r.citation, url)) for r in records]


def fetch_label(name: str, client: OpenFdaClient) -> tuple[Product, list[Fact], list[Incidence]]:
    """The product, label facts and trial incidences of the newest US label for ``name``."""
    label, url = fetch_label_document(name, client)
    product = product_from_label(label)
    facts, incidences = extract_facts(label, product.id)
    return product, with_url(facts, url), with_url(incidences, url)


def fetch_label_of(
    product: Product, set_id: str | None, client: OpenFdaClient
) -> tuple[Label, str]:
    """The newest openFDA label of a pack entry and the query that returned it (for ``pack update``).

    By ``set_id`` first (``search=set_id:"..."``), when the entry knows it; else, or when openFDA
    has nothing under it, by brand and ingredient (``openfda.brand_name`` and
    ``openfda.generic_name``), keeping only results whose brand is the entry's brand exactly (a
    phrase search for OCREVUS also finds OCREVUS ZUNOVO). Several labels (set ids) left is
    :class:`~rxcompare.errors.AmbiguousDrugError` listing them; none is
    :class:`~rxcompare.errors.UnknownDrugError`. A result that is not a label raises
    :class:`~rxcompare.errors.LabelError`. Whether the label is the entry's product is the
    caller's check (it holds the entry).
    """
    from rxcompare.sources.labels.openfda_json import parse_openfda_label

    tried = []
    if set_id:
        fetched = client.fetch(
            ENDPOINT,
            {
                "search": f"set_id:{quote(set_id, 'set id')}",
                "sort": "effective_time:desc",
                "limit": 1,
            },
        )
        results = [r for r in fetched.data.get("results") or [] if isinstance(r, dict)]
        if results:
            return parse_openfda_label(results[0], f"openFDA label {fetched.url}"), fetched.url
        tried.append(f"set id {set_id}")
    brand = product.brand.casefold()
    search = f"openfda.brand_name:{quote(product.brand, 'brand name')}"
    if product.ingredient:
        search += f" AND openfda.generic_name:{quote(product.ingredient.upper(), 'ingredient')}"
    fetched = client.fetch(
        ENDPOINT, {"search": search, "sort": "effective_time:desc", "limit": 100}
    )
    by_set: dict[str, dict] = {}
    for r in fetched.data.get("results") or []:
        if not isinstance(r, dict):
            continue
        brands = {str(b).casefold() for b in (r.get("openfda") or {}).get("brand_name") or []}
        if brand in brands and r.get("set_id"):
            by_set.setdefault(str(r["set_id"]), r)  # newest first: keep each label's newest
    if not by_set:
        tried.append(f"brand {product.brand!r} with ingredient {product.ingredient!r}")
        raise UnknownDrugError(
            f"openFDA has no label of {product.brand} by {' nor by '.join(tried)} ({fetched.url})"
        )
    if len(by_set) > 1:
        choices = [
            f"{sid} ({', '.join((r.get('openfda') or {}).get('manufacturer_name') or ['labeler not named'])}, "
            f"effective {r.get('effective_time', '?')})"
            for sid, r in sorted(by_set.items())
        ]
        raise AmbiguousDrugError(
            f"openFDA holds {len(by_set)} labels of {product.brand} ({'; '.join(choices)}); products of one "
            "brand can differ, so none was taken: give the entry's set id",
            suggestions=tuple(sorted(by_set)),
        )
    result = next(iter(by_set.values()))
    if not isinstance(result.get("set_id"), str):
        raise LabelError(f"openFDA answered {fetched.url} with a result that is not a label")
    return parse_openfda_label(result, f"openFDA label {fetched.url}"), fetched.url


def _with_url(citation: Citation, url: str) -> Citation:
    return citation if citation.url else dataclasses.replace(citation, url=url)
