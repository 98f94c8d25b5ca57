"""The JSON Schemas published in docs/schemas/ describe what rxcompare writes: each is checked
against a real output (the embedded pack's comparison, a scored report table, a study of a synthetic
warehouse, real ClinicalTrials.gov records and a real SPL label), and each refuses a document with a
field taken away or of the wrong type."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from conftest import shared_path
from helpers import run_cli

from rxcompare.models import envelope, to_dict

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
NAMES = ("comparison", "signals", "study", "trials", "label")


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check(name: str, doc: dict) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(doc)
    ]
    assert not errors, "\n".join(errors[:10])


def test_every_versioned_document_has_a_schema_named_for_it():
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(
        f"{n}.schema.json" for n in NAMES
    )
    for name in NAMES:
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert schema["properties"]["schema"] == {"const": f"rxcompare/{name}"}


@pytest.fixture(scope="module")
def comparison_doc():
    import rxcompare
    from rxcompare.render.json import render_json

    return json.loads(render_json(rxcompare.compare("kesimpta", "ocrevus")))


@pytest.fixture(scope="module")
def signals_doc(tmp_path_factory):
    import rxcompare
    from rxcompare.signals.files import write_signals

    table = tmp_path_factory.mktemp("reports") / "reports.csv"
    rows = ["id,var1,var2"] + [f"{i},D{i % 7},E{(i * i) % 11}" for i in range(600)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = table.with_suffix(".json")
    write_signals([(None, rxcompare.signals_from_reports(table))], "json", out)
    return json.loads(out.read_text(encoding="utf-8"))


def test_comparison_schema_holds_the_embedded_packs_comparison(comparison_doc):
    assert comparison_doc["studies"]["publications"]  # the pack's curated publications
    check("comparison", comparison_doc)


def test_signals_schema_holds_a_scored_report_table(signals_doc):
    assert signals_doc["rows"] and signals_doc["prior"] is not None
    check("signals", signals_doc)


def test_study_schema_holds_a_study_of_a_synthetic_warehouse(synthetic_warehouses):
    from rxcompare.signals.study import build_study
    from rxcompare.sources.faers.engines import connect_engine
    from rxcompare.sources.faers.normalise import load_synonyms

    wh = synthetic_warehouses(reports=1500, quarters=2, seed=4, drugs=120, events=150)
    with connect_engine(wh.path) as tables:
        doc = build_study(
            tables,
            drug="ofatumumab",
            vs="ocrelizumab",
            synonyms=load_synonyms(wh.path.parent / "q" / "synonyms.csv", use_pack=False),
        )
    doc = json.loads(json.dumps(doc, allow_nan=False))
    check("study", doc)


def test_trials_schema_holds_real_registry_records():
    from rxcompare.sources.ctgov.listing import trials_json
    from rxcompare.sources.ctgov.registry import registry_from_records

    records = {
        n: json.loads(shared_path("ctgov", f"{n}.json").read_text(encoding="utf-8"))
        for n in ("NCT02278341", "NCT02210780")
    }
    registry = registry_from_records(
        "ClinicalTrials.gov", records, ("certolizumab pegol", "cimzia", "dupilumab")
    )
    doc = json.loads(json.dumps(trials_json([registry]), allow_nan=False))
    assert doc["registries"][0]["trials"]
    check("trials", doc)


def test_label_schema_holds_a_real_spl_label_as_the_command_writes_it(capsys):
    doc = json.loads(
        run_cli(capsys, "label", "parse", str(shared_path("spl", "humira.xml")), "-f", "json")
    )
    check("label", doc)


@pytest.mark.parametrize(
    "name, damage",
    [
        ("signals", lambda d: d["rows"][0].pop("flags")),
        ("signals", lambda d: d["rows"][0].update(a=-1)),
        ("signals", lambda d: d.update(version=1)),
        ("comparison", lambda d: d["dimensions"][0]["findings"][0].pop("citations")),
        ("comparison", lambda d: d.update(schema="rxcompare/signals")),
        ("comparison", lambda d: d["citations"][0].pop("ref")),
        ("comparison", lambda d: d["studies"]["publications"][0].pop("origin")),
        ("comparison", lambda d: d.pop("studies")),
    ],
    ids=[
        "row-without-flags",
        "negative-count",
        "other-version",
        "finding-without-citations",
        "other-name",
        "citation-without-number",
        "publication-without-origin",
        "no-studies-field",
    ],
)
def test_a_schema_refuses_a_damaged_document(comparison_doc, signals_doc, name, damage):
    doc = copy.deepcopy(comparison_doc if name == "comparison" else signals_doc)
    damage(doc)
    assert list(validator(name).iter_errors(doc))


def test_the_label_schema_refuses_a_section_without_its_subsections():
    doc = envelope(
        "rxcompare/label",
        label={
            "set_id": "x",
            "version": "1",
            "effective_date": None,
            "title": "t",
            "document_type": "34391-3",
            "products": [],
            "sections": [{"code": None, "number": None, "title": "t", "text": "", "tables": []}],
        },
    )
    assert list(validator("label").iter_errors(to_dict(doc)))


def test_the_package_says_it_is_typed():
    # PEP 561: type checkers read the inline hints of an installed package that ships py.typed
    import importlib.resources
    import tomllib

    assert importlib.resources.files("rxcompare").joinpath("py.typed").is_file()
    project = tomllib.loads((SCHEMAS.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["rxcompare"]
