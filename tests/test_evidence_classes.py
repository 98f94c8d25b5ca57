"""The evidence classes ``eu-label`` (another jurisdiction's label) and ``publication`` (a paper or
a registry record): what the curated reader accepts and refuses, the mark each gets in every
format, EU statements shown beside the US findings and never merged into them, and a patient
factor bringing forward the facts filed for its context.

The logic runs on the fictional pack (fixtures/curated) with EU, publication and context records
added here; the last tests read the embedded pack's KESIMPTA and OCREVUS entries."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from helpers import FIXTURES

from rxcompare.comparison import compare
from rxcompare.comparison.evidence import gather
from rxcompare.comparison.resolve import resolve
from rxcompare.errors import PackError
from rxcompare.render.common import cite_line
from rxcompare.render.html import render_html
from rxcompare.render.json import render_json
from rxcompare.render.markdown import render_markdown
from rxcompare.render.terminal import render_terminal
from rxcompare.sources.pack import build_pack, load_pack, read_curated, write_pack

EU_DOC = {
    "title": "Fixture EU package leaflet",
    "url": "https://example.org/eu-leaflet",
    "class": "eu-label",
    "jurisdiction": "EU",
    "date": "2022-02-16",
}
PUB_DOC = {
    "title": "Fixture paper, Table 2",
    "url": "https://example.org/paper",
    "class": "publication",
    "pmid": "12345678",
    "doi": "10.0000/fixture",
    "table": "2",
}


def _betanib() -> dict:
    return json.loads((FIXTURES / "curated" / "betanib.json").read_text(encoding="utf-8"))


def _write(tmp: Path, entry: dict) -> Path:
    p = tmp / "entry.json"
    p.write_text(json.dumps(entry), encoding="utf-8")
    return p


def _with(entry: dict, docs: dict, facts=(), incidences=()) -> dict:
    e = copy.deepcopy(entry)
    e["documents"] = {**e.get("documents", {}), **docs}
    e["facts"] += list(facts)
    e["incidences"] = list(e.get("incidences", [])) + list(incidences)
    return e


# ---- the curated reader ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc, words",
    [
        ({**EU_DOC, "jurisdiction": None}, "jurisdiction"),
        ({**EU_DOC, "jurisdiction": "US"}, "jurisdiction"),
        ({k: v for k, v in EU_DOC.items() if k != "date"}, "date"),
        ({**EU_DOC, "date": "16 February 2022"}, "date"),
        ({k: v for k, v in PUB_DOC.items() if k not in ("pmid", "doi")}, "identifiers"),
        (
            {"title": "a copy", "class": "label-copy", "jurisdiction": "EU"},
            "jurisdiction is for eu-label",
        ),
        ({"title": "a summary", "class": "secondary", "pmid": "1"}, "are for publication"),
    ],
)
def test_the_reader_refuses_a_class_without_what_it_needs(tmp_path, doc, words):
    fact = {"topic": "lactation", "text": "Fixture text.", "section": "2", "document": "d"}
    with pytest.raises(PackError) as info:
        read_curated(_write(tmp_path, _with(_betanib(), {"d": doc}, [fact])))
    assert words in str(info.value) and "documents.d" in str(info.value)


def test_the_reader_carries_jurisdiction_and_identifiers_in_the_citation(tmp_path):
    facts = [
        {"topic": "lactation", "text": "Fixture EU text.", "section": "2", "document": "eu"},
        {
            "topic": "warning.malignancy",
            "text": "Fixture table row.",
            "section": "Table 2",
            "document": "pub",
        },
    ]
    _p, read, _i = read_curated(
        _write(tmp_path, _with(_betanib(), {"eu": EU_DOC, "pub": PUB_DOC}, facts))
    )
    eu, pub = read[-2].citation, read[-1].citation
    assert (eu.source_class, eu.jurisdiction, eu.effective_date) == ("eu-label", "EU", "2022-02-16")
    assert eu.version == "version not shown" and not eu.is_label_text
    assert pub.source_class == "publication" and not pub.is_label_text
    assert dict(pub.detail) == {"PMID": "12345678", "DOI": "10.0000/fixture", "table": "2"}


def test_cite_line_marks_the_class_and_leaves_out_the_us_set_id(tmp_path):
    facts = [
        {"topic": "lactation", "text": "Fixture EU text.", "section": "2", "document": "eu"},
        {
            "topic": "warning.malignancy",
            "text": "Fixture table row.",
            "section": "Table 2",
            "document": "pub",
        },
    ]
    _p, read, _i = read_curated(
        _write(tmp_path, _with(_betanib(), {"eu": EU_DOC, "pub": PUB_DOC}, facts))
    )
    us, eu, pub = read[0].citation, read[-2].citation, read[-1].citation
    assert cite_line(eu).startswith("[EU label] Fixture EU package leaflet")
    assert "jurisdiction: EU" in cite_line(eu) and "set id" not in cite_line(eu)
    assert cite_line(pub).startswith(
        "[publication] Fixture paper"
    ) and "PMID: 12345678" in cite_line(pub)
    assert not cite_line(us).startswith("[") and "set id" in cite_line(us)


# ---- the comparison ----------------------------------------------------------------------------

EU_FACTS = [
    # differs from the US fact of the same topic and unit (12 months in betanib.json)
    {
        "topic": "pregnancy.contraception",
        "text": "Fixture EU text: contraception for 6 months.",
        "value": 6,
        "unit": "months",
        "section": "2",
        "document": "eu",
    },
    # same figure as the US fact (6 weeks): an EU line without "differs"
    {
        "topic": "vaccination.live",
        "text": "Fixture EU text: live vaccines 6 weeks before.",
        "value": 6,
        "unit": "weeks",
        "section": "2",
        "document": "eu",
    },
]
CONTEXT_FACT = {
    "topic": "warning.pml",
    "text": "Fixture text: cases after a prior therapy.",
    "section": "PML",
    "document": "pub",
    "qualifiers": {"context": "prior_immunosuppressant"},
}
PUB_ROWS = [
    {
        "event": "Fixture reaction",
        "trial": "FIXTURE-1",
        "arm": "Betanib",
        "n": 200,
        "percent": 10.0,
        "is_comparator": False,
        "count": 20,
        "section": "Table 2",
        "document": "pub",
    },
    {
        "event": "Fixture reaction",
        "trial": "FIXTURE-1",
        "arm": "Placebo",
        "n": 100,
        "percent": 5.0,
        "is_comparator": True,
        "count": 5,
        "section": "Table 2",
        "document": "pub",
    },
]


@pytest.fixture(scope="module")
def eu_pack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eu")
    folder = tmp / "curated"
    shutil.copytree(FIXTURES / "curated", folder)
    entry = _with(_betanib(), {"eu": EU_DOC, "pub": PUB_DOC}, [*EU_FACTS, CONTEXT_FACT], PUB_ROWS)
    (folder / "betanib.json").write_text(json.dumps(entry), encoding="utf-8")
    doc = build_pack(curated=sorted(folder.glob("*.json")))
    return load_pack(write_pack(doc, tmp / "pack.json"))


def _finding(c, topic):
    return next(f for f in c.findings if f.topic == topic)


def test_eu_facts_are_kept_out_of_the_us_evidence(eu_pack):
    ev = gather(resolve("betanib", eu_pack), eu_pack)
    assert {f.citation.source_class for f in ev.facts} == {"label", "publication"}
    assert [f.text for f in ev.other_jurisdiction] == [f["text"] for f in EU_FACTS]


def test_an_eu_line_stands_beside_the_us_fact_and_says_where_it_differs(eu_pack):
    c = compare("alphex", "betanib", pack=eu_pack)
    f = _finding(c, "pregnancy.contraception")
    us, eu = f.b_text.split("\n")
    assert us == "Fixture text: contraception for 12 months."
    assert eu == (
        "EU (differs from the US text: 6 months here, 12 months in the US text): "
        "Fixture EU text: contraception for 6 months."
    )
    assert any(x.source_class == "eu-label" for x in f.citations)
    # the US figure is what the finding compares; the EU figure never replaces it
    assert "Betanib 12 months" in f.statement and "Betanib 6 months" not in f.statement
    v = _finding(c, "vaccination.live")
    assert v.b_text.endswith("\nEU: Fixture EU text: live vaccines 6 weeks before.")


def test_the_marks_appear_in_every_format(eu_pack):
    c = compare("alphex", "betanib", pack=eu_pack)
    term = render_terminal(c, width=200, color=False)
    full = (render_terminal(c, width=200, color=False, full=True), render_markdown(c, full=True))
    for text in (term, render_markdown(c), render_html(c), *full):
        assert "[EU label] Fixture EU package leaflet" in text
        assert "[publication] Fixture paper" in text
    # the difference is a finding of its own (in the summary when among the weightiest); the EU
    # text stands in the cell of the full answer
    assert "Betanib, contraception after the last dose: EU text 6 months, US text 12 months." in {
        f.statement for f in c.findings
    }
    for text in (render_html(c), *full):
        assert (
            "Betanib, contraception after the last dose: EU text 6 months, US text 12 months."
            in text
        )
        assert "EU (differs from the US text: 6 months here, 12 months in the US text)" in text
    doc = json.loads(render_json(c))
    classes = {x["source_class"] for x in doc["citations"]}
    assert {"eu-label", "publication"} <= classes
    eu = next(x for x in doc["citations"] if x["source_class"] == "eu-label")
    assert eu["text"].startswith("[EU label]") and eu["detail"] == {"jurisdiction": "EU"}


def test_a_factor_brings_forward_the_facts_filed_for_its_context(eu_pack):
    plain = compare("alphex", "betanib", pack=eu_pack)
    assert not [f for f in plain.findings if f.topic.startswith("factor.")]
    c = compare("alphex", "betanib", pack=eu_pack, factors=("prior_immunosuppressant",))
    f = _finding(c, "factor.prior_immunosuppressant")
    assert "Fixture text: cases after a prior therapy." in f.b_text
    assert f.grade.value == "secondary"  # a publication's fact is not label text
    assert c.dimensions[0].key == "patient_factors"


def test_publication_rows_are_trial_rows_with_their_comparator(eu_pack):
    c = compare("alphex", "betanib", pack=eu_pack)
    rows = [f for f in c.findings if f.topic == "trial.fixture_reaction"]
    assert rows and all(x.source_class == "publication" for f in rows for x in f.citations)
    assert "Placebo 5% (N=100)" in rows[0].statement


# ---- the embedded pack: KESIMPTA and OCREVUS -----------------------------------------------------


def test_embedded_ocrevus_contraception_shows_the_eu_text_apart():
    c = compare("kesimpta", "ocrevus", pack=load_pack())
    f = _finding(c, "pregnancy.contraception")
    lines = f.b_text.split("\n")
    assert not lines[0].startswith("EU")
    assert any(
        x.startswith("EU (differs from the US text: 12 months here, 6 months in the US text)")
        for x in lines
    )
    assert all(x.source_class != "eu-label" or x.jurisdiction == "EU" for x in f.citations)


def test_embedded_prior_immunosuppressant_changes_the_answer():
    plain = compare("kesimpta", "ocrevus", pack=load_pack())
    c = compare("kesimpta", "ocrevus", pack=load_pack(), factors=("prior_immunosuppressant",))
    f = _finding(c, "factor.prior_immunosuppressant")
    assert "carry-over" in f.b_text
    assert not [x for x in plain.findings if x.topic == "factor.prior_immunosuppressant"]
    # the PML line itself leads with the carry-over figures when the factor is given
    pml, pml_plain = _finding(c, "warning.pml"), _finding(plain, "warning.pml")
    assert "carry-over" in pml.b_text.split("\n")[0]
    assert "carry-over" not in pml_plain.b_text.split("\n")[0]
    assert sorted(pml.b_text.split("\n")) == sorted(pml_plain.b_text.split("\n"))


def test_embedded_eu_percentages_are_not_set_against_us_rules():
    # the EU 4.8 summary's 20.6% (systemic injection reactions) is another text's trial figure,
    # not the same measure as the US 5.2 figures: an "EU:" line, never "differs"
    c = compare("kesimpta", "ocrevus", pack=load_pack())
    stated = [f.statement for f in c.findings if f.kind == "differs"]
    assert not [s for s in stated if "EU text" in s and s.startswith("KESIMPTA")]
    f = _finding(c, "warning.administration_reactions")
    assert any(x.startswith("EU: The most important") for x in f.a_text.split("\n"))
