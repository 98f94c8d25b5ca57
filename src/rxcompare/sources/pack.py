"""The knowledge pack: the embedded default evidence (products, label facts, trial incidences).

The pack is one versioned JSON file shipped inside the package (``rxcompare/data/pack.json``),
built by :func:`build_pack` from

- curated entries (``knowledge/curated/*.json``): facts entered by hand from a stated label
  version, each with its section and ``curated: true``; and
- real SPL XML files, parsed by :mod:`rxcompare.sources.labels.spl` and turned into facts by
  :mod:`rxcompare.sources.labels.facts`.

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

Which pack is read (:func:`load_pack` without a path): the **user pack** (``RXCOMPARE_USER_PACK``,
by default ``pack.json`` in the user data folder), written by ``rxcompare pack update`` from the
current DailyMed or openFDA labels, when that file exists; the embedded pack otherwise, or always
when ``RXCOMPARE_EMBEDDED_PACK=1`` (tests set it, so that a user pack cannot change their results).
A pack records per product the label it holds (``labels``: set id, version, date, source, address,
when it was fetched); :meth:`Pack.describe` says which pack it is, for a comparison's provenance.
"""

from __future__ import annotations

import dataclasses
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

from rxcompare import settings
from rxcompare.errors import PackError
from rxcompare.models import Citation, Fact, Incidence, Label, Product, to_dict

SCHEMA = "rxcompare/pack"
VERSION = 1


SOURCE_NAMES = {
    "spl": "parsed SPL",
    "dailymed": "parsed SPL from DailyMed",
    "openfda": "parsed openFDA label",
    "curated": "curated",
}


@dataclass(frozen=True)
class PackLabel:
    """The label a pack entry was made from: which document, which version, from where."""

    product: str
    set_id: str | None
    version: str | None
    effective_date: str | None
    source: str  # "spl" | "dailymed" | "openfda" | "curated"
    url: str | None = None
    fetched: str | None = None  # ISO date the document was fetched (updated entries only)


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
    labels: tuple[PackLabel, ...] = ()  # recorded by `pack update`; else derived from the citations
    origin: str = "embedded"  # "embedded" | "user" | "file"
    path: str | None = None  # the file read (user pack or --pack file)

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

    def label_of(self, product_id: str) -> PackLabel:
        """The label the entry holds: as recorded by ``pack update``, else the version most of the
        entry's label-document citations name (curated facts from other documents left out)."""
        for lab in self.labels:
            if lab.product == product_id:
                return lab
        cites = [
            x.citation for x in (*self.facts_for(product_id), *self.incidences_for(product_id))
            if x.citation.kind == "label" and x.citation.source_class == "label"
        ]
        counts: dict[tuple, int] = {}
        for c in cites:
            key = (c.set_id, c.version, c.effective_date, c.url)
            counts[key] = counts.get(key, 0) + 1
        set_id, version, date, url = max(counts, key=counts.__getitem__) if counts else (None,) * 4
        if set_id is None:
            set_id = next((p.set_id for p in self.products if p.id == product_id), None)
        return PackLabel(product_id, set_id, version, date, self.source_of(product_id) or "curated", url)

    def describe(self) -> str:
        """Which pack this is, in one line (a comparison's ``("pack", ...)`` provenance)."""
        when = "updated" if self.origin == "user" else "built"
        what = {"embedded": "the embedded pack", "user": "the user pack"}.get(self.origin)
        if what is None:
            what = f"pack file {Path(self.path).name}" if self.path else "a pack file"
        fetched = sorted({f"{lab.product} {lab.fetched}" for lab in self.labels if lab.fetched})
        fresh = f"; labels fetched: {', '.join(fetched)}" if fetched else ""
        return f"knowledge pack version {self.version}, {when} {self.built}: {what}{fresh}"


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


def _pack_label(d: dict[str, Any]) -> PackLabel:
    return PackLabel(**{k: (None if v is None else str(v)) for k, v in d.items()})


def pack_from_dict(
    data: dict[str, Any], origin: str = "pack", kind: str = "file", path: str | None = None
) -> Pack:
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
            labels=tuple(_pack_label({"product": k, **v}) for k, v in data.get("labels", {}).items()),
            origin=kind,
            path=path,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise PackError(f"{origin}: malformed pack record ({exc}); rebuild it with `rxcompare pack build`") from exc


def user_pack_path() -> Path | None:
    """Where ``pack update`` writes and :func:`load_pack` looks first (None: the setting is empty)."""
    value = settings.USER_PACK.get()
    return Path(value).expanduser() if value else None


def embedded_forced() -> bool:
    """Whether ``RXCOMPARE_EMBEDDED_PACK`` asks for the embedded pack whatever else exists."""
    return (settings.EMBEDDED_PACK.get() or "").strip().lower() in ("1", "true", "yes", "on")


