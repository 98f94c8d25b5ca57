"""The openFDA text path on real flattened labels: the TAC 2017 training labels in ../shared.

Each product's sections are put into one openFDA drug/label result with white space collapsed, as
openFDA's fields hold them, and read by the openFDA parser and the fact extractor. The expected
numbers, titles and figures below were read by hand from the corpus text (quoted in comments).
"""

from __future__ import annotations

import re

import pytest
from helpers import corpus, extracted, flat, label

from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.flat_tables import flat_tables


def subsections(name: str) -> list[tuple[str, str]]:
    wp = label(name).find(code=loinc.WARNINGS_AND_PRECAUTIONS)
    return [(s.number, s.title) for s in wp.subsections]


def test_numbers_and_titles_as_printed():
    # "5.1 Peripheral Neuropathy ADCETRIS treatment causes ..." ... "5.12 Embryo-Fetal Toxicity"
    assert subsections("ADCETRIS") == [
        ("5.1", "Peripheral Neuropathy"),
        ("5.2", "Anaphylaxis and Infusion Reactions"),
        ("5.3", "Hematologic Toxicities"),
        ("5.4", "Serious Infections and Opportunistic Infections"),
        ("5.5", "Tumor Lysis Syndrome"),
        ("5.6", "Increased Toxicity in the Presence of Severe Renal Impairment"),
        ("5.7", "Increased Toxicity in the Presence of Moderate or Severe Hepatic Impairment"),
        ("5.8", "Hepatotoxicity"),
        ("5.9", "Progressive Multifocal Leukoencephalopathy"),
        ("5.10", "Pulmonary Toxicity"),
        ("5.11", "Serious Dermatologic Reactions"),
        ("5.12", "Embryo-Fetal Toxicity"),
    ]
    # "5.1 Bradyarrhythmia and Atrioventricular Blocks Because of a risk ..."; "5.2 Infections
    # Risk of Infections GILENYA causes ...": the unnumbered sub-heading is not part of the title
    assert subsections("Gilenya")[:3] == [
        ("5.1", "Bradyarrhythmia and Atrioventricular Blocks"),
        ("5.2", "Infections"),
        ("5.3", "Progressive Multifocal Leukoencephalopathy"),
    ]


def test_number_found_without_the_section_heading():
    # BLINCYTO's text starts with the Highlights bullets and never prints "5 WARNINGS AND
    # PRECAUTIONS"; "( 5.9 ) 5.1 Cytokine Release Syndrome Cytokine Release Syndrome (CRS), which"
    # restates its heading
    got = subsections("BLINCYTO")
    assert [n for n, _ in got] == [f"5.{k}" for k in range(1, 10)]
    assert got[0] == ("5.1", "Cytokine Release Syndrome")
    assert got[8] == ("5.9", "Preparation and Administration Errors")
    assert label("BLINCYTO").find(code=loinc.WARNINGS_AND_PRECAUTIONS).number is None


def test_heading_after_table_cells_and_a_spaced_number():
    # FANAPT: "... >=7% increase from Baseline 4% 12% 18% 5.6 Seizures In short-term ..."
    assert ("5.6", "Seizures") in subsections("FANAPT")
    assert [n for n, _ in subsections("FANAPT")] == [f"5.{k}" for k in range(1, 15)]
    # Ulesfia prints "5. 1 Neonatal Toxicity" and "5. 3 Contact Dermatitis"
    assert subsections("Ulesfia") == [
        ("5.1", "Neonatal Toxicity"),
        ("5.2", "Eye Irritation"),
        ("5.3", "Contact Dermatitis"),
        ("5.4", "Use in Children"),
    ]


def test_titles_never_cut_words_out_of_the_text():
    # a title that is wrong or left empty keeps every word: title + text = what was printed
    for name in ("ADCETRIS", "COARTEM", "ELIQUIS", "Xeomin"):
        text = flat(name, "warnings and precautions")
        wp = label(name).find(code=loinc.WARNINGS_AND_PRECAUTIONS)
        for s in wp.subsections:
            assert " ".join(f"{s.number} {s.title} {s.text}".split()) in text


