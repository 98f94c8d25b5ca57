"""openFDA drug/label parsing.

No real openFDA drug/label reply is stored in ../shared (its SOURCES.md says so), so the inputs
are constructed here from the real SPL samples, the way openFDA's own pipeline builds them
(FDA/openfda, ``openfda/spl/spl_to_json.js``): one field per coded section, named from openFDA's
section table (``openfda-spl-sections.csv``); the field's string is the section's whole text with
whitespace collapsed and ``<br>`` as a space (titles, Highlights excerpt and subsections run
together); unclassified subsections get no entry of their own; each table inside a section is
added, as markup, to ``<field>_table``. The ``openfda`` block is filled from the SPL product data.
Every constructed result is validated against openFDA's real schema (druglabel_schema.json).
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from conftest import shared_path
from helpers import openfda_result

from rxcompare.errors import LabelError
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.fact_context import product_from_label
from rxcompare.sources.labels.facts import extract_facts
from rxcompare.sources.labels.openfda_json import (
    openfda_identifiers,
    parse_openfda_label,
    parse_openfda_label_response,
)
from rxcompare.sources.labels.spl import parse_spl


def check_schema(result: dict) -> None:
    """Every field of the result is a field of openFDA's drug/label schema, of its type."""
    schema = json.loads(
        shared_path("openfda-label", "druglabel_schema.json").read_text(encoding="utf-8")
    )
    props = schema["properties"]
    for key, value in result.items():
        assert key in props, f"{key} is not a drug/label field"
        spec = props[key]
        if spec["type"] == "array":
            assert isinstance(value, list) and all(isinstance(x, str) for x in value), key
        elif spec["type"] == "string":
            assert isinstance(value, str), key
        else:
            for k, v in value.items():
                assert k in spec["properties"], f"openfda.{k} is not in the schema"
                assert isinstance(v, list), k


SAMPLES = ["humira.xml", "lipitor-orig.xml", "viagra-64f8040f.xml", "no-title.xml", "cough.xml"]


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("lines", [False, True])
def test_constructed_results_follow_the_schema(name, lines):
    check_schema(openfda_result(name, lines))


@cache
def labels(name: str, lines: bool = False):
    return parse_openfda_label(openfda_result(name, lines)), parse_spl(shared_path("spl", name))


def test_identity_and_products():
    label, _ = labels("humira.xml")
    assert (label.set_id, label.version, label.effective_date) == (
        "608d4f0d-b19f-46d3-749a-7159aa5f933d", "1560", "2013-09-30",
    )  # fmt: skip
    assert (label.source, label.document_type, label.title) == (
        "openfda",
        loinc.PRESCRIPTION,
        "Humira",
    )
    product = label.products[0]
    assert (product.name, product.routes) == ("Humira", ("SUBCUTANEOUS", "TOPICAL"))
    assert product.ndc[:2] == ("0074-3799", "0074-9374")


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize("number", ["1", "2", "5", "7"])
def test_numbered_subsections_are_split_out_with_their_titles(number, lines):
    ofda, spl = labels("humira.xml", lines)
    want = [(s.number, s.title) for s in spl.find(number=number).subsections]
    assert [(s.number, s.title) for s in ofda.find(number=number).subsections] == want


@pytest.mark.parametrize("name", ["lipitor-orig.xml", "viagra-64f8040f.xml"])
def test_subsection_numbers_match_the_spl(name):
    ofda, spl = labels(name)
    for number in ("1", "2", "4", "5", "6", "7", "8", "12"):
        want = [s.number for s in spl.find(number=number).subsections]
        assert [s.number for s in ofda.find(number=number).subsections] == want, number


def test_cross_references_do_not_split():
    # "[see Warnings and Precautions (5.1)]" and Highlights "(5.1)" stay in the text
    ofda, _ = labels("humira.xml")
    assert "(5.1)" in ofda.find(number="5").text  # the Highlights excerpt before 5.1
    assert ofda.find(number="5").subsections[0].number == "5.1"


def test_coded_subsections_listed_twice_are_merged():
    ofda, _ = labels("humira.xml")
    mechanism = [s for s in ofda.walk() if s.code == loinc.MECHANISM_OF_ACTION]
    assert [(s.number, s.title) for s in mechanism] == [("12.1", "Mechanism of Action")]
    assert all("." not in (s.number or "") for s in ofda.sections)
    assert ofda.find(number="8.1").code == loinc.PREGNANCY


def test_boxed_warning_without_its_highlights_copy():
    ofda, _ = labels("humira.xml")
    boxed = ofda.find(code=loinc.BOXED_WARNING)
    assert boxed.text.startswith(
        "WARNING: SERIOUS INFECTIONS AND MALIGNANCY SERIOUS INFECTIONS Patients"
    )
    assert "complete boxed warning" not in boxed.text


def test_tables_go_to_their_subsection_once():
    ofda, spl = labels("humira.xml")
    assert ofda.find(number="6.1").tables == spl.find(number="6.1").tables
    assert ofda.find(number="2.2").tables == spl.find(number="2.2").tables
    assert ofda.find(number="6").tables == ()


