"""LOINC codes of FDA label documents and sections, with their openFDA field names.

Structured Product Labeling (SPL) marks each document and each section with a LOINC code
(``<code code="34084-4" codeSystem="2.16.840.1.113883.6.1"/>``); subsection numbers ("5.1") are
in the titles, not in the codes. This module is the table of the codes rxcompare uses.

Sources:

- Codes and names: LOINC (Regenstrief Institute, https://loinc.org), as FDA lists them for SPL
  (the SPL section and document code value sets; the HL7 "SPL Mapping FHIR" implementation guide,
  ``ValueSet/splDocumentCodes`` and ``ValueSet/splSectionCodes``). Names are written lower-case
  the way openFDA's section table (``openfda/spl/data/sections.csv`` in FDA/openfda) words them,
  except 43685-7, named after the PLR heading "Warnings and precautions".
- openFDA field names: openFDA's ``drug/label`` JSON schema (``schemas/druglabel_schema.json`` in
  FDA/openfda). A section without an openFDA field has ``openfda_field=None``.

Codes that are not in this table are still read (kept with their title); they are simply not
named here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionCode:
    """One LOINC section code: its name and the openFDA ``drug/label`` field holding it."""

    code: str
    name: str
    openfda_field: str | None


# Section codes that the parser and the fact extractor refer to by name.
BOXED_WARNING = "34066-1"
INDICATIONS = "34067-9"
DOSAGE_AND_ADMINISTRATION = "34068-7"
DOSAGE_FORMS = "43678-2"
CONTRAINDICATIONS = "34070-3"
WARNINGS_AND_PRECAUTIONS = "43685-7"
WARNINGS = "34071-1"  # older (non-PLR) labels and OTC labels
PRECAUTIONS = "42232-9"  # older (non-PLR) labels
ADVERSE_REACTIONS = "34084-4"
DRUG_INTERACTIONS = "34073-7"
SPECIFIC_POPULATIONS = "43684-0"
PREGNANCY = "42228-7"
LACTATION = "77290-5"
NURSING_MOTHERS = "34080-2"
DESCRIPTION = "34089-3"
CLINICAL_PHARMACOLOGY = "34090-1"
MECHANISM_OF_ACTION = "43679-0"
CLINICAL_STUDIES = "34092-7"
PATIENT_COUNSELING = "34076-0"
UNCLASSIFIED = "42229-5"
PRODUCT_DATA = "48780-1"
INDEXING_DATA = "48779-3"
RECENT_MAJOR_CHANGES = "43683-2"

_SECTIONS = (
    SectionCode(BOXED_WARNING, "boxed warning", "boxed_warning"),
    SectionCode(RECENT_MAJOR_CHANGES, "recent major changes", "recent_major_changes"),
    SectionCode(INDICATIONS, "indications and usage", "indications_and_usage"),
    SectionCode(
        DOSAGE_AND_ADMINISTRATION, "dosage and administration", "dosage_and_administration"
    ),
    SectionCode(DOSAGE_FORMS, "dosage forms and strengths", "dosage_forms_and_strengths"),
    SectionCode(CONTRAINDICATIONS, "contraindications", "contraindications"),
    SectionCode(WARNINGS_AND_PRECAUTIONS, "warnings and precautions", "warnings_and_cautions"),
    SectionCode(WARNINGS, "warnings", "warnings"),
    SectionCode(PRECAUTIONS, "precautions", "precautions"),
    SectionCode("34072-9", "general precautions", "general_precautions"),
    SectionCode(ADVERSE_REACTIONS, "adverse reactions", "adverse_reactions"),
    SectionCode(DRUG_INTERACTIONS, "drug interactions", "drug_interactions"),
    SectionCode(
        "34074-5",
        "drug and or laboratory test interactions",
        "drug_and_or_laboratory_test_interactions",
    ),
    SectionCode(SPECIFIC_POPULATIONS, "use in specific populations", "use_in_specific_populations"),
    SectionCode(PREGNANCY, "pregnancy", "pregnancy"),
    SectionCode("34077-8", "teratogenic effects", "teratogenic_effects"),
    SectionCode("34078-6", "nonteratogenic effects", "nonteratogenic_effects"),
    SectionCode("34079-4", "labor and delivery", "labor_and_delivery"),
    SectionCode(NURSING_MOTHERS, "nursing mothers", "nursing_mothers"),
    SectionCode(LACTATION, "lactation", None),
    SectionCode("34081-0", "pediatric use", "pediatric_use"),
    SectionCode("34082-8", "geriatric use", "geriatric_use"),
    SectionCode("42227-9", "drug abuse and dependence", "drug_abuse_and_dependence"),
    SectionCode("34085-1", "controlled substance", "controlled_substance"),
    SectionCode("34086-9", "abuse", "abuse"),
    SectionCode("34087-7", "dependence", "dependence"),
    SectionCode("34088-5", "overdosage", "overdosage"),
    SectionCode(DESCRIPTION, "description", "description"),
    SectionCode(CLINICAL_PHARMACOLOGY, "clinical pharmacology", "clinical_pharmacology"),
    SectionCode(MECHANISM_OF_ACTION, "mechanism of action", "mechanism_of_action"),
    SectionCode("43681-6", "pharmacodynamics", "pharmacodynamics"),
    SectionCode("43682-4", "pharmacokinetics", "pharmacokinetics"),
    SectionCode("66106-6", "pharmacogenomics", "pharmacogenomics"),
    SectionCode("49489-8", "microbiology", "microbiology"),
    SectionCode("43680-8", "nonclinical toxicology", "nonclinical_toxicology"),
    SectionCode(
        "34083-6",
        "carcinogenesis and mutagenesis and impairment of fertility",
        "carcinogenesis_and_mutagenesis_and_impairment_of_fertility",
    ),
    SectionCode(
        "34091-9", "animal pharmacology and or toxicology", "animal_pharmacology_and_or_toxicology"
    ),
    SectionCode(CLINICAL_STUDIES, "clinical studies", "clinical_studies"),
    SectionCode("34093-5", "references", "references"),
    SectionCode("34069-5", "how supplied", "how_supplied"),
    SectionCode("44425-7", "storage and handling", "storage_and_handling"),
    SectionCode(PATIENT_COUNSELING, "information for patients", "information_for_patients"),
    SectionCode("34075-2", "laboratory tests", "laboratory_tests"),
    SectionCode("42231-1", "spl medguide", "spl_medguide"),
    SectionCode("42230-3", "spl patient package insert", "spl_patient_package_insert"),
    SectionCode("68498-5", "patient medication information", "patient_medication_information"),
    SectionCode("59845-8", "instructions for use", "instructions_for_use"),
    SectionCode("71744-7", "health care provider letter", "health_care_provider_letter"),
    SectionCode(UNCLASSIFIED, "spl unclassified", "spl_unclassified_section"),
    SectionCode(PRODUCT_DATA, "spl product data elements", "spl_product_data_elements"),
    SectionCode(INDEXING_DATA, "spl indexing data elements", "spl_indexing_data_elements"),
    SectionCode(
        "51945-4",
        "package label: principal display panel",
        "package_label_principal_display_panel",
    ),
    # OTC "Drug Facts" sections
    SectionCode("55106-9", "active ingredient", "active_ingredient"),
    SectionCode("55105-1", "purpose", "purpose"),
    SectionCode("50570-1", "do not use", "do_not_use"),
    SectionCode("50569-3", "ask doctor", "ask_doctor"),
    SectionCode("50568-5", "ask doctor/pharmacist", "ask_doctor_or_pharmacist"),
    SectionCode("50567-7", "when using", "when_using"),
    SectionCode("50566-9", "stop use", "stop_use"),
    SectionCode("50565-1", "keep out of reach of children", "keep_out_of_reach_of_children"),
    SectionCode("53414-9", "pregnancy or breast feeding", "pregnancy_or_breast_feeding"),
    SectionCode("53413-1", "questions", "questions"),
    SectionCode("51727-6", "inactive ingredient", "inactive_ingredient"),
    SectionCode("60561-8", "other safety information", "other_safety_information"),
    SectionCode("69718-5", "statement of identity", "statement_of_identity"),
    SectionCode("54433-8", "user safety warnings", "user_safety_warnings"),
)

SECTIONS: dict[str, SectionCode] = {s.code: s for s in _SECTIONS}
"""LOINC section code -> :class:`SectionCode`."""

BY_OPENFDA_FIELD: dict[str, SectionCode] = {
    s.openfda_field: s for s in _SECTIONS if s.openfda_field is not None
}
"""openFDA ``drug/label`` field name -> :class:`SectionCode`."""

DOCUMENT_TYPES: dict[str, str] = {
    "34391-3": "human prescription drug label",
    "34390-5": "human OTC drug label",
    "53404-0": "vaccine label",
    "60683-0": "plasma derivative",
    "60684-8": "cellular therapy",
    "60682-2": "standardized allergenic",
    "53405-7": "non-standardized allergenic label",
    "75031-5": "human compounded drug label",
}
"""SPL document types that are drug labels (LOINC code -> name). Anything else, such as an
indexing document (60685-5, "Indexing - Pharmacologic Class"), is not a label."""

PRESCRIPTION = "34391-3"
OTC = "34390-5"

OPENFDA_PRODUCT_TYPES: dict[str, str] = {
    "HUMAN PRESCRIPTION DRUG": PRESCRIPTION,
    "HUMAN OTC DRUG": OTC,
    "VACCINE": "53404-0",
    "PLASMA DERIVATIVE": "60683-0",
    "CELLULAR THERAPY": "60684-8",
    "STANDARDIZED ALLERGENIC": "60682-2",
    "NON-STANDARDIZED ALLERGENIC": "53405-7",
}
"""openFDA ``openfda.product_type`` -> SPL document type code."""


def section_name(code: str | None) -> str | None:
    """The name of a section code ("34084-4" -> "adverse reactions"), or None when unknown."""
    s = SECTIONS.get(code or "")
    return s.name if s else None


__all__ = [
    "BY_OPENFDA_FIELD",
    "DOCUMENT_TYPES",
    "OPENFDA_PRODUCT_TYPES",
    "SECTIONS",
    "SectionCode",
    "section_name",
]
