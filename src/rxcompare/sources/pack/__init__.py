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
     "documents"?: {key: {title, url?, class, version?, date?, note?, jurisdiction?, table?,
                          pmid?, pmcid?, doi?, registry?}},
     "facts": [{topic, text, value?, unit?, qualifiers?: {..}, section, section_title, document?}],
     "incidences": [{event, trial, arm, n, percent, is_comparator, count?, section, section_title,
                     document?}],
     "notes": "what was left out and why"}

A fact is cited to the document it was read from: without ``document``, the label named in
``label`` (an FDA document: SPL, DailyMed, openFDA); with ``document: key``, the entry's
``documents[key]`` -- its title and address, its ``class`` (``label``, ``label-copy`` for verbatim
label text republished elsewhere, ``patient-labelling`` for a Medication Guide, ``secondary`` for a
prescribing reference or a manufacturer's site: never label text, ``eu-label`` for an EU, UK or
Swiss regulator's text or a verbatim copy -- with its ``jurisdiction`` (EU, UK, CH) and ``date`` --,
``publication`` for a peer-reviewed paper or a trial registry record -- with one of ``pmid``,
``pmcid``, ``doi``, ``registry`` and the ``table`` read) and the label ``version`` that document
shows (omitted: "version not shown"). The identifiers and the jurisdiction reach the citation's
``detail``; an ``eu-label`` fact is never merged into a US fact (see
:mod:`rxcompare.comparison.jurisdiction`).

Which pack is read (:func:`load_pack` without a path): the **user pack** (``RXCOMPARE_USER_PACK``,
by default ``pack.json`` in the user data folder), written by ``rxcompare pack update`` from the
current DailyMed or openFDA labels, when that file exists; the embedded pack otherwise, or always
when ``RXCOMPARE_EMBEDDED_PACK=1`` (tests set it, so that a user pack cannot change their results).
A pack records per product the label it holds (``labels``: set id, version, date, source, address,
when it was fetched); :meth:`Pack.describe` says which pack it is, for a comparison's provenance.

The room: :mod:`.record` (``Pack``, ``PackLabel``), :mod:`.read` (a document as a pack, which pack
is read), :mod:`.curated` (curated entries) and :mod:`.build` (entries from parsed labels, the
document, the atomic write), all offline; :mod:`.update` (``pack update``: entries replaced by the
current DailyMed or openFDA label) is the one module of the room that uses the HTTP clients. The pack sits above the streams: it reads the label parsers
(:mod:`rxcompare.sources.labels`); no stream imports it, except FAERS's drug-name synonyms.
"""

from rxcompare.sources.pack.build import (
    build_pack,
    entry_from_label,
    pack_to_dict,
    put_entry,
    write_pack,
)
from rxcompare.sources.pack.curated import SOURCE_CLASSES, read_curated, read_curated_entry
from rxcompare.sources.pack.read import (
    embedded_forced,
    load_pack,
    pack_from_dict,
    user_pack_path,
)
from rxcompare.sources.pack.record import SCHEMA, VERSION, Pack, PackLabel

__all__ = [
    "SCHEMA",
    "SOURCE_CLASSES",
    "VERSION",
    "Pack",
    "PackLabel",
    "build_pack",
    "embedded_forced",
    "entry_from_label",
    "load_pack",
    "pack_from_dict",
    "pack_to_dict",
    "put_entry",
    "read_curated",
    "read_curated_entry",
    "user_pack_path",
    "write_pack",
]
