"""Method evaluation against reference sets (`rxcompare signals --evaluate`) on a synthetic warehouse
whose generator plants the positive controls and leaves the negative ones null."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, shared_path
from helpers import run_cli, synthetic_warehouse

from rxcompare.errors import ConfigError, FaersError
from rxcompare.signals.evaluate import evaluate_reference, evaluation_json
from rxcompare.signals.reference_sets import (
    DEFAULT_OUTCOMES,
    load_outcome_definitions,
    load_reference,
)
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.normalise import load_synonyms, normalise_drug_name
from rxcompare.sources.faers.warehouse import Warehouse

OUTCOMES = ROOT / "src" / "rxcompare" / "data" / "reference_outcomes.json"
HEADER = [
    "exposureId",
    "exposureName",
    "outcomeId",
    "outcomeName",
    "groundTruth",
    "indicationId",
    "indicationName",
    "comparatorId",
    "comparatorName",
    "comparatorType",
]
# a small reference file in OMOP's layout: names of the synthetic world, two outcomes of ours
POSITIVES = [
    ("Zelbravir", "OMOP Acute Liver Failure 1"),
    ("Quonitrastatin", "OMOP Acute Liver Failure 1"),
    ("Mirvelolol", "OMOP Acute Liver Failure 1"),
    ("Dovatinib X", "Rhabdomyolysis #1"),
    ("Xaprocaine", "Rhabdomyolysis #1"),
    ("Tessamab", "Rhabdomyolysis #1"),
]
NEGATIVES = [
    ("Kolvemycin", "OMOP Acute Liver Failure 1"),
    ("Parodronate", "OMOP Acute Liver Failure 1"),
    ("Vinozepam", "OMOP Acute Liver Failure 1"),
    ("Ulmacitinib", "OMOP Acute Liver Failure 1"),
    ("Zelbravir", "Rhabdomyolysis #1"),
    ("Mirvelolol", "Rhabdomyolysis #1"),
    ("Kolvemycin", "Rhabdomyolysis #1"),
    ("Parodronate", "Rhabdomyolysis #1"),
]
ABSENT = [
    ("Nowhere-in-warehouse", "OMOP Acute Liver Failure 1", 1),
    ("Zelbravir", "Undefined outcome #9", 0),
]


def _plant(controls, rrr: float) -> list[tuple[str, str, float]]:
    terms = json.loads(OUTCOMES.read_text(encoding="utf-8"))["outcomes"]
    seen: dict[str, int] = {}
    out = []
    for drug, outcome, positive in controls:
        k = seen.get(outcome, 0)
        seen[outcome] = k + 1
        out.append(
            (
                normalise_drug_name(drug),
                terms[outcome][k % len(terms[outcome])],
                rrr if positive else 1.0,
            )
        )
    return out


def _warehouse(root: Path, plant, reports: int) -> tuple[Warehouse, object]:
    wh = synthetic_warehouse(
        root, reports=reports, quarters=2, seed=21, drugs=200, events=300, plant=plant
    )
    return wh, load_synonyms(root / "q" / "synonyms.csv", use_pack=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    ref = root / "omopReferenceSet.csv"
    with ref.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER + ["extraColumn"])
        rows = [(d, o, 1) for d, o in POSITIVES] + [(d, o, 0) for d, o in NEGATIVES] + ABSENT
        for i, (d, o, g) in enumerate(rows):
            w.writerow([i, d, 1, o, g, "", "", "", "", "", "x"])
        w.writerow([99, "Broken", 1, "OMOP Acute Liver Failure 1", "maybe", "", "", "", "", "", ""])
    plant = _plant(
        [(d, o, True) for d, o in POSITIVES] + [(d, o, False) for d, o in NEGATIVES], 20.0
    )
    wh, syn = _warehouse(root, plant, 6000)
    reference = load_reference("omop", ref, outcomes=OUTCOMES)
    with connect_engine(wh.path) as t:
        ev = evaluate_reference(t, reference, synonyms=syn)
    return wh, ev, reference, root


def test_strong_plants_are_all_recovered(small):
    _, ev, _, _ = small
    assert len(ev.evaluated) == len(POSITIVES) + len(NEGATIVES)
    m = {(x.statistic, x.rule): x for x in ev.metrics}
    ror = m[("ROR", "a >= 3 and ROR025 > 1")]
    ic = m[("IC", "a >= 3 and IC025 > 0")]
    assert (ror.tp, ror.fn) == (len(POSITIVES), 0) and ror.sensitivity == 1.0
    assert ic.sensitivity == 1.0
    for x in ev.metrics:
        assert x.tp + x.fn == len(POSITIVES) and x.tn + x.fp == len(NEGATIVES)
        assert 0.0 <= x.auc <= 1.0


def test_specificity_on_nulls_equals_an_independent_count(small):
    wh, ev, _, _ = small
    terms = {
        k: [t.upper() for t in v]
        for k, v in json.loads(OUTCOMES.read_text(encoding="utf-8"))["outcomes"].items()
    }
    con = duckdb.connect()
    p = {n: str(wh.path / f"{n}.parquet") for n in ("case_drugs", "case_reactions")}
    con.execute(
        f"CREATE VIEW u AS SELECT DISTINCT primaryid FROM '{p['case_drugs']}' WHERE role_cod IN ('PS','SS')"
    )
    n = con.execute("SELECT count(*) FROM u").fetchone()[0]
    flagged = 0
    for drug, outcome in NEGATIVES:
        label = normalise_drug_name(drug).lower()
        pts = ", ".join("'" + t.replace("'", "''") + "'" for t in terms[outcome])
        dcases = f"SELECT DISTINCT primaryid FROM '{p['case_drugs']}' WHERE role_cod IN ('PS','SS') AND ingredient = '{label}'"
        ecases = f"SELECT DISTINCT primaryid FROM '{p['case_reactions']}' WHERE pt IN ({pts}) AND primaryid IN (SELECT * FROM u)"
        nd = con.execute(f"SELECT count(*) FROM ({dcases})").fetchone()[0]
        ne = con.execute(f"SELECT count(*) FROM ({ecases})").fetchone()[0]
        a = con.execute(
            f"SELECT count(*) FROM ({dcases}) x JOIN ({ecases}) y USING (primaryid)"
        ).fetchone()[0]
        b, c = nd - a, ne - a
        d = n - a - b - c
        if a >= 3 and b and c and d:
            lower = math.exp(
                math.log(a * d / (b * c))
                - 1.959963984540054 * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
            )
            flagged += lower > 1
    ror = next(x for x in ev.metrics if x.statistic == "ROR")
    assert ror.specificity == (len(NEGATIVES) - flagged) / len(NEGATIVES)
    assert ror.fp == flagged


def test_controls_not_evaluated_are_listed_with_why(small):
    _, ev, reference, _ = small
    reasons = {(c.drug, c.outcome): c.status for c in ev.not_evaluated}
    assert (
        "no case in the warehouse"
        in reasons[("Nowhere-in-warehouse", "OMOP Acute Liver Failure 1")]
    )
    assert "no PT definition" in reasons[("Zelbravir", "Undefined outcome #9")]
    assert any("unknown columns ignored: extraColumn" in x for x in reference.notes)
    assert any("line 18: skipped" in x and "'maybe'" in x for x in reference.notes)
    doc = evaluation_json(ev)
    assert (
        doc["schema"] == "rxcompare/evaluation"
        and doc["controls_total"] == len(POSITIVES) + len(NEGATIVES) + 2
    )
    assert doc["controls_evaluated"] == len(POSITIVES) + len(NEGATIVES)


def test_cli_evaluate_table_and_json(small, capsys):
    wh, ev, _, root = small
    syn = root / "q" / "synonyms.csv"
    out = run_cli(
        capsys,
        "signals",
        "--evaluate",
        "omop",
        "--reference",
        str(root),
        "--outcomes",
        str(OUTCOMES),
        "--synonyms",
        str(syn),
        "--warehouse",
        str(wh.path),
    )
    assert "sensitivity" in out and "a >= 3 and ROR025 > 1" in out and "Nowhere-in-warehouse" in out
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            "--evaluate",
            "omop",
            "--reference",
            str(root),
            "--outcomes",
            str(OUTCOMES),
            "--synonyms",
            str(syn),
            "--warehouse",
            str(wh.path),
            "-f",
            "json",
        )
    )
    assert doc["metrics"] == evaluation_json(ev)["metrics"]


def test_outcome_definitions_ship_with_the_package(small, capsys, tmp_path, monkeypatch):
    """Without --outcomes the definitions installed with rxcompare are used, whatever the folder run from."""
    wh, ev, _, root = small
    monkeypatch.chdir(tmp_path)
    assert DEFAULT_OUTCOMES.is_file() and load_outcome_definitions(
        DEFAULT_OUTCOMES
    ) == load_outcome_definitions(OUTCOMES)
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            "--evaluate",
            "omop",
            "--reference",
            str(root),
            "--synonyms",
            str(root / "q" / "synonyms.csv"),
            "--warehouse",
            str(wh.path),
            "-f",
            "json",
        )
    )
    assert doc["metrics"] == evaluation_json(ev)["metrics"]


def test_bad_reference_input_is_a_clear_error(tmp_path):
    bad = tmp_path / "omopReferenceSet.csv"
    bad.write_text("drug,event\nx,y\n", encoding="utf-8")
    with pytest.raises(FaersError, match="header lacks exposureName, outcomeName, groundTruth"):
        load_reference("omop", bad, outcomes=OUTCOMES)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_reference("omop", shared_path("reference-sets"), outcomes=tmp_path / "absent.json")
    with pytest.raises(ConfigError, match="not one of omop, euadr, harpaz"):
        load_reference("vigibase", bad)


@pytest.mark.parametrize(
    "name, n, positives", [("omop", 399, 165), ("euadr", 93, 43), ("harpaz", 137, 62)]
)
def test_real_reference_sets_read_whole(name, n, positives):
    folder = shared_path("reference-sets")
    ref = load_reference(name, folder, outcomes=OUTCOMES)
    assert len(ref.controls) == n and sum(c.positive for c in ref.controls) == positives
    from rxcompare.signals.reference_sets import outcome_terms

    defined, undefined = outcome_terms(ref)
    assert not undefined, undefined  # every outcome of the three sets has a PT definition
    if name == "harpaz":
        broad = load_reference(name, folder, level="broad")
        assert all(set(defined[o]) <= set(outcome_terms(broad)[0][o]) for o in defined)


def test_real_omop_controls_planted_are_recovered(tmp_path):
    folder = shared_path("reference-sets")
    ref = load_reference("omop", folder, outcomes=OUTCOMES)
    plant = _plant([(c.drug, c.outcome, c.positive) for c in ref.controls], 20.0)
    wh, syn = _warehouse(tmp_path, plant, 30000)
    with connect_engine(wh.path) as t:
        ev = evaluate_reference(t, ref, synonyms=syn)
    assert len(ev.evaluated) == len(ref.controls)
    ror = next(x for x in ev.metrics if x.statistic == "ROR")
    assert ror.sensitivity == 1.0 and ror.auc > 0.95
