"""Adverse-reaction tables read from flattened openFDA text: bare "n (x.x)" cells read when count and
figure agree with the arm's N, grade-column tables, names run into "N=", and tables left unread
because their arms cannot be told apart. Figures were read by hand from the quoted text; the real
labels are the TAC 2017 training labels in ../shared (skipped without them).
"""

from __future__ import annotations

import pytest
from helpers import extracted, flat

from rxcompare.sources.labels.facts import extract_facts
from rxcompare.sources.labels.flat_tables import counts_agree, flat_tables, unread_tables
from rxcompare.sources.labels.openfda_json import parse_openfda_label

# the shape of a two-arm table as openFDA prints it: arm names with N, then "n (%)" cells without
# a percent sign
TWO_ARMS = (
    "6 ADVERSE REACTIONS The following clinically significant adverse reactions are described "
    "elsewhere in the labeling. 6.1 Clinical Trials Experience Because clinical trials are "
    "conducted under widely varying conditions, adverse reaction rates cannot be directly compared. "
    "Table 3: Adverse Reactions in Placebo-Controlled Trials "
    "Preferred Term EXAMPLEMAB 5 mg Twice Daily N=882 Placebo N=799 "
    "Upper respiratory tract infection 68 (7.7) 61 (7.6) Headache 40 (4.5) 20 (2.5) "
    "Diarrhea 35 (4.0) 18 (2.3) Hypertension* 19 (2.2) 9 (1.1) "
    "6.2 Postmarketing Experience The following adverse reactions have been identified."
)


def incidences_of(text: str):
    result = {
        "set_id": "x",
        "version": "1",
        "effective_time": "20240101",
        "openfda": {"brand_name": ["EXAMPLEMAB"]},
        "adverse_reactions": [text],
    }
    return extract_facts(parse_openfda_label(result, "a test reply"), "examplemab")[1]


def test_two_arm_counts_read_as_percentages():
    got = {
        (i.event, i.arm, i.n): (i.count, i.percent, i.is_comparator)
        for i in incidences_of(TWO_ARMS)
    }
    assert got[("Upper respiratory tract infection", "EXAMPLEMAB 5 mg Twice Daily", 882)] == (
        68,
        7.7,
        False,
    )
    assert got[("Upper respiratory tract infection", "Placebo", 799)] == (61, 7.6, True)
    # the footnote mark is kept out of the name
    assert got[("Hypertension", "Placebo", 799)] == (9, 1.1, True)
    assert len(got) == 8


def test_counts_that_do_not_agree_with_n_are_not_read():
    # 68 of 882 is 7.7%, not 9.9: the figures are not the percentages of these arms
    assert incidences_of(TWO_ARMS.replace("68 (7.7)", "68 (9.9)")) == []
    assert flat_tables(TWO_ARMS.replace("68 (7.7)", "68 (9.9)"), ("EXAMPLEMAB",)) == []


@pytest.mark.parametrize(
    ("cell", "n", "expected"),
    [
        ("68 (7.7)", 882, (68, 7.7)),
        ("26 (24)", 109, (26, 24.0)),
        ("0", 50, (0, 0.0)),
        ("68 (7.5)", 882, None),
        ("900 (99)", 882, None),
        ("3 (1)", 0, None),
        ("12%", 50, None),
    ],
)
def test_counts_agree(cell, n, expected):
    assert counts_agree(cell, n) == expected