def load_pack(path: str | os.PathLike[str] | None = None) -> Pack:
    """Load a pack file; without one, the user pack when it exists, else the embedded pack.

    ``RXCOMPARE_EMBEDDED_PACK=1`` skips the user pack. A user pack that exists but cannot be read
    is an error (never a silent fall-back to older labels); the message says how to fix it.
    """
    if path is not None:
        return _load_file(Path(path), "file")
    user = None if embedded_forced() else user_pack_path()
    if user is not None and user.is_file():
        return _load_file(user, "user")
    return _embedded()


def _load_file(p: Path, kind: str) -> Pack:
    try:
        stat = p.stat()
    except FileNotFoundError:
        raise PackError(f"pack file {p} does not exist; build one with `rxcompare pack build`") from None
    except OSError as exc:
        raise PackError(f"pack file {p} cannot be read ({exc})") from None
    return _cached_file(str(p), kind, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _cached_file(path: str, kind: str, _mtime_ns: int, _size: int) -> Pack:
    p = Path(path)
    fix = (
        "run `rxcompare pack update --all` again, delete it, or set RXCOMPARE_EMBEDDED_PACK=1"
        if kind == "user" else "rebuild it"
    )
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackError(f"pack file {p} does not exist; build one with `rxcompare pack build`") from exc
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackError(f"{'user pack' if kind == 'user' else 'pack file'} {p} is not valid JSON ({exc}); {fix}") from exc
    return pack_from_dict(data, f"user pack {p}" if kind == "user" else str(p), kind, str(p))


@lru_cache(maxsize=1)
def _embedded() -> Pack:
    ref = resources.files("rxcompare") / "data" / "pack.json"
    try:
        data = json.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackError("the embedded knowledge pack is missing; reinstall rxcompare") from exc
    return pack_from_dict(data, "embedded pack", "embedded")


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
    from rxcompare.sources.labels.topics import TOPICS

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


def entry_from_label(
    label: Label, product_id: str | None = None
) -> tuple[Product, list[Fact], list[Incidence], tuple[str, ...]]:
    """A pack entry from a parsed label (SPL or openFDA), as ``pack build --spl`` makes it: the
    product, its facts and incidences (under ``product_id``, default the label's own product id)
    and its coverage (every numbered top-level section of the label; the boxed warning for SPL,
    whose section codes say whether there is one)."""
    from rxcompare.sources.labels.facts import extract_facts, product_from_label

    product = product_from_label(label)
    if product_id is not None and product_id != product.id:
        product = dataclasses.replace(product, id=product_id)
    facts, incidences = extract_facts(label, product.id)
    coverage = tuple(sorted(
        {s.number.split(".")[0] for s in label.sections if s.number}
        | ({"BW"} if label.source == "spl" else set())
    ))
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
        from rxcompare.sources.labels.spl import parse_spl
    for path in spl:
        product, f, inc, cov = entry_from_label(parse_spl(path))
        products[product.id] = product
        facts += f
        incidences += inc
        sources[product.id] = "spl"
        coverage[product.id] = list(cov)
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


def pack_to_dict(pack: Pack, built: str | None = None) -> dict[str, Any]:
    """The pack document of a pack (what :func:`write_pack` writes and :func:`pack_from_dict` reads)."""
    labels = {
        lab.product: {k: v for k, v in to_dict(lab).items() if k != "product"}
        for lab in sorted(pack.labels, key=lambda x: x.product)
    }
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "built": built or pack.built,
        "products": [to_dict(p) for p in sorted(pack.products, key=lambda p: p.id)],
        "facts": [to_dict(f) for f in pack.facts],
        "incidences": [to_dict(i) for i in pack.incidences],
        "event_groups": {k: list(v) for k, v in pack.event_groups},
        "sources": dict(sorted(pack.sources)),
        "coverage": {k: list(v) for k, v in sorted(pack.coverage)},
        **({"labels": labels} if labels else {}),
    }


def write_pack(doc: dict[str, Any], out: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file in the same folder, read back as a pack, then renamed
    over ``out``; an error at any step leaves ``out`` as it was (never half a pack)."""
    out = Path(out)
    pack_from_dict(doc, str(out))  # refuse to write what could not be read back
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".json", dir=out.parent)
    except OSError as exc:
        raise PackError(f"cannot write the pack {out} ({exc}); choose another place with --out") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=1, sort_keys=False)
            fh.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a pack is for everyone to read
        try:  # what reaches the disk is read back before it replaces anything
            pack_from_dict(json.loads(Path(tmp).read_text(encoding="utf-8")), f"{out} (as written)")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PackError(f"the pack written to {out} does not read back ({exc}); {out} was left as it was") from None
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PackError(f"cannot write the pack {out} ({exc}); {out} was left as it was") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _embedded.cache_clear()
    _cached_file.cache_clear()
    return out
