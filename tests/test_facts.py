"""Fact and incidence extraction, checked against the text of the real labels in
../shared/data/real/spl. Values asserted here were read in those XML files.

Wording that no real sample carries (vaccination timing, contraception, weekly loading doses,
"every 6 months", "binds to CD20") is tested on small SPL documents built in this file for a
fictitious product, "Examplemab"; one sentence is quoted from a public copy of a real label, with
its address.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from conftest import shared_path

from rxcompare.models import Label, LabelTable, Section
from rxcompare.render.label import by_section
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.dosing import interval_days
from rxcompare.sources.labels.fact_context import product_from_label
from rxcompare.sources.labels.facts import extract_facts, in_section
from rxcompare.sources.labels.incidences import table_incidences
from rxcompare.sources.labels.spl import parse_spl
from rxcompare.sources.labels.text import normalise_space
from rxcompare.sources.labels.topics import TOPICS
from rxcompare.sources.labels.warning_topics import warning_topic


@cache
def spl(name: str) -> Label:
    return parse_spl(shared_path("spl", name))


@cache
def extracted(name: str):
    label = spl(name)
    return extract_facts(label, product_from_label(label).id)


def facts(name: str, topic: str | None = None, section: str | None = None):
    return [
        f
        for f in extracted(name)[0]
        if (topic is None or f.topic == topic)
        and (section is None or f.citation.section == section)
    ]


SAMPLES = ["humira.xml", "lipitor-orig.xml", "lipitor-repack.xml", "viagra-64f8040f.xml",
           "no-title.xml", "cough.xml"]  # fmt: skip


# --- product ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, pid, ingredient, routes, forms",
    [
        ("humira.xml", "humira", "adalimumab", ("subcutaneous",), ("kit", "injection, solution")),
        ("lipitor-orig.xml", "lipitor", "atorvastatin", ("oral",), ("tablet, film coated",)),
        ("viagra-64f8040f.xml", "viagra", "sildenafil", ("oral",), ("tablet, film coated",)),
        ("no-title.xml", "haloperidol", "haloperidol", ("oral",), ("tablet",)),
        ("cough.xml", "triaminic-childrens-night-time-cold-and-cough",
         "diphenhydramine hydrochloride and phenylephrine hydrochloride", ("oral",), ("syrup",)),
    ],
)  # fmt: skip
def test_product_from_label(name, pid, ingredient, routes, forms):
    product = product_from_label(spl(name))
    assert (product.id, product.ingredient, product.routes, product.dosage_forms) == (
        pid, ingredient, routes, forms,
    )  # fmt: skip
    assert product.synonyms == (product.brand, ingredient)
    assert product.set_id == spl(name).set_id


def test_product_indications_from_subsection_titles():
    product = product_from_label(spl("humira.xml"))
    assert product.indications[:2] == ("rheumatoid arthritis", "juvenile idiopathic arthritis")
    assert product.strengths == ("40 mg/0.8 mL", "20 mg/0.4 mL")
    assert "limitations of use" not in product_from_label(spl("lipitor-orig.xml")).indications


# --- every fact rests on the label's own words ---------------------------------------------------


def _section_text(label: Label, number: str | None, title: str | None) -> str:
    found = [
        s for s in label.walk()
        if s.number == number and (number is not None or s.title == title or not s.title)
    ]  # fmt: skip
    return normalise_space(" ".join(x.text for s in found for x in s.walk()))


@pytest.mark.parametrize("name", SAMPLES)
def test_fact_texts_are_label_text_of_the_cited_section(name):
    label = spl(name)
    product_data = {r for p in label.products for r in p.routes}
    for fact in extracted(name)[0]:
        assert fact.topic in TOPICS
        assert fact.citation.kind == "label" and not fact.citation.curated
        assert (fact.citation.set_id, fact.citation.version) == (label.set_id, label.version)
        if fact.topic == "admin.route":
            assert fact.text in product_data
            continue
        lead = fact.text.split(": ")[0] if fact.topic == "indication" else fact.text
        where = _section_text(label, fact.citation.section, fact.citation.section_title)
        assert lead in where or lead == fact.qualifier("condition"), (fact.topic, fact.text)
        assert len(fact.text) < 700  # a sentence or clause, not a section


def test_citation_of_a_fact():
    fact = facts("humira.xml", "warning.serious_infections")[0]
    c = fact.citation
    assert (c.title, c.set_id, c.version, c.effective_date) == (
        "Humira prescribing information", "608d4f0d-b19f-46d3-749a-7159aa5f933d", "1560", "2013-09-30",
    )  # fmt: skip
    assert (c.section, c.section_title) == ("5.1", "Serious Infections")
    assert facts("cough.xml", "indication")[0].citation.title.endswith(" label")  # OTC


# --- topics ----------------------------------------------------------------------------------


def test_boxed_warning_one_fact_per_heading():
    boxed = facts("humira.xml", "boxed_warning")
    assert [f.qualifier("heading") for f in boxed] == ["SERIOUS INFECTIONS", "MALIGNANCY"]
    assert boxed[0].text.startswith(
        "Patients treated with HUMIRA are at increased risk for developing serious infections"
    )
    assert boxed[1].text.startswith(
        "Lymphoma and other malignancies, some fatal, have been reported"
    )
    assert boxed[0].citation.section_title == "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"


def test_boxed_warning_old_format_and_nested_boxes():
    boxed = facts("no-title.xml", "boxed_warning")
    assert (
        len(boxed) == 1
    )  # the dosage charts coded as boxes inside section DOSAGE are not warnings
    assert boxed[0].qualifier("heading") == (
        "Increased Mortality in Elderly Patients with Dementia-Related Psychosis"
    )
    assert boxed[0].text == (
        "Elderly patients with dementia-related psychosis treated with antipsychotic drugs are at "
        "an increased risk of death."
    )
    assert facts("cough.xml", "boxed_warning") == []  # a package notice coded as a box


def test_indications():
    humira = facts("humira.xml", "indication")
    assert [f.citation.section for f in humira] == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "1.5",
        "1.6",
        "1.7",
    ]
    assert humira[0].qualifier("population") == "Rheumatoid Arthritis"
    viagra = facts("viagra-64f8040f.xml", "indication")
    assert [f.text for f in viagra] == [
        "VIAGRA is indicated for the treatment of erectile dysfunction."
    ]
    lipitor = facts("lipitor-orig.xml", "indication", "1.1")[0]
    assert lipitor.text.endswith("LIPITOR is indicated to: Reduce the risk of myocardial infarction; "
                                 "Reduce the risk of stroke; Reduce the risk for revascularization "
                                 "procedures and angina")  # fmt: skip
    assert all(f.citation.section != "1.3" for f in facts("lipitor-orig.xml", "indication"))


def test_contraindications():
    none = facts("humira.xml", "contraindication")
    assert [(f.text, f.qualifier("none")) for f in none] == [("None.", "true")]
    lipitor = facts("lipitor-orig.xml", "contraindication")
    assert [f.citation.section for f in lipitor] == ["4.1", "4.2", "4.3", "4.4"]
    assert lipitor[2].text == "Women who are pregnant or may become pregnant."
    assert lipitor[0].qualifier("condition").startswith("Active liver disease")
    viagra = facts("viagra-64f8040f.xml", "contraindication", "4.2")[0]
    assert viagra.text.startswith(
        "VIAGRA is contraindicated in patients with a known hypersensitivity"
    )


@pytest.mark.parametrize(
    "name, section, topic",
    [
        ("humira.xml", "5.1", "warning.serious_infections"),
        ("humira.xml", "5.2", "warning.malignancy"),
        ("humira.xml", "5.3", "warning.other"),
        ("humira.xml", "5.4", "warning.hbv"),
        ("lipitor-orig.xml", "5.2", "warning.liver_injury"),
        ("viagra-64f8040f.xml", "5.2", "warning.other"),
    ],
)
def test_warning_subsections_map_to_topics(name, section, topic):
    found = [
        f
        for f in extracted(name)[0]
        if f.citation.section == section and f.topic.startswith("warning.")
    ]
    assert [f.topic for f in found] == [topic]


def test_warning_first_sentence_skips_headings():
    fact = facts("viagra-64f8040f.xml", section="5.5")[0]  # 5.5 has only untitled sub-boxes
    assert (
        fact.text
        == "Caution is advised when PDE5 inhibitors are co-administered with alpha-blockers."
    )


def test_neuroleptic_malignant_syndrome_is_not_a_malignancy():
    nms = [f for f in facts("no-title.xml") if "Neuroleptic Malignant Syndrome" in f.text]
    assert [f.topic for f in nms] == ["warning.other"]


@pytest.mark.parametrize(
    "title, topic",
    [
        ("Progressive Multifocal Leukoencephalopathy (PML)", "warning.pml"),
        ("Herpes", "warning.herpes"),
        ("Injection-Related Reactions", "warning.administration_reactions"),
        ("Infusion Reactions", "warning.administration_reactions"),
        ("Injection Site Necrosis", "warning.other"),
        ("Infections", "warning.infections"),
        ("Reduction in Immunoglobulins", "warning.immunoglobulins"),
        ("Immune-Mediated Colitis", "warning.colitis"),
        ("Embryo-Fetal Toxicity", "warning.fetal_risk"),
        ("Hepatosplenic T-Cell Lymphoma", "warning.malignancy"),
        ("Hepatic Impairment", "warning.other"),
    ],
)
def test_warning_topic(title, topic):
    assert warning_topic(title) == topic


def test_routes_come_from_product_data():
    routes = facts("humira.xml", "admin.route")
    assert [(f.text, f.qualifier("route")) for f in routes] == [("SUBCUTANEOUS", "subcutaneous")]


# --- dosing ----------------------------------------------------------------------------------

# section, topic, value (mg), qualifiers the fact must carry
HUMIRA_DOSES = [
    (
        "2.1",
        "admin.dose.maintenance",
        40.0,
        {"interval_days": "14", "schedule": "every other week"},
    ),
    ("2.3", "admin.dose.initial", 160.0, {"schedule_days": "1"}),
    ("2.3", "admin.dose.initial", 80.0, {"schedule_days": "15"}),
    ("2.3", "admin.dose.maintenance", 40.0, {"interval_days": "14", "starts_day": "29"}),
    ("2.4", "admin.dose.initial", 160.0, {"schedule_days": "1"}),
    ("2.4", "admin.dose.initial", 80.0, {"schedule_days": "15"}),
    ("2.4", "admin.dose.maintenance", 40.0, {"interval_days": "14", "starts_day": "29"}),
    ("2.5", "admin.dose.initial", 80.0, {"schedule_days": "1"}),
    ("2.5", "admin.dose.maintenance", 40.0, {"interval_days": "14", "starts_day": "8"}),
]


def _dose_key(f):
    return f.citation.section, f.topic, f.value


@pytest.mark.parametrize("section, topic, value, qualifiers", HUMIRA_DOSES)
def test_humira_doses(section, topic, value, qualifiers):
    found = [f for f in facts("humira.xml", topic, section) if f.value == value]
    assert len(found) == 1
    fact = found[0]
    assert fact.unit == "mg"
    assert qualifiers.items() <= dict(fact.qualifiers).items()
    assert f"{value:g} mg" in fact.text


def test_humira_doses_are_all_and_only_these():
    doses = sorted(
        _dose_key(f) for f in extracted("humira.xml")[0] if f.topic.startswith("admin.dose")
    )
    assert doses == sorted((s, t, v) for s, t, v, _ in HUMIRA_DOSES)
    # "some patients ... may derive additional benefit from increasing ... to 40 mg every week"
    assert not [f for f in extracted("humira.xml")[0] if f.qualifier("interval_days") == "7"]


def test_starting_dose_and_conditional_doses():
    lipitor = [f for f in extracted("lipitor-orig.xml")[0] if f.topic.startswith("admin.dose")]
    # "10 or 20 mg", "10 to 80 mg", "may be started at 40 mg" and "maximum ... 20 mg/day" are not read
    assert [
        (f.citation.section, f.topic, f.value, f.qualifier("interval_days")) for f in lipitor
    ] == [("2.2", "admin.dose.initial", 10.0, "1")]
    # "50 mg taken, as needed" has no interval: nothing
    assert [
        f for f in extracted("viagra-64f8040f.xml")[0] if f.topic.startswith("admin.dose")
    ] == []


@pytest.mark.parametrize(
    "phrase, days",
    [
        ("every other week", 14),
        ("every 4 weeks", 28),
        ("every 6 months", 182),
        ("once monthly", 30),
        ("once daily", 1),
        ("daily", 1),
        ("once a day", 1),
        ("every two weeks", 14),
        ("weekly", 7),
    ],
)
def test_interval_days(phrase, days):
    assert interval_days(phrase) == days


# --- synthetic labels for wording the samples lack -------------------------------------------

_PRODUCT = """<component><section><code code="48780-1"/><subject><manufacturedProduct>
<manufacturedProduct><code code="99999-001" codeSystem="2.16.840.1.113883.6.69"/><name>Examplemab</name>
<formCode code="C42945" displayName="INJECTION, SOLUTION"/><ingredient classCode="ACTIB">
<quantity><numerator value="20" unit="mg"/><denominator value="0.4" unit="mL"/></quantity>
<ingredientSubstance><name>EXAMPLEMAB</name></ingredientSubstance></ingredient></manufacturedProduct>
<consumedIn><substanceAdministration><routeCode displayName="SUBCUTANEOUS"/></substanceAdministration>
</consumedIn></manufacturedProduct></subject></section></component>"""


def synthetic(*sections: tuple[str, str, str]) -> Label:
    """An SPL document for "Examplemab" with sections (LOINC code, title, paragraph text)."""
    body = "".join(
        f'<component><section><code code="{code}"/><title>{title}</title><text>'
        + "".join(f"<paragraph>{p}</paragraph>" for p in text.split("\n"))
        + "</text></section></component>"
        for code, title, text in sections
    )
    xml = (
        '<document xmlns="urn:hl7-org:v3"><code code="34391-3"/><title>Examplemab</title>'
        '<effectiveTime value="20240101"/><setId root="00000000-0000-0000-0000-000000000001"/>'
        f'<versionNumber value="3"/><component><structuredBody>{_PRODUCT}{body}'
        "</structuredBody></component></document>"
    )
    return parse_spl(xml.encode(), origin="synthetic Examplemab label")


def synthetic_facts(*sections):
    label = synthetic(*sections)
    return extract_facts(label, product_from_label(label).id)[0]


def test_weekly_loading_then_monthly():
    found = synthetic_facts((
        loinc.DOSAGE_AND_ADMINISTRATION, "2 DOSAGE AND ADMINISTRATION",
        "The recommended dosage of EXAMPLEMAB is 20 mg administered by subcutaneous injection at "
        "Weeks 0, 1, and 2, followed by subsequent dosing of 20 mg once monthly starting at Week 4.",
    ))  # fmt: skip
    doses = {f.topic: dict(f.qualifiers) for f in found if f.topic.startswith("admin.dose")}
    assert doses["admin.dose.initial"]["schedule_days"] == "1,8,15"
    assert doses["admin.dose.maintenance"]["interval_days"] == "30"
    assert doses["admin.dose.maintenance"]["starts_day"] == "29"


def test_split_first_dose_then_every_6_months():
    found = synthetic_facts((
        loinc.DOSAGE_AND_ADMINISTRATION, "2.3 Recommended Dosage",
        "Initial dose: 300 mg intravenous infusion, followed two weeks later by a second 300 mg "
        "intravenous infusion.\nSubsequent doses: 600 mg intravenous infusion every 6 months.",
    ))  # fmt: skip
    doses = sorted((f.topic, f.value, f.qualifier("schedule_days") or f.qualifier("interval_days"))
                   for f in found if f.topic.startswith("admin.dose"))  # fmt: skip
    assert doses == [
        ("admin.dose.initial", 300.0, "1"),
        ("admin.dose.initial", 300.0, "15"),
        ("admin.dose.maintenance", 600.0, "182"),
    ]


def test_run_together_list_items_do_not_pair_a_dose_with_the_next_day():
    # flattened Highlights: "...(Day 15): 80 mg Two weeks later (Day 29): Begin ..."
    found = synthetic_facts((
        loinc.DOSAGE_AND_ADMINISTRATION, "2 DOSAGE AND ADMINISTRATION",
        "Second dose two weeks later (Day 15): 80 mg Two weeks later (Day 29): Begin a maintenance "
        "dose of 40 mg every other week.",
    ))  # fmt: skip
    assert [(f.topic, f.value) for f in found if f.topic.startswith("admin.dose")] == [
        ("admin.dose.maintenance", 40.0)
    ]


# Quoted from a public copy of the OCREVUS prescribing information, section 2.1
# (https://prescriberpoint.com/therapies/ocrevus-9da4236, read through the stored-pages search).
OCREVUS_2_1 = (
    "Because vaccination with live-attenuated or live vaccines is not recommended during treatment "
    "and after discontinuation until B-cell repletion, administer all immunizations according to "
    "immunization guidelines at least 4 weeks prior to initiation of OCREVUS for live or "
    "live-attenuated vaccines and, whenever possible, at least 2 weeks prior to initiation of "
    "OCREVUS for non-live vaccines [see Warnings and Precautions (5.2)and Clinical Pharmacology "
    "(12.2)] ."
)


def test_vaccination_timing_live_and_non_live():
    found = synthetic_facts((loinc.DOSAGE_AND_ADMINISTRATION, "2.1 Assessments", OCREVUS_2_1))
    timing = {
        f.topic: (f.value, f.unit, f.citation.section)
        for f in found
        if f.topic.startswith("vaccination")
    }
    assert timing == {
        "vaccination.live": (4.0, "weeks", "2.1"),
        "vaccination.non_live": (2.0, "weeks", "2.1"),
    }


def test_vaccination_sentence_without_a_kind_gives_nothing():
    found = synthetic_facts((
        loinc.WARNINGS_AND_PRECAUTIONS, "5.3 Vaccinations",
        "Complete any required vaccinations at least 6 weeks prior to initiation of EXAMPLEMAB.",
    ))  # fmt: skip
    assert [f for f in found if f.topic.startswith("vaccination")] == []


def test_contraception_after_last_dose():
    found = synthetic_facts((
        loinc.SPECIFIC_POPULATIONS, "8 USE IN SPECIFIC POPULATIONS",
        "Females of reproductive potential should use effective contraception while receiving "
        "EXAMPLEMAB and for 6 months after the last infusion of EXAMPLEMAB.",
    ))  # fmt: skip
    contraception = [f for f in found if f.topic == "pregnancy.contraception"]
    assert [(f.value, f.unit) for f in contraception] == [(6.0, "months")]


def test_mechanism_target_and_antibody_type():
    found = synthetic_facts(
        (loinc.DESCRIPTION, "11 DESCRIPTION",
         "Examplemab is a recombinant humanized IgG1 monoclonal antibody."),
        (loinc.MECHANISM_OF_ACTION, "12.1 Mechanism of Action",
         "The precise mechanism is unknown. Examplemab binds to CD20, a cell surface antigen. "
         "It does not bind to Fc receptors."),
    )  # fmt: skip
    by_topic = {f.topic: f for f in found}
    assert by_topic["mechanism.target"].qualifier("target") == "CD20"
    assert by_topic["mechanism.action"].text == "Examplemab binds to CD20, a cell surface antigen."
    assert dict(by_topic["mechanism.antibody_type"].qualifiers) == {
        "antibody_type": "humanized", "isotype": "IgG1",
    }  # fmt: skip
    assert [f.qualifier("target") for f in found if f.topic == "mechanism.target"] == ["CD20"]


def test_mechanism_from_real_labels():
    assert facts("humira.xml", "mechanism.target")[0].qualifier("target") == "TNF-alpha"
    antibody = facts("humira.xml", "mechanism.antibody_type")[0]
    assert (antibody.qualifier("antibody_type"), antibody.qualifier("isotype")) == ("human", "IgG1")
    assert facts("viagra-64f8040f.xml", "mechanism.target") == []  # "inhibiting PDE5" is no binding
    assert facts("lipitor-orig.xml", "mechanism.action")[0].text.startswith(
        "LIPITOR is a selective, competitive inhibitor of HMG-CoA reductase"
    )


# --- incidences ------------------------------------------------------------------------------


def incidences(name: str):
    return extracted(name)[1]


@pytest.mark.parametrize(
    "name, event, arm, n, percent, comparator",
    [
        ("humira.xml", "Upper respiratory infection", "HUMIRA 40 mg subcutaneous Every Other Week", 705, 17.0, False),
        ("humira.xml", "Upper respiratory infection", "Placebo", 690, 13.0, True),
        ("humira.xml", "Injection site reaction", "Placebo", 690, 1.0, True),
        ("viagra-64f8040f.xml", "Headache", "25 mg", 312, 16.0, False),
        ("viagra-64f8040f.xml", "Headache", "Placebo", 607, 7.0, True),
        ("viagra-64f8040f.xml", "Headache", "VIAGRA", 734, 16.0, False),
        ("viagra-64f8040f.xml", "Abnormal vision", "100 mg", 506, 11.0, False),
        ("lipitor-orig.xml", "Nasopharyngitis", "Any dose", 8755, 8.3, False),
        ("lipitor-orig.xml", "Nasopharyngitis", "Placebo", 7311, 8.2, True),
    ],
)  # fmt: skip
def test_incidence_rows(name, event, arm, n, percent, comparator):
    found = [i for i in incidences(name) if (i.event, i.arm) == (event, arm)]
    assert [(i.n, i.percent, i.is_comparator) for i in found] == [(n, percent, comparator)]
    assert found[0].citation.section == "6.1"


def test_incidence_counts_and_trial_names():
    humira = incidences("humira.xml")
    assert len(humira) == 34  # 17 reactions x 2 arms
    assert {i.trial for i in humira} == {"Studies RA-I, RA-II, RA-III, and RA-IV (pooled)"}
    assert not [i for i in humira if "*" in i.event or i.event in ("Respiratory", "Other")]
    assert len(incidences("viagra-64f8040f.xml")) == 10 * 4 + 8 * 2
    assert len(incidences("lipitor-orig.xml")) == 12 * 6
    assert incidences("no-title.xml") == [] and incidences("cough.xml") == []


def _ctx_label() -> Label:
    return spl("humira.xml")


@pytest.mark.parametrize(
    "header, rows, caption, expected",
    [
        # bare numbers are percentages only when the table says so
        ((("Reaction", "Drug (N=10)", "Placebo (N=12)"),), (("Rash", "3", "1"),), "Table 9", []),
        ((("Reaction", "Drug (N=10)", "Placebo (N=12)"),), (("Rash", "3", "1"),), "Table 9 (% of patients)",
         [("Drug", 10, 3.0, None), ("Placebo", 12, 1.0, None)]),
        # n (%) cells give the count too; "<1%" and "-" give nothing
        ((("Reaction", "Drug (N=10)", "Placebo (N=12)"),), (("Rash", "3 (30%)", "<1%"),), "Table 9",
         [("Drug", 10, 30.0, 3)]),
        # no N in the header: no arm
        ((("Reaction", "Drug", "Placebo"),), (("Rash", "3%", "1%"),), "Table 9", []),
        # bare "n (x.x)" cells are read where count and figure agree with the column's N
        ((("Reaction", "Drug (N=882)", "Placebo (N=799)"),), (("Rash", "68 (7.7)", "61 (9.9)"),),
         "Table 9", [("Drug", 882, 7.7, 68)]),
        # per arm an any-grade and a grade column (colspans expanded): only the any-grade column
        ((("Reaction", "Drug (N=10)", "Drug (N=10)", "Placebo (N=12)", "Placebo (N=12)"),
          ("", "All Grades (%)", "Grade 3-4 (%)", "All Grades (%)", "Grade 3-4 (%)")),
         (("Rash", "30", "10", "8", "0"),), "Table 9",
         [("Drug All Grades (%)", 10, 30.0, None), ("Placebo All Grades (%)", 12, 8.0, None)]),
    ],
)  # fmt: skip
def test_table_cells(header, rows, caption, expected):
    table = LabelTable(caption=caption, header=header, rows=rows)
    section = Section(code=loinc.ADVERSE_REACTIONS, number="6.1", title="Trials", text="")
    found = table_incidences(_ctx_label(), "humira", table, section)
    assert [(i.arm, i.n, i.percent, i.count) for i in found] == expected


# --- grouping --------------------------------------------------------------------------------


def test_by_section_orders_by_number():
    groups = by_section(*extracted("humira.xml"))
    numbers = [number for (number, _), _, _ in groups]
    assert numbers[:2] == [None, None]  # boxed warning, product data
    numbered = [n for n in numbers if n]
    assert numbered == sorted(numbered, key=lambda n: [int(x) for x in n.split(".")])
    assert in_section("5.10", "5") and not in_section("15.1", "5") and not in_section(None, "5")
    assert re.match(r"\d", numbered[0])