@pytest.mark.parametrize(
    "name, number, topic, subject",
    [
        ("ADCETRIS", "5.9", "warning.pml", None),  # Progressive Multifocal Leukoencephalopathy
        ("ADCETRIS", "5.8", "warning.liver_injury", None),  # Hepatotoxicity
        ("ADCETRIS", "5.4", "warning.serious_infections", None),
        ("ADCETRIS", "5.2", "warning.administration_reactions", None),  # ... Infusion Reactions
        ("ADCETRIS", "5.12", "warning.fetal_risk", None),  # Embryo-Fetal Toxicity
        ("ADCETRIS", "5.3", "warning.other", "bone_marrow"),  # Hematologic Toxicities
        ("Gilenya", "5.1", "warning.other", "cardiac"),  # Bradyarrhythmia and AV Blocks
        ("Gilenya", "5.4", "warning.other", "eye"),  # Macular Edema
        ("ELIQUIS", "5.2", "warning.other", "bleeding"),  # Bleeding
        ("Jardiance", "5.3", "warning.other", "hypoglycaemia"),  # Hypoglycemia with ... Insulin
        ("Tecfidera", "5.1", "warning.other", "hypersensitivity"),  # Anaphylaxis and Angioedema
    ],
)
def test_warning_topics(name, number, topic, subject):
    facts, _ = extracted(name)
    found = [f for f in facts if f.citation.section == number and f.topic.startswith("warning.")]
    assert [(f.topic, f.qualifier("subject")) for f in found] == [(topic, subject)]


@pytest.mark.parametrize(
    "name, heading",
    [
        ("ADCETRIS", "WARNING: PROGRESSIVE MULTIFOCAL LEUKOENCEPHALOPATHY (PML)"),
        ("Cimzia", "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"),
        ("SIMPONI", "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"),
        ("Jevtana", "WARNING: NEUTROPENIA AND HYPERSENSITIVITY"),
        (
            "ELIQUIS",
            "WARNING: (A) PREMATURE DISCONTINUATION OF ELIQUIS INCREASES THE RISK OF "
            "THROMBOTIC EVENTS(B) SPINAL/EPIDURAL HEMATOMA",
        ),
    ],
)
def test_boxed_warnings_recognised_without_their_copies(name, heading):
    # each box prints "BOXED WARNING: <heading> <heading> ..." and a Highlights copy after
    # "EXCERPT:" ("EXCERPT: <heading> See full prescribing information for complete boxed warning")
    assert flat(name, "boxed warnings").count(heading) == 3
    facts, _ = extracted(name)
    assert [f for f in facts if f.topic == "boxed_warning"]
    box = label(name).find(code=loinc.BOXED_WARNING)
    assert box.text.startswith(heading)
    assert box.text.count(heading) == 1
    assert "EXCERPT" not in box.text
    assert "See full prescribing information" not in box.text


@pytest.mark.parametrize(
    "name, heading",
    [
        # "WARNING: CYTOKINE RELEASE SYNDROME and NEUROLOGICAL TOXICITIES * Cytokine Release ..."
        ("BLINCYTO", "WARNING: CYTOKINE RELEASE SYNDROME and NEUROLOGICAL TOXICITIES"),
        # "... POST TREATMENT ACUTE EXACERBATION OF HEPATITIS B Lactic acidosis and severe ..."
        (
            "Stribild",
            "WARNING: LACTIC ACIDOSIS/SEVERE HEPATOMEGALY WITH STEATOSIS and POST TREATMENT "
            "ACUTE EXACERBATION OF HEPATITIS B",
        ),
    ],
)
def test_boxed_fact_headings_whole(name, heading):
    facts, _ = extracted(name)
    assert [f.qualifier("heading") for f in facts if f.topic == "boxed_warning"][0] == heading


def test_simponi_boxed_text_kept_after_its_excerpt():
    # SIMPONI's excerpt comes first: "EXCERPT: WARNING: ... See full prescribing information for
    # complete boxed warning. * Serious infections ... (5.2). SERIOUS INFECTIONS Patients treated"
    box = label("SIMPONI").find(code=loinc.BOXED_WARNING)
    assert "SERIOUS INFECTIONS Patients treated with SIMPONI ARIA are at increased risk" in box.text


# AMPYRA "Table 1: ... Adverse Reaction Placebo(N=238) AMPYRA10 mg twice daily(N=400) Urinary
# tract infection 8% 12% Insomnia 4% 9% ... Pharyngolaryngeal pain 1% 2% 6.2 Other Adverse Reactions"
AMPYRA_TABLE_1 = [
    ("Urinary tract infection", 8, 12),
    ("Insomnia", 4, 9),
    ("Dizziness", 4, 7),
    ("Headache", 4, 7),
    ("Nausea", 3, 7),
    ("Asthenia", 4, 7),
    ("Back pain", 2, 5),
    ("Balance disorder", 1, 5),
    ("Multiple sclerosis relapse", 3, 4),
    ("Paresthesia", 3, 4),
    ("Nasopharyngitis", 2, 4),
    ("Constipation", 2, 3),
    ("Dyspepsia", 1, 2),
    ("Pharyngolaryngeal pain", 1, 2),
]


def test_incidences_equal_the_printed_table():
    _, incidences = extracted("AMPYRA")
    got = {(i.event, i.arm, i.n): (i.percent, i.is_comparator) for i in incidences}
    want = {}
    for event, placebo, ampyra in AMPYRA_TABLE_1:
        want[(event, "Placebo", 238)] = (placebo, True)
        want[(event, "AMPYRA10 mg twice daily", 400)] = (ampyra, False)
    assert got == want
    assert {i.citation.section for i in incidences} == {"6.1"}


