"""The general safety-topic vocabulary: titles first, text second, denials and counselling left out;
MedDRA preferred terms to topics; and real sections of the SPL samples and the TAC 2017 labels in
../shared (skipped without them). Expected topics were read by hand from the quoted titles and text.
"""

from __future__ import annotations

from functools import cache

import pytest
from conftest import shared_path
from helpers import label as tac

from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.spl import parse_spl
from rxcompare.sources.labels.vocabulary import (
    TOPICS,
    assign_topics,
    label_topics,
    section_topics,
    term_topics,
    topic_label,
    topic_matches,
    topic_parent,
    with_parents,
)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # the title names the topic; a broader word inside a syndrome's name is not read again
        (
            "Neuroleptic Malignant Syndrome (NMS)",
            "NMS, a potentially fatal symptom complex, has been reported.",
            ("neuroleptic_malignant_syndrome",),
        ),
        (
            "Tumor Lysis Syndrome",
            "Patients with rapidly proliferating tumor may be at risk.",
            ("tumour_lysis",),
        ),
        ("Progressive Multifocal Leukoencephalopathy", "", ("infections.pml",)),
        # hepatitis B reactivation is an infection; its text's "hepatic failure" is not read
        (
            "Hepatitis B Virus Reactivation",
            "Reactivation has led to fulminant hepatitis, hepatic failure and death.",
            ("infections.hepatitis_b",),
        ),
        # a titled subsection takes from its text only kinds of its title's topic
        (
            "Serious Infections",
            "Tuberculosis has occurred. Invasive fungal infections were "
            "reported. Hepatic failure occurred in one patient.",
            ("infections.serious", "infections.tuberculosis", "infections.opportunistic"),
        ),
        ("WARNING: SERIOUS INFECTIONS AND MALIGNANCY", "", ("infections.serious", "malignancy")),
        # a title with no topic: the text's first sentences
        (
            "Use with Anakinra",
            "Concurrent use of anakinra and another TNF-blocker was associated "
            "with a greater proportion of serious infections and neutropenia.",
            ("infections.serious", "cytopenias"),
        ),
        # counselling titles and texts, and denials, are not warnings
        (
            "Counseling Patients About Sexually Transmitted Diseases",
            "The use of VIAGRA offers no protection against sexually transmitted diseases.",
            (),
        ),
        (
            "Sexually Transmitted Diseases",
            "The use of X offers no protection against sexually "
            "transmitted diseases. Counseling patients about the protective measures necessary to "
            "guard against sexually transmitted diseases should be considered.",
            (),
        ),
        (
            "",
            "In the trials there was no increase in lymphoma. Advise patients to report bleeding.",
            (),
        ),
        (
            "",
            "Angioedema occurred. Subgroup analyses suggest no increased risk of stroke.",
            ("hypersensitivity",),
        ),
        # populations, other drugs' classes and TNF are not harms
        (
            "Increased Toxicity in the Presence of Severe Renal Impairment",
            "Renal failure occurred more often.",
            (),
        ),
        (
            "Hypotension when Co-administered with Alpha-blockers or Anti-hypertensives",
            "",
            ("hypotension",),
        ),
        ("Use with Other Tumor Necrosis Factor Blockers", "", ()),
        # contraindications: no title, the text is read whole
        ("", "Pregnancy", ("embryo_fetal_toxicity",)),
        ("", "Hypersensitivity to any component of this medication", ("hypersensitivity",)),
    ],
)
def test_assign_topics(title, text, expected):
    assert assign_topics(title, text) == expected


def test_topic_matches_quote_the_words_and_where_they_stand():
    (title, kind) = topic_matches("Serious Infections", "Tuberculosis has occurred.")
    assert (title.key, title.source, title.quote) == (
        "infections.serious",
        "title",
        "Serious Infections",
    )
    assert (kind.key, kind.source, kind.sentence) == (
        "infections.tuberculosis",
        "text",
        "Tuberculosis has occurred.",
    )


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Pneumonia", ("infections",)),
        ("Upper respiratory tract infection", ("infections",)),
        ("Pneumocystis jirovecii pneumonia", ("infections.opportunistic",)),
        ("Hepatitis B", ("infections.hepatitis_b",)),
        ("Haemorrhage", ("bleeding",)),
        ("Hemorrhage", ("bleeding",)),
        ("Gastrointestinal haemorrhage", ("bleeding",)),
        ("Neoplasm malignant", ("malignancy",)),
        ("Skin cancer", ("malignancy",)),
        ("Neuroleptic malignant syndrome", ("neuroleptic_malignant_syndrome",)),
        ("Tumour lysis syndrome", ("tumour_lysis",)),
        ("Electrocardiogram QT prolonged", ("cardiac_rhythm",)),
        ("Anaphylactic reaction", ("hypersensitivity",)),
        ("Face oedema", ("hypersensitivity",)),
        ("Thrombocytopenia", ("cytopenias",)),
        ("Deep vein thrombosis", ("thromboembolism",)),
        ("Maternal drugs affecting foetus", ("embryo_fetal_toxicity",)),
        ("Toxic epidermal necrolysis", ("skin_reactions",)),
        ("Rhabdomyolysis", ("musculoskeletal",)),
        ("Death", ()),
        ("Nausea", ()),
    ],
)
def test_term_topics(term, expected):
    assert term_topics(term) == expected


