"""Signal-detection reference sets: positive and negative controls, their outcome definitions, and
the 2x2 tables of each control counted on the FAERS warehouse.

Three sets are read in the layouts in which they are published:

- ``omop``: OMOP (Ryan et al., Drug Saf 2013;36 Suppl 1:S33-47), ``omopReferenceSet.csv`` as OHDSI
  MethodEvaluation writes it (``exposureName, outcomeName, groundTruth`` and id columns);
- ``euadr``: EU-ADR (Coloma et al., Drug Saf 2013;36:13-23), ``euadrReferenceSet.csv``, same columns;
- ``harpaz``: Harpaz et al., Sci Data 2014;1:140043, ``harpaz_2014_reference_set.csv``
  (``EVENT_CONCEPT_NAME, DRUG_CONCEPT_NAME, GROUND_TRUTH``) with its MedDRA event definitions
  ``harpaz_2014_event_definitions.csv`` (an event's PTs, ``narrow`` or ``broad``; the event name is on
  the first row of each event only).

OMOP and EU-ADR outcomes are cohort names, not MedDRA terms: their PT definitions come from a file of
ours (``rxcompare/data/reference_outcomes.json``). Drug names are mapped to warehouse labels through the
synonym table (:class:`~rxcompare.sources.faers.normalise.Synonyms`), else by their cleaned name;
nothing is guessed: a name that matches no label, or that matches several, is listed with why.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rxcompare.errors import ConfigError, FaersError
from rxcompare.sources.faers.normalise import Synonyms, normalise_drug_name

__all__ = [
    "REFERENCE_FILES",
    "REFERENCE_SETS",
    "ControlCounts",
    "Reference",
    "ReferenceControl",
    "count_controls",
    "load_outcome_definitions",
    "load_reference",
    "map_drugs",
    "outcome_terms",
]

REFERENCE_SETS = ("omop", "euadr", "harpaz")
REFERENCE_FILES = {
    "omop": "omopReferenceSet.csv",
    "euadr": "euadrReferenceSet.csv",
    "harpaz": "harpaz_2014_reference_set.csv",
}
HARPAZ_DEFINITIONS = "harpaz_2014_event_definitions.csv"
DEFAULT_OUTCOMES = Path(__file__).resolve().parent.parent / "data" / "reference_outcomes.json"
"""The PT definitions of OMOP's and EU-ADR's outcomes that ship with rxcompare (ours, see its notes)."""
REFERENCE_ENV = "RXCOMPARE_REFERENCE_SETS"

_COLUMNS = {  # (drug, outcome, truth) columns, and the other columns each layout is known to have
    "omop": (
        ("exposureName", "outcomeName", "groundTruth"),
        {
            "exposureId",
            "outcomeId",
            "indicationId",
            "indicationName",
            "comparatorId",
            "comparatorName",
            "comparatorType",
        },
    ),
    "harpaz": (("DRUG_CONCEPT_NAME", "EVENT_CONCEPT_NAME", "GROUND_TRUTH"), set()),
}
_COLUMNS["euadr"] = _COLUMNS["omop"]


@dataclass(frozen=True)
class ReferenceControl:
    """One control of a reference set: a drug, an outcome, and whether the pair is a known ADR."""

    drug: str
    outcome: str
    positive: bool
    line: int  # line of the reference file


@dataclass(frozen=True)
class Reference:
    """A reference set as read: its controls, outcome definitions (PT sets) and what was odd."""

    name: str
    path: str
    controls: tuple[ReferenceControl, ...]
    definitions: dict[str, tuple[str, ...]]  # outcome -> PTs (upper case)
    definitions_source: str
    definition_level: str
    notes: tuple[str, ...]  # unknown columns, skipped lines: listed, never silent


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _reference_path(name: str, path: str | os.PathLike[str] | None) -> Path:
    raw = path if path is not None else os.environ.get(REFERENCE_ENV)
    if raw is None:
        raise ConfigError(
            f"--evaluate {name}: give the reference set with --reference FILE (or a folder holding "
            f"{REFERENCE_FILES[name]}), or set {REFERENCE_ENV}; the sets are published by OHDSI "
            "MethodEvaluation (OMOP, EU-ADR) and Harpaz et al. 2014"
        )
    p = Path(raw)
    if p.is_dir():
        p = p / REFERENCE_FILES[name]
    if not p.is_file():
        raise ConfigError(
            f"--evaluate {name}: reference file {p} not found; give --reference FILE or DIR"
        )
    return p


def load_outcome_definitions(path: str | os.PathLike[str]) -> dict[str, tuple[str, ...]]:
    """Outcome name -> PTs (upper case) from a ``rxcompare/reference-outcomes`` JSON file."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        outcomes = doc["outcomes"]
        return {str(k): tuple(str(t).strip().upper() for t in v) for k, v in outcomes.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"outcome definitions {p}: cannot be read ({type(exc).__name__}: {exc}); "
            'write JSON {"outcomes": {"outcome name": ["PT", ...]}}'
        ) from None