def test_counts_and_percentages_of_a_table():
    # OTEZLA "Table 3: ... Preferred Term Placebo (N=506) n (%) OTEZLA 30 mg BID (N=920) n (%)
    # Diarrhea 32 (6) 160 (17) Nausea 35 (7) 155 (17) ..."
    _, incidences = extracted("OTEZLA")
    diarrhea = {(i.arm, i.n, i.count, i.percent) for i in incidences if i.event == "Diarrhea"}
    assert diarrhea == {("Placebo", 506, 32, 6.0), ("OTEZLA 30 mg BID", 920, 160, 17.0)}
    assert "Table 3" in flat("OTEZLA", "adverse reactions")


def test_arms_before_the_first_column_heading():
    # Tecfidera "Table 1: ... than placebo TECFIDERA N=769 % Placebo N=771 % Flushing 40 6
    # Abdominal pain 18 10 ...": bare figures under a "%" header
    _, incidences = extracted("Tecfidera")
    flushing = {
        (i.arm, i.n, i.percent, i.is_comparator) for i in incidences if i.event == "Flushing"
    }
    assert flushing == {("TECFIDERA", 769, 40.0, False), ("Placebo", 771, 6.0, True)}
    # Duavee "... in Placebo-controlled Trials DUAVEE (N=1224)n (%) Placebo (N=1069)n (%)
    # Gastrointestinal disorders Nausea 100 (8) 58 (5)": the organ-class heading is cut off
    _, incidences = extracted("Duavee")
    nausea = {(i.arm, i.n, i.count, i.percent) for i in incidences if i.event == "Nausea"}
    assert nausea == {("DUAVEE", 1224, 100, 8.0), ("Placebo", 1069, 58, 5.0)}


def test_ambiguous_tables_left_out():
    # ADCETRIS: "Total N = 102% of patients ... AnyGrade Grade3 Grade4 ...": three figures per arm
    assert extracted("ADCETRIS")[1] == []
    # EYLEA Table 2: "CRVO BRVO EYLEA(N=218) Control(N=142) EYLEA(N=91) Control(N=92)": two arms
    # named alike in two column groups
    _, incidences = extracted("EYLEA")
    assert {i.n for i in incidences} == {1824, 595}
    # a "<1" cell is not a figure: SAPHRIS "Oral hypoesthesia <1 4"
    # ONFI: "Placebo (N=59) ONFI Dose Level All ONFI (N=179) Low (N=58) ...": a column group's
    # heading runs into an arm's name
    assert extracted("Onfi")[1] == []
    _, saphris = extracted("SAPHRIS")
    hypo = {(i.arm, i.percent) for i in saphris if i.event == "Oral hypoesthesia" and i.n == 203}
    assert hypo == set()


def test_flat_table_shapes_refused():
    text = flat("AMPYRA", "adverse reactions")
    (table,) = flat_tables(text)
    assert table.header == (
        ("Adverse Reaction", "Placebo (N=238)", "AMPYRA10 mg twice daily (N=400)"),
    )
    assert len(table.rows) == len(AMPYRA_TABLE_1)
    # the same table with one value dropped from a row ends the table at that row
    broken = text.replace("Insomnia 4% 9%", "Insomnia 9%")
    (table,) = flat_tables(broken)
    assert [r[0] for r in table.rows] == ["Urinary tract infection"]


def test_every_table_row_read_stands_in_the_text():
    # over the whole corpus: each row read from a flattened table is the term followed by its k
    # figures as printed, and each incidence's percentage is the figure of its cell
    checked = 0
    for name in corpus():
        lab = label(name)
        text = flat(name, "adverse reactions") if "adverse reactions" in corpus()[name] else ""
        for top in lab.sections:
            for s in top.walk():
                for table in s.tables:
                    for row in table.rows:
                        figures = r"\s+".join(re.escape(v) for v in row[1:])
                        assert re.search(
                            re.escape(row[0]) + r"\W{0,3}(?:[a-h?]\s+)?" + figures, text
                        ), (name, row)
                        checked += 1
        for i in extracted(name)[1]:
            # the cells of that event under that arm (two tables may share an arm and its N)
            cells = [
                r[1 + [a.split(" (N=")[0] for a in t.header[0][1:]].index(i.arm)]
                for top in lab.sections
                for s in top.walk()
                for t in s.tables
                for r in t.rows
                if r[0] == i.event and f"{i.arm} (N={i.n})" in t.header[0]
            ]
            figures = {float(re.findall(r"\d+(?:\.\d+)?", c)[-1]) for c in cells}
            assert i.percent in figures, (name, i.event, cells)
    assert checked > 300
