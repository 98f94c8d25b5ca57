"""Curated entries: one product per JSON file under ``knowledge/curated/``, facts entered by hand
from a stated label version, each cited to the document it was read from (the layout is in
:mod:`rxcompare.sources.pack`)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from rxcompare.errors import PackError
from rxcompare.models import Citation, Fact, Incidence, Product
from rxcompare.sources.pack.read import product_from_dict

__all__ = ["SOURCE_CLASSES", "read_curated", "read_curated_entry"]


SOURCE_CLASSES = (
    "label",
    "label-copy",
    "patient-labelling",
    "secondary",
    "eu-label",
    "publication",
)
JURISDICTIONS = ("EU", "UK", "CH")  # eu-label documents: the EU, the United Kingdom, Switzerland
# identifiers of a publication (a peer-reviewed paper or a trial registry record), as cited
IDENTIFIERS = ("pmid", "pmcid", "doi", "registry")
_DOCUMENT_FIELDS = {
    "title",
    "url",
    "class",
    "version",
    "date",
    "note",
    "jurisdiction",
    "table",
    *IDENTIFIERS,
}
_DETAIL_NAMES = {
    "jurisdiction": "jurisdiction",
    "pmid": "PMID",
    "pmcid": "PMCID",
    "doi": "DOI",
    "registry": "registry",
    "table": "table",
}


def _label_citation(
    label: dict[str, Any],
    section: str | None,
    section_title: str | None,
    title: str,
    document: dict[str, Any] | None = None,
) -> Citation:
    """The citation of a curated fact: the label's set id, and the document actually read --
    the label itself (``document`` None) or one of the entry's ``documents`` (a copy, patient
    labelling or a secondary source), with the version that document shows."""
    if document is None:
        return Citation(
            kind="label",
            title=title,
            set_id=label["set_id"],
            version=str(label["version"]),
            effective_date=label["effective_date"],
            section=section,
            section_title=section_title,
            url=label.get("url"),
            curated=True,
        )
    detail = tuple(
        (name, str(document[key])) for key, name in _DETAIL_NAMES.items() if document.get(key)
    )
    return Citation(
        kind="label",
        title=document["title"],
        set_id=label["set_id"],
        version=str(document.get("version") or "version not shown"),
        effective_date=document.get("date"),
        section=section,
        section_title=section_title,
        url=document.get("url"),
        curated=True,
        detail=tuple(sorted(detail)),
        source_class=document["class"],
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
        cls = d["class"]
        if cls == "eu-label" and (
            d.get("jurisdiction") not in JURISDICTIONS
            or not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(d.get("date") or ""))
        ):
            raise PackError(
                f"curated entry {p}: documents.{key}: an eu-label document needs its jurisdiction "
                f"({', '.join(JURISDICTIONS)}) and the ISO date it shows (YYYY-MM-DD, or YYYY-MM, or YYYY)"
            )
        if cls != "eu-label" and d.get("jurisdiction"):
            raise PackError(
                f"curated entry {p}: documents.{key}: jurisdiction is for eu-label documents; "
                f"this one is {cls!r}"
            )
        if cls == "publication" and not any(d.get(k) for k in IDENTIFIERS):
            raise PackError(
                f"curated entry {p}: documents.{key}: a publication needs one of its identifiers "
                f"({', '.join(IDENTIFIERS)}): PMID, PMCID, DOI or a registry id"
            )
        if cls != "publication" and any(d.get(k) for k in IDENTIFIERS):
            raise PackError(
                f"curated entry {p}: documents.{key}: {', '.join(IDENTIFIERS)} are for publication "
                f"documents; this one is {cls!r}"
            )
    return docs


def _document_of(p: Path, docs: dict[str, dict[str, Any]], what: str, record: dict[str, Any]):
    key = record.get("document")
    if key is None:
        return None
    if key not in docs:
        raise PackError(
            f"curated entry {p}: {what}: document {key!r} is not in the entry's documents"
        )
    return docs[key]


_PRODUCT_FIELDS = {
    "id",
    "brand",
    "ingredient",
    "routes",
    "dosage_forms",
    "strengths",
    "indications",
    "labeler",
    "set_id",
    "synonyms",
    "ndc",
}
_FACT_FIELDS = {
    "topic",
    "text",
    "value",
    "unit",
    "qualifiers",
    "section",
    "section_title",
    "document",
}
_INCIDENCE_FIELDS = {
    "event",
    "trial",
    "arm",
    "n",
    "percent",
    "is_comparator",
    "count",
    "section",
    "section_title",
    "document",
}


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
            raise PackError(
                f"curated entry {p}: missing {key!r}; see rxcompare.sources.pack for the layout"
            )
    unknown = set(data["product"]) - _PRODUCT_FIELDS
    if unknown:
        raise PackError(f"curated entry {p}: product has unknown fields {sorted(unknown)}")
    product = product_from_dict(data["product"])
    label = data["label"]
    for key in ("set_id", "version", "effective_date", "title"):
        if not label.get(key):
            raise PackError(
                f"curated entry {p}: label.{key} is required (cite the label version you read)"
            )
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
                    label,
                    f["section"],
                    f.get("section_title"),
                    title,
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
            raise PackError(
                f"curated entry {p}: incidence #{i}: unknown {sorted(bad)}, missing {sorted(missing)}"
            )
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
                    label,
                    d["section"],
                    d.get("section_title"),
                    title,
                    _document_of(p, docs, f"incidence #{i}", d),
                ),
            )
        )
    coverage = tuple(str(c) for c in label.get("coverage", ()))
    return product, facts, incidences, coverage
