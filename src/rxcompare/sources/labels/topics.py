"""The documented vocabulary of fact topics.

Every :class:`~rxcompare.models.Fact` carries one of these topics. The comparison picks facts by
topic; the fact extractor (:mod:`rxcompare.sources.labels.facts`) and the curated pack entries assign them.
Each topic says what ``value``/``unit`` and ``qualifiers`` mean for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    dimension: str  # the comparison dimension that uses it (compare/…)
    help: str


# Where a topic lives in a PLR-format label: the top-level section (BW = boxed warning). A label's
# silence on a topic is reported only when that section was read in full (see Pack.coverage).
_SECTIONS = {
    "indication": "1",
    "mechanism.": "12",
    "admin.": "2",
    "boxed_warning": "BW",
    "contraindication": "4",
    "warning.fetal_risk": "8",
    "warning.": "5",
    "vaccination.": "5",
    "pregnancy.": "8",
    "lactation": "8",
    "monitoring": "2",
    "trial.": "6",
}


def topic_section(key: str) -> str:
    """The top-level label section where a topic is stated ("5" for warnings, "BW" for boxed)."""
    for prefix, section in _SECTIONS.items():
        if key == prefix or (prefix.endswith(".") and key.startswith(prefix)):
            return section
    return "5"


_TOPICS = (
    # what the medicine is
    Topic("indication", "mechanism", "an indication of the product (text; qualifier population)"),
    Topic("mechanism.target", "mechanism", "molecular target, e.g. CD20 (qualifier target)"),
    Topic("mechanism.antibody_type", "mechanism", "antibody type: humanized/human/chimeric, IgG1"),
    Topic("mechanism.action", "mechanism", "how it acts (mechanism-of-action text)"),
    # administration
    Topic(
        "admin.route", "administration", "route; qualifier route = subcutaneous|intravenous|oral"
    ),
    Topic(
        "admin.dose.initial",
        "administration",
        "initial (loading) dosing: value = dose, unit mg; qualifiers schedule_days = '1,8,15' "
        "(days of the initial doses, day 1 = first dose) or 'doses' = count",
    ),
    Topic(
        "admin.dose.maintenance",
        "administration",
        "maintenance dose: value = dose, unit mg; qualifiers interval_days (days between doses) or "
        "interval_months (calendar months) or per_week (doses a week); starts_day or starts_month "
        "(when the first maintenance dose falls, day 1 = first dose); max_doses (at most this many "
        "maintenance doses); regimen (names a regimen when a label has several)",
    ),
    Topic("admin.infusion_duration", "administration", "infusion/injection duration; value, unit"),
    Topic(
        "admin.administered_by",
        "administration",
        "who administers (qualifier by = self|hcp; first_dose = hcp when the first dose is supervised)",
    ),
    Topic("admin.setting", "administration", "where it is given (home, infusion centre, ...)"),
    Topic("admin.premedication", "administration", "required premedication"),
    Topic(
        "admin.observation", "administration", "post-dose observation; value, unit (minutes/hours)"
    ),
    Topic("admin.missed_dose", "administration", "what to do after a missed dose"),
    # safety
    Topic("boxed_warning", "other_warnings", "a boxed warning (text)"),
    Topic("contraindication", "other_warnings", "a contraindication (text)"),
    Topic("warning.infections", "infections", "infections warning (general)"),
    Topic("warning.serious_infections", "infections", "serious infections; value = % with arm"),
    Topic("warning.herpes", "infections", "herpes infections"),
    Topic("warning.hbv", "infections", "hepatitis B screening and reactivation"),
    Topic("warning.pml", "infections", "progressive multifocal leukoencephalopathy"),
    Topic(
        "warning.administration_reactions",
        "administration_reactions",
        "infusion or injection reactions; value = % with qualifiers arm, n, kind",
    ),
    Topic("warning.immunoglobulins", "immunoglobulins", "reduction in immunoglobulins"),
    Topic("warning.malignancy", "malignancy", "malignancies (e.g. breast cancer)"),
    Topic("warning.colitis", "other_warnings", "immune-mediated colitis"),
    Topic("warning.liver_injury", "other_warnings", "liver injury / hepatotoxicity"),
    Topic("warning.other", "other_warnings", "any other warning and precaution"),
    Topic(
        "warning.fetal_risk",
        "pregnancy",
        "fetal risk / B-cell depletion in infants exposed in utero",
    ),
    # vaccinations
    Topic(
        "vaccination.live",
        "vaccinations",
        "live/live-attenuated vaccines: value = weeks before start",
    ),
    Topic("vaccination.non_live", "vaccinations", "non-live vaccines: value = weeks before start"),
    Topic("vaccination.during_treatment", "vaccinations", "vaccination during treatment"),
    Topic("vaccination.infants", "vaccinations", "vaccinating infants exposed in utero"),
    # pregnancy and lactation
    Topic(
        "pregnancy.contraception", "pregnancy", "contraception: value = duration after last dose"
    ),
    Topic("pregnancy.risk", "pregnancy", "risk summary in pregnancy"),
    Topic("lactation", "pregnancy", "lactation"),
    # monitoring
    Topic("monitoring", "monitoring", "a test or check required before or during treatment"),
    # trials
    Topic("trial.design", "administration_reactions", "pivotal trial: name, comparator, N"),
)

TOPICS: dict[str, Topic] = {t.key: t for t in _TOPICS}

# What a warning filed under ``warning.other`` is about: extracted warnings-and-precautions facts
# carry one of these as their ``subject`` qualifier (see
# :mod:`rxcompare.sources.labels.warning_topics`), so a comparison still sees them as other warnings
# while a reader can tell a cardiac warning from a bleeding one.
WARNING_SUBJECTS: dict[str, str] = {
    "hypersensitivity": "hypersensitivity, anaphylaxis, angioedema",
    "skin": "serious skin reactions and other skin effects",
    "bleeding": "bleeding and haemorrhage",
    "thromboembolism": "thrombosis and thromboembolic events",
    "cardiac": "heart: failure, arrhythmia, QT prolongation, ischaemia, stroke",
    "blood_pressure": "hypertension, hypotension, syncope",
    "bone_marrow": "bone marrow suppression and cytopenias",
    "hypoglycaemia": "hypoglycaemia",
    "lactic_acidosis": "lactic acidosis",
    "ketoacidosis": "ketoacidosis",
    "metabolic": "glucose, lipids, electrolytes, weight, tumour lysis",
    "pancreatitis": "pancreatitis",
    "renal": "kidney injury and renal failure",
    "pulmonary": "lung and breathing: interstitial lung disease, pneumonitis, bronchospasm",
    "neurological": "nervous system: seizures, neuropathy, sedation, encephalopathy",
    "psychiatric": "psychiatric effects, dependence, withdrawal",
    "suicidality": "suicidal thoughts and behaviour",
    "gastrointestinal": "gastrointestinal: perforation, diarrhoea, dysphagia",
    "eye": "eyes and vision",
    "endocrine": "thyroid, adrenal, prolactin and other hormones",
    "musculoskeletal": "bones, joints, tendons, muscles, growth",
    "immune": "immune-mediated reactions, immunosuppression, cytokine release, vaccination",
    "genitourinary": "urinary and genital effects",
    "wound_healing": "wound healing complications",
    "mortality": "increased mortality",
    "drug_interactions": "interactions and concomitant use",
    "special_populations": "populations at risk: elderly, children, organ impairment",
    "use_errors": "administration errors, REMS programmes, interchangeability, exposure",
    "diagnostic": "imaging, radiation and interference with laboratory tests",
    "monitoring": "laboratory tests and monitoring during treatment",
    "resistance": "drug resistance and loss of efficacy",
}

# A topic's evidence includes the facts of its narrower topics: serious infections, herpes,
# hepatitis B and PML are infections.
TOPIC_CHILDREN: dict[str, tuple[str, ...]] = {
    "warning.infections": (
        "warning.serious_infections",
        "warning.herpes",
        "warning.hbv",
        "warning.pml",
    ),
}

# Words that name a topic's subject in a fact filed under another topic: an HBV contraindication
# and HBV screening before the first dose are hepatitis B evidence, so a label holding them is
# never reported as silent on hepatitis B (matched case-insensitively in the fact's text).
TOPIC_MENTIONS: dict[str, tuple[str, ...]] = {
    "warning.hbv": ("hepatitis b", "hbv", "hbsag"),
    "warning.pml": ("progressive multifocal", "pml"),
    "warning.herpes": ("herpes",),
    "warning.malignancy": ("malignan", "breast cancer"),
    "warning.immunoglobulins": ("immunoglobulin",),
    "warning.administration_reactions": (
        "infusion reaction",
        "injection reaction",
        "infusion-related reaction",
        "injection-related reaction",
    ),
    "warning.liver_injury": ("liver injury", "hepatotoxic", "hepatic failure"),
}


def topic_family(key: str) -> tuple[str, ...]:
    """The topic and its narrower topics (:data:`TOPIC_CHILDREN`)."""
    return (key, *TOPIC_CHILDREN.get(key, ()))


def topic_dimension(key: str) -> str:
    """The dimension a topic belongs to (``other_warnings`` for unknown ``warning.*`` keys)."""
    if key in TOPICS:
        return TOPICS[key].dimension
    return "other_warnings"