def test_vocabulary_is_closed_under_parents():
    for key, topic in TOPICS.items():
        assert topic.key == key and topic_label(key)
        assert topic.parent is None or topic.parent in TOPICS
    assert topic_parent("infections.tuberculosis") == "infections"
    assert with_parents({"infections.pml", "bleeding"}) == {
        "infections.pml",
        "infections",
        "bleeding",
    }


# --- real sections ---------------------------------------------------------------------------


@cache
def spl(name: str):
    return parse_spl(shared_path("spl", name))


def by_number(label, code: str) -> dict[str, tuple[str, ...]]:
    return {s.number: keys for s, keys in section_topics(label.find(code=code))}


def test_spl_samples():
    # HUMIRA: "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"; "5.4 Hepatitis B Virus Reactivation"
    (boxed,) = section_topics(spl("humira.xml").find(code=loinc.BOXED_WARNING))
    assert {"infections.serious", "malignancy", "infections.tuberculosis"} <= set(boxed[1])
    humira = by_number(spl("humira.xml"), loinc.WARNINGS_AND_PRECAUTIONS)
    assert humira["5.4"] == ("infections.hepatitis_b",)
    assert humira["5.2"] == ("malignancy",) and humira["5.8"] == ("heart_failure",)
    assert humira["5.10"] == ("vaccinations",)
    # VIAGRA: "5.9 Counseling Patients About Sexually Transmitted Diseases" warns of nothing
    viagra = by_number(spl("viagra-64f8040f.xml"), loinc.WARNINGS_AND_PRECAUTIONS)
    assert viagra["5.9"] == () and viagra["5.8"] == ("bleeding",)
    assert not any(k.startswith("infections") for keys in viagra.values() for k in keys)
    # LIPITOR: contraindications "4.3 Pregnancy", "4.4 Nursing mothers"; "5.1 Skeletal Muscle"
    lipitor = by_number(spl("lipitor-orig.xml"), loinc.CONTRAINDICATIONS)
    assert lipitor["4.3"] == ("embryo_fetal_toxicity",) and lipitor["4.4"] == ("lactation",)
    assert by_number(spl("lipitor-orig.xml"), loinc.WARNINGS_AND_PRECAUTIONS)["5.1"] == (
        "musculoskeletal",
    )


def test_tac_sections():
    # FANAPT "5.3 Neuroleptic Malignant Syndrome (NMS)": never a malignancy
    fanapt = by_number(tac("FANAPT"), loinc.WARNINGS_AND_PRECAUTIONS)
    assert fanapt["5.3"] == ("neuroleptic_malignant_syndrome",)
    assert fanapt["5.2"] == ("cardiac_rhythm",)  # "QT Prolongation"
    # ADCETRIS "5.5 Tumor Lysis Syndrome", "5.9 Progressive Multifocal Leukoencephalopathy",
    # "5.6 Increased Toxicity in the Presence of Severe Renal Impairment" (a population)
    adcetris = by_number(tac("ADCETRIS"), loinc.WARNINGS_AND_PRECAUTIONS)
    assert adcetris["5.5"] == ("tumour_lysis",)
    assert adcetris["5.9"] == ("infections.pml",)
    assert adcetris["5.6"] == ()
    assert adcetris["5.4"] == ("infections.opportunistic", "infections.serious")
    # STENDRA "5.10 Counseling ... The use of STENDRA offers no protection against sexually
    # transmitted diseases": not an infections warning
    stendra = by_number(tac("Stendra"), loinc.WARNINGS_AND_PRECAUTIONS)
    assert stendra["5.10"] == ()
    # PRISTIQ "5.10 Interstitial Lung Disease and Eosinophilic Pneumonia": not an infection
    assert by_number(tac("Pristiq"), loinc.WARNINGS_AND_PRECAUTIONS)["5.10"] == ("ild_pneumonitis",)
    # SIMPONI "5.5 Use with Abatacept": its first sentence names serious infections
    assert by_number(tac("SIMPONI"), loinc.WARNINGS_AND_PRECAUTIONS)["5.5"] == (
        "infections.serious",
    )


def test_label_topics_say_where():
    # HUMIRA: bleeding is in no warning; hepatitis B in "5.4"; malignancy in the boxed warning and
    # "5.2"; LIPITOR: pregnancy in contraindication "4.3"
    humira = label_topics(spl("humira.xml"))
    assert [(kind, s.number) for kind, s in humira["infections.hepatitis_b"]] == [
        ("warnings_and_precautions", "5.4")
    ]
    assert [kind for kind, _ in humira["malignancy"]] == [
        "boxed_warning",
        "warnings_and_precautions",
    ]
    assert "bleeding" not in humira
    lipitor = label_topics(spl("lipitor-orig.xml"))
    assert [(kind, s.number) for kind, s in lipitor["embryo_fetal_toxicity"]] == [
        ("contraindications", "4.3")
    ]