def test_real_count_tables():
    # KALYDECO: "KALYDECON=109n (%) PlaceboN=104n (%) Headache 26 (24) 17 (16) ..."
    k = {(i.event, i.arm): (i.n, i.count, i.percent) for i in extracted("Kalydeco")[1]}
    assert k[("Headache", "KALYDECO")] == (109, 26, 24.0)
    assert k[("Headache", "Placebo")] == (104, 17, 16.0)
    # JUBLIA: "Adverse Event, n (%) JUBLIAN = 1227 VehicleN = 413 Ingrown toenail 28 (2.3%) 3 (0.7%)"
    j = {(i.event, i.arm): (i.n, i.count, i.percent) for i in extracted("JUBLIA")[1]}
    assert j[("Ingrown toenail", "JUBLIA")] == (1227, 28, 2.3)
    assert j[("Ingrown toenail", "Vehicle")] == (413, 3, 0.7)
    # TUDORZA: "Adverse Reactions TUDORZA PRESSAIR Placebo Preferred Term (N=636) (N=640) n (%)
    # n (%) Headache 42 (6.6) 32 (5.0)": the names between two headings, split at "Placebo"
    t = {(i.event, i.arm): (i.n, i.count, i.percent) for i in extracted("Tudorza")[1]}
    assert t[("Headache", "TUDORZA PRESSAIR")] == (636, 42, 6.6)
    assert t[("Headache", "Placebo")] == (640, 32, 5.0)
    # CERDELGA Trial 2: "... reported in this table. CERDELGA(N=106) Imiglucerase(N=53) Adverse
    # Reaction Patientsn (%) Patientsn (%) Fatigue 15 ( 14) 1 ( 2)"
    c = {(i.event, i.arm, i.n): i.percent for i in extracted("Cerdelga")[1]}
    assert c[("Fatigue", "CERDELGA", 106)] == 14.0 and c[("Fatigue", "Imiglucerase", 53)] == 2.0


def test_real_grade_tables_read_from_the_any_grade_column():
    # INLYTA: "Adverse Reaction INLYTA Sorafenib (N=359) (N=355) All Grades Grade 3/4 All Grades
    # Grade 3/4 % % % % Diarrhea 55 11 53 7 Hypertension 40 16 29 11 ..."
    (table,) = [
        t
        for t in flat_tables(flat("INLYTA", "adverse reactions"), ("INLYTA",))
        if "INLYTA, All Grades (N=359)" in t.header[0]
    ]
    assert table.rows[0] == ("Diarrhea", "55", "11", "53", "7")  # the row kept whole
    got = {(i.event, i.arm): i.percent for i in extracted("INLYTA")[1]}
    assert got[("Diarrhea", "INLYTA, All Grades")] == 55.0
    assert got[("Diarrhea", "Sorafenib, All Grades")] == 53.0
    assert got[("Hypertension", "Sorafenib, All Grades")] == 29.0
    assert not any("3/4" in arm for _, arm in got)


def test_real_tables_whose_arms_cannot_be_told_apart_are_not_read():
    # ADCETRIS: "Classical HL sALCL Total N = 102% of patients Total N = 58% of patients": arms
    # named apart from their sizes
    assert not any("Total" in i.arm for i in extracted("ADCETRIS")[1])
    # NESINA: "NESINA 25 mg+ Glyburide Placebo+ Glyburide N=198 N=99 Overall (%) 19 (9.6) ...":
    # which words name which arm cannot be told
    assert not any(
        i.arm.startswith("Placebo+") or i.arm == "Glyburide" for i in extracted("Nesina")[1]
    )


def test_unread_tables_are_named_by_their_caption():
    # NORTHERA "Table 1. Most Common Adverse Reactions ... Placebo (N=132) n (%) NORTHERA (N=131)
    # n (%) Placebo (N=108) n (%) NORTHERA (N=114) n (%)": two studies' arms with one name each
    northera = unread_tables(flat("Northera", "adverse reactions"), ("Northera",))
    assert [c.split(".")[0] for c in northera] == ["Table 1"]
    assert northera[0].startswith(
        "Table 1. Most Common Adverse Reactions Occurring More Frequently"
    )
    nesina = unread_tables(flat("Nesina", "adverse reactions"), ("Nesina",))
    assert [c.split(".")[0] for c in nesina] == ["Table 1", "Table 2"]
    # a table read is not listed; sizes in a sentence are not a table
    assert unread_tables(flat("Kalydeco", "adverse reactions"), ("Kalydeco",)) == []
    assert unread_tables(TWO_ARMS, ("EXAMPLEMAB",)) == []
    assert unread_tables(TWO_ARMS.replace("68 (7.7)", "68 (9.9)"), ("EXAMPLEMAB",)) == [
        "Table 3: Adverse Reactions in Placebo-Controlled Trials Preferred Term"
    ]
    assert unread_tables("Patients received placebo (N=1393) or X 5 mg (N=1145) daily.") == []