def _harpaz_definitions(path: Path, level: str) -> dict[str, tuple[str, ...]]:
    levels = ("narrow",) if level == "narrow" else ("narrow", "broad")
    out: dict[str, list[str]] = {}
    current = None
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"EVENT_CONCEPT_NAME", "MEDDRA_PT", "DEFINITION_LEVEL"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise FaersError(
                f"{path}: header {reader.fieldnames!r} lacks {', '.join(sorted(need))}"
            )
        for row in reader:
            name = (row["EVENT_CONCEPT_NAME"] or "").strip()
            if name:
                current = name
            if (
                current
                and (row["DEFINITION_LEVEL"] or "").strip().lower() in levels
                and row["MEDDRA_PT"]
            ):
                out.setdefault(current, []).append(row["MEDDRA_PT"].strip().upper())
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


def load_reference(
    name: str,
    path: str | os.PathLike[str] | None = None,
    *,
    outcomes: str | os.PathLike[str] | None = None,
    level: str = "narrow",
) -> Reference:
    """Read reference set ``name`` (``omop``, ``euadr``, ``harpaz``) from ``path`` (a file or the folder
    holding it), with its outcome definitions: Harpaz's own (``level`` narrow, or broad = narrow and
    broad terms), else the JSON file ``outcomes`` (by default :data:`DEFAULT_OUTCOMES`, shipped with the
    package). Unknown columns and unreadable lines are listed in :attr:`Reference.notes`."""
    if name not in REFERENCE_SETS:
        raise ConfigError(f"--evaluate {name!r} is not one of {', '.join(REFERENCE_SETS)}")
    if level not in ("narrow", "broad"):
        raise ConfigError(f"--definition {level!r}: use narrow or broad")
    if name != "harpaz" and outcomes is None:
        outcomes = DEFAULT_OUTCOMES
    p = _reference_path(name, path)
    (drug_col, outcome_col, truth_col), known = _COLUMNS[name]
    notes: list[str] = []
    controls = []
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        missing = [c for c in (drug_col, outcome_col, truth_col) if c not in fields]
        if missing:
            raise FaersError(
                f"{p}: header lacks {', '.join(missing)} (found {', '.join(fields) or 'nothing'}); "
                f"is this the {name} reference set?"
            )
        unknown = [
            c for c in fields if c not in known and c not in (drug_col, outcome_col, truth_col)
        ]
        if unknown:
            notes.append(f"{p.name}: unknown columns ignored: {', '.join(unknown)}")
        for line, row in enumerate(reader, 2):
            truth = (row[truth_col] or "").strip()
            drug, outcome = (row[drug_col] or "").strip(), (row[outcome_col] or "").strip()
            if truth not in ("0", "1") or not drug or not outcome:
                notes.append(
                    f"{p.name} line {line}: skipped (drug {drug!r}, outcome {outcome!r}, "
                    f"ground truth {truth!r}; expected a drug, an outcome and 0 or 1)"
                )
                continue
            controls.append(ReferenceControl(drug, outcome, truth == "1", line))
    if name == "harpaz":
        dpath = p.parent / HARPAZ_DEFINITIONS
        if not dpath.is_file():
            raise ConfigError(
                f"--evaluate harpaz: event definitions {dpath} not found beside {p.name}"
            )
        definitions, source = _harpaz_definitions(dpath, level), f"{dpath.name} ({level})"
    else:
        definitions, source = load_outcome_definitions(outcomes), Path(outcomes).name
    return Reference(
        name,
        str(p),
        tuple(controls),
        definitions,
        source,
        level if name == "harpaz" else "",
        tuple(notes),
    )