def _incidence_keys(incidences):
    return {
        (i.event, i.trial, i.arm, i.n, i.percent, i.is_comparator, i.citation.section,
         i.citation.section_title, i.citation.title)
        for i in incidences
    }  # fmt: skip


@pytest.mark.parametrize("name", ["humira.xml", "lipitor-orig.xml", "viagra-64f8040f.xml"])
def test_incidences_equal_those_of_the_spl(name):
    ofda, spl = labels(name)
    got = extract_facts(ofda, "p")[1]
    want = extract_facts(spl, "p")[1]
    assert got and _incidence_keys(got) == _incidence_keys(want)


def _values(facts):
    return {
        (f.topic, f.citation.section, f.value,
         tuple((k, v) for k, v in f.qualifiers if k not in ("population", "heading")))
        for f in facts if f.value is not None or f.topic.startswith(("warning.", "mechanism.target"))
    }  # fmt: skip


@pytest.mark.parametrize("name", ["humira.xml", "lipitor-orig.xml", "viagra-64f8040f.xml"])
def test_fact_values_and_topics_equal_those_of_the_spl(name):
    ofda, spl = labels(name)
    assert _values(extract_facts(ofda, "p")[0]) == _values(extract_facts(spl, "p")[0])


@pytest.mark.parametrize("name", ["humira.xml", "lipitor-orig.xml", "viagra-64f8040f.xml"])
def test_inferred_titles_never_cut_words_out_of_a_fact(name):
    # flattened titles are guessed; facts keep the guessed title in front of the sentence, so the
    # SPL fact text is always inside the openFDA one
    ofda, spl = labels(name)
    got = extract_facts(ofda, "p")[0]
    for fact in extract_facts(spl, "p")[0]:
        if fact.topic in ("admin.route", "mechanism.antibody_type"):
            continue
        lead = fact.text.split(": ")[0] if fact.topic == "indication" else fact.text  # list joins
        same = [
            f.text
            for f in got
            if (f.topic, f.citation.section) == (fact.topic, fact.citation.section)
        ]
        assert any(lead in text for text in same), (fact.topic, fact.citation.section, fact.text)


def test_boxes_nested_in_other_sections_are_not_boxed_warnings():
    for name, count in (("no-title.xml", 1), ("cough.xml", 0)):
        ofda, _ = labels(name)
        assert len(openfda_result(name)["boxed_warning"]) > count  # openFDA lists the nested boxes
        boxed = [f for f in extract_facts(ofda, "p")[0] if f.topic == "boxed_warning"]
        assert len(boxed) == count, name


def test_product_from_openfda_label():
    ofda, _ = labels("viagra-64f8040f.xml")
    product = product_from_label(ofda)
    assert (product.id, product.ingredient, product.routes) == (
        "viagra",
        "sildenafil citrate",
        ("oral",),
    )


def test_identifiers():
    assert openfda_identifiers(openfda_result("humira.xml"))["rxcui"] == ("000000",)


def test_response_with_results():
    result = openfda_result("viagra-64f8040f.xml")
    found = parse_openfda_label_response({"meta": {"results": {"total": 1}}, "results": [result]})
    assert [x.set_id for x in found] == ["0b0be196-0c62-461c-94f4-9a35339b4501"]
    assert (
        parse_openfda_label_response(
            {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
        )
        == []
    )


def _broken(**changes):
    result = dict(openfda_result("viagra-64f8040f.xml"))
    for key, value in changes.items():
        if value is None:
            result.pop(key)
        else:
            result[key] = value
    return result


@pytest.mark.parametrize(
    "changes, pattern",
    [
        (None, "a drug/label result is a JSON object, got list"),
        ({"set_id": None}, "has no 'set_id'"),
        ({"effective_time": "2017-11-07"}, "'2017-11-07' is not a date written YYYYMMDD"),
        ({"boxed_warning": "WARNING"}, "field 'boxed_warning' must be a list of strings"),
        ({"adverse_reactions_table": ["<p>no table</p>"]}, "adverse_reactions_table: an entry without a <table>"),
        ({"openfda": ["x"]}, "'openfda' block must be an object"),
    ],
)  # fmt: skip
def test_bad_results(changes, pattern):
    # the broken results are made in the test, so that a clone without ../shared skips it at run time
    result = [] if changes is None else _broken(**changes)
    with pytest.raises(LabelError, match=pattern):
        parse_openfda_label(result, origin="sample")


@pytest.mark.parametrize(
    "doc, pattern",
    [
        (
            {"error": {"code": "SERVER_ERROR", "message": "Check your request"}},
            "error 'SERVER_ERROR'",
        ),
        ({"meta": {}}, "no 'results' list"),
        ("results", "an openFDA reply is a JSON object"),
    ],
)
def test_bad_replies(doc, pattern):
    with pytest.raises(LabelError, match=pattern):
        parse_openfda_label_response(doc)
