"""The knowledge pack: the embedded default evidence (products, label facts, trial incidences).

The pack is one versioned JSON file shipped inside the package (``rxcompare/data/pack.json``),
built by :func:`build_pack` from

- curated entries (``knowledge/curated/*.json``): facts entered by hand from a stated label
  version, each with its section and ``curated: true``; and
- real SPL XML files, parsed by :mod:`rxcompare.sources.spl` and turned into facts by
  :mod:`rxcompare.sources.facts`.

Curated file layout (one product per file)::

    {"product": {id, brand, ingredient, routes, dosage_forms, strengths, indications, labeler,
                 set_id, synonyms, ndc},
     "label": {set_id, version, effective_date, title, url, coverage?: [sections read in full]},
     "documents"?: {key: {title, url?, class, version?, date?, note?}},
     "facts": [{topic, text, value?, unit?, qualifiers?: {..}, section, section_title, document?}],
     "incidences": [{event, trial, arm, n, percent, is_comparator, count?, section, section_title,
                     document?}],
     "notes": "what was left out and why"}

A fact is cited to the document it was read from: without ``document``, the label named in
``label`` (an FDA document: SPL, DailyMed, openFDA); with ``document: key``, the entry's
``documents[key]`` -- its title and address, its ``class`` (``label``, ``label-copy`` for verbatim
label text republished elsewhere, ``patient-labelling`` for a Medication Guide, ``secondary`` for a
prescribing reference or a manufacturer's site: never label text) and the label ``version`` that
document shows (omitted: "version not shown").
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rxcompare.errors import PackError
from rxcompare.models import Citation, Fact, Incidence, Product, to_dict

SCHEMA = "rxcompare/pack"
VERSION = 1


@dataclass(frozen=True)
class Pack:
    """Products, facts and incidences, indexed by product id."""

    version: int
    built: str
    products: tuple[Product, ...]
    facts: tuple[Fact, ...]
    incidences: tuple[Incidence, ...]
    event_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()  # product id -> "spl" | "curated"
    # product id -> top-level label sections read in full ("1", "2", "5", "BW", ...). Silence on a
    # topic means "the label states nothing" only inside these sections; elsewhere it means "not
    # curated". Labels parsed from SPL are read in full.
    coverage: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def product(self, product_id: str) -> Product:
        for p in self.products:
            if p.id == product_id:
                return p
        raise PackError(f"the knowledge pack has no product {product_id!r}")

    def facts_for(self, product_id: str, topic_prefix: str = "") -> tuple[Fact, ...]:
        return tuple(
            f for f in self.facts if f.product == product_id and f.topic.startswith(topic_prefix)
        )

    def incidences_for(self, product_id: str) -> tuple[Incidence, ...]:
        return tuple(i for i in self.incidences if i.product == product_id)

    def source_of(self, product_id: str) -> str | None:
        return dict(self.sources).get(product_id)

    def coverage_of(self, product_id: str) -> tuple[str, ...]:
        return dict(self.coverage).get(product_id, ())


# --- reading ---------------------------------------------------------------------------------


def _citation(d: dict[str, Any]) -> Citation:
    d = dict(d)
    d["detail"] = tuple(sorted((d.get("detail") or {}).items()))
    return Citation(**d)


def _fact(d: dict[str, Any]) -> Fact:
    return Fact(
        product=d["product"],
        topic=d["topic"],
        text=d["text"],
        citation=_citation(d["citation"]),
        value=d.get("value"),
        unit=d.get("unit"),
        qualifiers=tuple((k, str(v)) for k, v in (d.get("qualifiers") or {}).items()),
    )


def _incidence(d: dict[str, Any]) -> Incidence:
    d = dict(d)
    d["citation"] = _citation(d["citation"])
    return Incidence(**d)


def _product(d: dict[str, Any]) -> Product:
    return Product(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def pack_from_dict(data: dict[str, Any], origin: str = "pack") -> Pack:
    if data.get("schema") != SCHEMA:
        raise PackError(f"{origin}: not a knowledge pack (schema {data.get('schema')!r}, expected {SCHEMA!r})")
    if data.get("version") != VERSION:
        raise PackError(
            f"{origin}: pack version {data.get('version')!r}, this rxcompare reads version {VERSION}; "
            "rebuild it with `rxcompare pack build`"
        )
    try:
        return Pack(
            version=data["version"],
            built=data["built"],
            products=tuple(_product(p) for p in data["products"]),
            facts=tuple(_fact(f) for f in data["facts"]),
            incidences=tuple(_incidence(i) for i in data["incidences"]),
            event_groups=tuple((k, tuple(v)) for k, v in data.get("event_groups", {}).items()),
            sources=tuple(data.get("sources", {}).items()),
            coverage=tuple((k, tuple(v)) for k, v in data.get("coverage", {}).items()),
        )
    except (KeyError, TypeError) as exc:
        raise PackError(f"{origin}: malformed pack record ({exc}); rebuild it with `rxcompare pack build`") from exc


def load_pack(path: str | os.PathLike[str] | None = None) -> Pack:
    """Load a pack file, or the embedded default when ``path`` is None."""
    if path is None:
        return _embedded()
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackError(f"pack file {p} does not exist; build one with `rxcompare pack build`") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackError(f"pack file {p} is not valid JSON ({exc}); rebuild it") from exc
    return pack_from_dict(data, str(p))


@lru_cache(maxsize=1)
def _embedded() -> Pack:
    ref = resources.files("rxcompare") / "data" / "pack.json"
    try:
        data = json.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackError("the embedded knowledge pack is missing; reinstall rxcompare") from exc
    return pack_from_dict(data, "embedded pack")


# --- building --------------------------------------------------------------------------------


SOURCE_CLASSES = ("label", "label-copy", "patient-labelling", "secondary")
_DOCUMENT_FIELDS = {"title", "url", "class", "version", "date", "note"}


def _label_citation(
    label: dict[str, Any], section: str | None, section_title: str | None, title: str,
    document: dict[str, Any] | None = None,
) -> Citation:
    """The citation of a curated fact: the label's set id, and the document actually read --
    the label itself (``document`` None) or one of the entry's ``documents`` (a copy, patient
    labelling or a secondary source), with the version that document shows."""
    if document is None:
        return Citation(
            kind="label", title=title, set_id=label["set_id"], version=str(label["version"]),
            effective_date=label["effective_date"], section=section, section_title=section_title,
            url=label.get("url"), curated=True,
        )
    return Citation(
        kind="label", title=document["title"], set_id=label["set_id"],
        version=str(document.get("version") or "version not shown"),
        effective_date=document.get("date"), section=section, section_title=section_title,
        url=document.get("url"), curated=True, source_class=document["class"],
    )


def _documents(p: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    docs = data.get("documents") or {}
    for key, d in docs.items():
        bad = set(d) - _DOCUMENT_FIELDS
        if bad or not d.get("title") or d.get("class") not in SOURCE_CLASSES:
            raise PackError(
                f"curated entry {p}: documents.{key}: needs a title and a class out of "
                f"{', '.join(SOURCE_CLASSES)}{'; unknown fields ' + str(sorted(bad)) if bad else ''}"
            )
    return docs


def _document_of(p: Path, docs: dict[str, dict[str, Any]], what: str, record: dict[str, Any]):
    key = record.get("document")
    if key is None:
        return None
    if key not in docs:
        raise PackError(f"curated entry {p}: {what}: document {key!r} is not in the entry's documents")
    return docs[key]


_PRODUCT_FIELDS = {"id", "brand", "ingredient", "routes", "dosage_forms", "strengths", "indications",
                   "labeler", "set_id", "synonyms", "ndc"}
_FACT_FIELDS = {"topic", "text", "value", "unit", "qualifiers", "section", "section_title", "document"}
_INCIDENCE_FIELDS = {"event", "trial", "arm", "n", "percent", "is_comparator", "count", "section",
                     "section_title", "document"}


def read_curated(path: str | os.PathLike[str]) -> tuple[Product, list[Fact], list[Incidence]]:
    """Read one curated entry; every fact becomes a ``curated`` label citation."""
    product, facts, incidences, _coverage = read_curated_entry(path)
    return product, facts, incidences


def read_curated_entry(
    path: str | os.PathLike[str],
) -> tuple[Product, list[Fact], list[Incidence], tuple[str, ...]]:
    """Read one curated entry with its coverage (``label.coverage``: sections read in full)."""
    from rxcompare.sources.topics import TOPICS

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PackError(f"curated entry {p}: cannot read it as JSON ({exc})") from exc
    for key in ("product", "label", "facts"):
        if key not in data:
            raise PackError(f"curated entry {p}: missing {key!r}; see rxcompare.sources.pack for the layout")
    unknown = set(data["product"]) - _PRODUCT_FIELDS
    if unknown:
        raise PackError(f"curated entry {p}: product has unknown fields {sorted(unknown)}")
    product = _product(data["product"])
    label = data["label"]
    for key in ("set_id", "version", "effective_date", "title"):
        if not label.get(key):
            raise PackError(f"curated entry {p}: label.{key} is required (cite the label version you read)")
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(label["effective_date"])):
        raise PackError(
            f"curated entry {p}: label.effective_date {label['effective_date']!r} is not an ISO date "
            "(YYYY-MM-DD, or YYYY-MM when only the month is shown)"
        )
    title = f"{product.brand} prescribing information"
    docs = _documents(p, data)
    facts = []
    for i, f in enumerate(data["facts"], 1):
        bad = set(f) - _FACT_FIELDS
        if bad or f.get("topic") not in TOPICS or not f.get("text") or not f.get("section"):
            raise PackError(
                f"curated entry {p}: fact #{i} ({f.get('topic')!r}): needs a known topic, text and "
                f"section{'; unknown fields ' + str(sorted(bad)) if bad else ''}"
            )
        facts.append(
            Fact(
                product=product.id,
                topic=f["topic"],
                text=f["text"],
                citation=_label_citation(
                    label, f["section"], f.get("section_title"), title,
                    _document_of(p, docs, f"fact #{i}", f),
                ),
                value=f.get("value"),
                unit=f.get("unit"),
                qualifiers=tuple((k, str(v)) for k, v in (f.get("qualifiers") or {}).items()),
            )
        )
    incidences = []
    for i, d in enumerate(data.get("incidences", []), 1):
        bad = set(d) - _INCIDENCE_FIELDS
        missing = {"event", "trial", "arm", "n", "percent", "is_comparator", "section"} - set(d)
        if bad or missing:
            raise PackError(f"curated entry {p}: incidence #{i}: unknown {sorted(bad)}, missing {sorted(missing)}")
        incidences.append(
            Incidence(
                product=product.id,
                event=d["event"],
                trial=d["trial"],
                arm=d["arm"],
                n=int(d["n"]),
                percent=float(d["percent"]),
                is_comparator=bool(d["is_comparator"]),
                count=d.get("count"),
                citation=_label_citation(
                    label, d["section"], d.get("section_title"), title,
                    _document_of(p, docs, f"incidence #{i}", d),
                ),
            )
        )
    coverage = tuple(str(c) for c in label.get("coverage", ()))
    return product, facts, incidences, coverage


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
    spl = sorted(map(str, spl))
    if spl:
        from rxcompare.sources.facts import extract_facts, product_from_label
        from rxcompare.sources.spl import parse_spl
    for path in spl:
        label = parse_spl(path)
        product = product_from_label(label)
        f, inc = extract_facts(label, product.id)
        products[product.id] = product
        facts += f
        incidences += inc
        sources[product.id] = "spl"
        coverage[product.id] = sorted(
            {s.number.split(".")[0] for s in label.sections if s.number}
            | ({"BW"} if label.source == "spl" else set())
        )
    for path in sorted(map(str, curated)):
        product, f, inc, cov = read_curated_entry(path)
        coverage[product.id] = list(cov)
        if product.id in products:
            raise PackError(f"curated entry {path}: product id {product.id!r} is already in the pack")
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
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "built": datetime.now(UTC).strftime("%Y-%m-%d"),
        "products": [to_dict(p) for p in sorted(products.values(), key=lambda p: p.id)],
        "facts": [to_dict(f) for f in facts],
        "incidences": [to_dict(i) for i in incidences],
        "event_groups": groups,
        "sources": dict(sorted(sources.items())),
        "coverage": dict(sorted(coverage.items())),
    }


def write_pack(doc: dict[str, Any], out: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file in the same folder, then rename; never half a pack."""
    out = Path(out)
    pack_from_dict(doc, str(out))  # refuse to write what could not be read back
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".json", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=1, sort_keys=False)
            fh.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a pack is for everyone to read
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _embedded.cache_clear()
    return out