def outcome_terms(reference: Reference) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """(outcome -> PTs for the outcomes defined; outcome -> why not, for the others), matching
    outcome names case- and space-insensitively."""
    by_key = {_key(k): v for k, v in reference.definitions.items()}
    found, missing = {}, {}
    for outcome in dict.fromkeys(c.outcome for c in reference.controls):
        terms = by_key.get(_key(outcome))
        if terms:
            found[outcome] = terms
        else:
            missing[outcome] = (
                f"outcome {outcome!r} has no PT definition in {reference.definitions_source}"
            )
    return found, missing


def map_drugs(
    names: Sequence[str], labels: Sequence[str], synonyms: Synonyms
) -> tuple[dict[str, str], dict[str, str]]:
    """(name -> warehouse label; name -> why it is not mapped). A name maps through the synonym
    table, else by its cleaned form; when neither is a label, the labels holding the cleaned name as
    a whole word are given as candidates (several: the name maps to several ingredients) but never
    chosen."""
    labels_set = set(labels)
    words: dict[str, list[str]] = {}
    for lab in labels:
        for w in set(lab.replace("\\", " ").split()):
            words.setdefault(w, []).append(lab)
    mapped, unmapped = {}, {}
    for name in dict.fromkeys(names):
        hit = synonyms.lookup(name)
        label = hit[0] if hit else normalise_drug_name(name).lower()
        if label in labels_set:
            mapped[name] = label
            continue
        cands = sorted(set(words.get(label, ())))[:6] if label and " " not in label else []
        if len(cands) > 1:
            unmapped[name] = (
                f"drug {name!r} maps to several ingredients ({', '.join(cands)}); not chosen"
            )
        elif cands:
            unmapped[name] = (
                f"drug {name!r} ({label}) is no warehouse ingredient; one label contains it: {cands[0]}"
            )
        else:
            unmapped[name] = (
                f"drug {name!r} ({label or 'empty after cleaning'}) has no case in the warehouse"
            )
    return mapped, unmapped


@dataclass(frozen=True)
class ControlCounts:
    """Cases counted for the controls: n, per drug, per outcome, and per (drug, outcome)."""

    n: int
    drug: dict[str, int]
    outcome: dict[str, int]
    pair: dict[tuple[str, str], int]


def count_controls(
    tables, drugs: Sequence[str], outcomes: Mapping[str, Sequence[str]], query
) -> ControlCounts:
    """Count, in the universe of ``query`` (see :mod:`rxcompare.sources.faers.counts`), the cases of
    each drug label, of each outcome (any of its PTs) and of each drug with each outcome, in one engine
    pass per margin (Ibis: DuckDB or Spark)."""
    import ibis

    from rxcompare.sources.faers.counts import drug_rows, universe_table

    u = universe_table(tables, query).select("primaryid").distinct()
    d = drug_rows(tables, query)
    label = d[query.level]
    dc = d.filter(label.isin(list(drugs))).select(primaryid=d.primaryid, drug=label).distinct()
    dc = dc.semi_join(u, "primaryid")
    pairs = [(o, t) for o, terms in outcomes.items() for t in dict.fromkeys(terms)]
    defs = ibis.memtable(
        {"outcome": [o for o, _ in pairs], "pt": [t for _, t in pairs]},
        schema={"outcome": "string", "pt": "string"},
    )
    r = tables["case_reactions"]
    oc = (
        r.join(defs, r.pt == defs.pt).select(primaryid=r.primaryid, outcome=defs.outcome).distinct()
    )
    oc = oc.semi_join(u, "primaryid")
    n = tables.fetch(u.aggregate(n=u.count())).column("n")[0].as_py()
    dn = tables.fetch(dc.group_by("drug").aggregate(n=dc.count()))
    on = tables.fetch(oc.group_by("outcome").aggregate(n=oc.count()))
    j = dc.join(oc, "primaryid")
    an = tables.fetch(j.group_by(["drug", "outcome"]).aggregate(n=j.count()))
    return ControlCounts(
        n=int(n or 0),
        drug=dict(zip(dn.column("drug").to_pylist(), map(int, dn.column("n").to_pylist()))),
        outcome=dict(zip(on.column("outcome").to_pylist(), map(int, on.column("n").to_pylist()))),
        pair={
            (x, y): int(k)
            for x, y, k in zip(*(an.column(c).to_pylist() for c in ("drug", "outcome", "n")))
        },
    )
