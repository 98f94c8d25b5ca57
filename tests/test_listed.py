"""Listedness of an event in a product's label: listed / unlisted / unknown on the embedded pack (the
SPL products humira, lipitor and viagra held whole; the curated kesimpta in part) and on a label
parsed from real SPL."""

from __future__ import annotations

import pytest
from conftest import shared_path

from rxcompare.sources.labels.spl import parse_spl
from rxcompare.sources.pack import build_pack, load_pack, pack_from_dict, pack_to_dict
from rxcompare.sources.pack.listed import (
    listed_columns,
    listed_for_label,
    listedness,
    safety_text_from_label,
)


@pytest.fixture(scope="module")
def pack():
    return load_pack()


@pytest.mark.parametrize(
    ("product", "event", "match", "section"),
    [
        ("humira", "LYMPHOMA", "term", "BW"),  # the boxed warning names lymphoma
        ("humira", "DEMYELINATION", "term", "5.5"),  # "demyelinating disease": one stem
        ("humira", "HAEMORRHAGE", "term", "6.1"),  # MedDRA's British spelling meets "hemorrhage"
        ("humira", "HEPATITIS B REACTIVATION", "term words", "5.4"),
        ("lipitor", "RHABDOMYOLYSIS", "term", "5.1"),
        ("lipitor", "HEPATIC FAILURE", "term", "5.2"),
        ("viagra", "PRIAPISM", "term", "5.2"),
        (
            "viagra",
            "SUDDEN HEARING LOSS",
            "term words",
            "5.4",
        ),  # "sudden decrease or loss of hearing"
        (
            "viagra",
            "NON-ARTERITIC ISCHAEMIC OPTIC NEUROPATHY",
            "term words",
            "5.3",
        ),  # "anterior" between
    ],
)
def test_listed_in_labels_held_whole(pack, product, event, match, section):
    got = listedness(pack, product, event)
    assert (got.state, got.match, got.section) == ("listed", match, section)
    lab = pack.label_of(product)
    assert (got.citation.set_id, got.citation.version, got.citation.section) == (
        lab.set_id,
        lab.version,
        section,
    )
    assert got.describe().startswith(f"listed: {match} in {section} ")


@pytest.mark.parametrize(
    ("product", "event"),
    [
        ("humira", "COMPLETED SUICIDE"),
        ("humira", "DIARRHOEA"),
        ("lipitor", "ALOPECIA"),
        (
            "viagra",
            "DEAFNESS",
        ),  # the label says "hearing loss": a synonym the matcher does not know
    ],
)
def test_unlisted_only_where_the_sections_are_held_whole(pack, product, event):
    assert {"BW", "5", "6"} <= set(pack.coverage_of(product)) and pack.safety_text_of(product)
    got = listedness(pack, product, event)
    assert got.state == "unlisted"
    assert "held whole" in got.why and "may word the event otherwise" in got.why
    assert got.citation.version == pack.label_of(product).version


def test_curated_entry_in_part_is_unknown_not_unlisted(pack):
    assert not pack.safety_text_of("kesimpta") and "6" not in pack.coverage_of("kesimpta")
    got = listedness(pack, "kesimpta", "HEADACHE")
    assert got.state == "unknown"
    assert "only in part" in got.why
    # what the curated facts do say is found: an injection-related reactions warning, by topic
    got = listedness(pack, "kesimpta", "INJECTION SITE REACTION")
    assert (got.state, got.match, got.topic, got.section) == (
        "listed",
        "topic",
        "warning.administration_reactions",
        "5.2",
    )
    assert got.citation.curated


def test_unknown_products_and_ingredients(pack):
    assert listedness(pack, "nosuchproduct", "HEADACHE").state == "unknown"
    by_ingredient = listed_for_label(pack, "ofatumumab", ["HEADACHE"])["HEADACHE"]
    assert by_ingredient.state == "unknown" and "arzerra, kesimpta" in by_ingredient.why
    one = listed_for_label(pack, "adalimumab", ["LYMPHOMA"])["LYMPHOMA"]
    assert (one.product, one.state) == ("humira", "listed")
    assert (
        listed_for_label(pack, "humira", ["LYMPHOMA"], level="product")["LYMPHOMA"].state
        == "listed"
    )


def test_safety_text_is_the_label_whole_and_survives_a_round_trip():
    label = parse_spl(shared_path("spl", "viagra-64f8040f.xml"))
    held = safety_text_from_label(label)
    sections = [s.section for s in held]
    assert sections[0] == "5" and "5.4" in sections and "6.2" in sections and "BW" not in sections
    # every word of section 6's text and tables is kept
    six = label.find(number="6")
    assert sum(len(x.text) for x in six.walk()) <= sum(
        len(s.text) for s in held if s.section.startswith("6")
    )
    doc = build_pack(spl=[shared_path("spl", "viagra-64f8040f.xml")])
    again = pack_from_dict(pack_to_dict(pack_from_dict(doc)))
    assert again.safety_text_of("viagra") == held


def test_listed_columns_for_many_pairs(pack):
    drugs = ["adalimumab", "adalimumab", "ofatumumab", "nosuchdrug", "adalimumab"]
    events = ["LYMPHOMA", "COMPLETED SUICIDE", "HEADACHE", "HEADACHE", "LYMPHOMA"]
    state, where = listed_columns(pack, drugs, events)
    assert state.tolist() == ["listed", "unlisted", "unknown", "unknown", "listed"]
    assert where[0] == where[4] == "term in BW WARNING: SERIOUS INFECTIONS AND MALIGNANCY"
    assert "several products" in where[2] and "no ingredient of the knowledge pack" in where[3]
    state, _ = listed_columns(
        pack, ["kesimpta", "humira"], ["HEADACHE", "LYMPHOMA"], level="product"
    )
    assert state.tolist() == ["unknown", "listed"]
    state, where = listed_columns(None, ["humira"], ["LYMPHOMA"])
    assert state.tolist() == ["unknown"] and "could not be loaded" in where[0]
