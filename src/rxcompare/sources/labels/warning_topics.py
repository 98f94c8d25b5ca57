"""The topic of a warnings-and-precautions subsection, from the words of its title.

Rules are keyword patterns over the title, tried in order; the first match wins, so the most
specific come first ("Hepatitis B Virus Reactivation" is hepatitis B before it is an infection;
"Tumor Lysis Syndrome" is metabolic before "tumor" can read as a malignancy; "Neuroleptic Malignant
Syndrome" is neurological, never a malignancy). The topic keys are the vocabulary of
:mod:`rxcompare.sources.labels.topics`; the patterns name kinds of warning, not facts about any
medicine. A rule gives either a comparison topic (``warning.hbv``, ``warning.liver_injury``,
...) or a subject of :data:`~rxcompare.sources.labels.topics.WARNING_SUBJECTS` ("cardiac",
"bleeding", ...): a fact with a subject is filed under ``warning.other`` with the subject as its
``subject`` qualifier. A title no rule matches is ``warning.other`` without a subject.
"""

from __future__ import annotations

import re


def _rule(pattern: str, topic: str) -> tuple[re.Pattern[str], str]:
    return re.compile(pattern, re.IGNORECASE), topic


_RULES = (
    _rule(r"hepatitis\s*b\b|\bhbv\b", "warning.hbv"),
    _rule(r"progressive multifocal|\bpml\b", "warning.pml"),
    _rule(r"herpes|zoster", "warning.herpes"),
    _rule(r"suicid", "suicidality"),
    _rule(r"lactic acidosis", "lactic_acidosis"),
    _rule(r"ketoacidosis", "ketoacidosis"),
    _rule(r"hypoglyc", "hypoglycaemia"),
    _rule(r"pancreatit", "pancreatitis"),
    _rule(r"tumou?r lysis", "metabolic"),
    _rule(r"neuroleptic malignant|serotonin syndrome", "neurological"),
    _rule(r"malignant disease in mri|image|imaging|radiation", "diagnostic"),
    _rule(r"serious infection", "warning.serious_infections"),
    # infusion/injection reactions; "reaction" must be in the title (see warning_topic)
    _rule(
        r"infusion|injection|administration[- ]related|administration reaction",
        "warning.administration_reactions",
    ),
    _rule(
        r"infection|infectious agents|difficile|sexually transmitted|transmission of viral|"
        r"\bsepsis\b|recrudescence|tuberculosis|fungal",
        "warning.infections",
    ),
    _rule(r"immunoglobulin|hypogammaglobulin", "warning.immunoglobulins"),
    # "malignanc", not "malignan": neuroleptic malignant syndrome is not a malignancy
    _rule(
        r"malignanc|malignant cells|cancer|carcinoma|lymphoma|neoplas|tumou?r|lymphoproliferat|"
        r"melanoma",
        "warning.malignancy",
    ),
    _rule(r"colitis", "warning.colitis"),
    _rule(
        r"\bliver\b|hepatotox|hepatic\s+(?:injury|failure|dysfunction|toxicity|enzyme|events?|"
        r"reactions?|effects?|decompensation|adverse)|(?:drug-induced|autoimmune|immune-mediated)"
        r"\s+hepatitis|transaminase|\balt\b|jaundice|hepatomegaly",
        "warning.liver_injury",
    ),
    _rule(r"fetal|foetal|pregnan|embryo|childbearing|contracept", "warning.fetal_risk"),
    _rule(
        r"hypersensitiv|anaphyla|angioedema|allerg|eosinophilia and systemic|\bdress\b|"
        r"immune reaction|febrile reaction",
        "hypersensitivity",
    ),
    _rule(r"bleeding|h(?:a)?emorrhag|anticoagula", "bleeding"),
    _rule(r"thromb|embol|\bvte\b|\bpe\b", "thromboembolism"),
    _rule(r"mortality|death", "mortality"),
    _rule(
        r"\bskin\b|dermat|cutaneous|bullous|erythrodysesthesia|stevens|epidermal|rash|"
        r"photosensitiv|discoloration",
        "skin",
    ),
    _rule(
        r"cardi|heart|\bqt\b|qtc|arrhythm|brady|tachycard|atrial|myocard|inotrop|"
        r"atrioventricular|\becg\b|ischemic|vascular events|stroke|cerebrovascular",
        "cardiac",
    ),
    _rule(r"hypertens|hypotens|blood pressure|syncope|hemodynamic", "blood_pressure"),
    _rule(
        r"bone marrow|myelosuppress|neutropeni|cytopeni|hematolog|haematolog|thrombocytopeni|"
        r"an(?:a)?emia|leukopeni|lymphopeni|agranulocyt|pancytopeni|coombs|hemoly|haemoly|"
        r"g6pd|dehydrogenase deficiency",
        "bone_marrow",
    ),
    _rule(
        r"immune[- ]mediated|autoimmun|immunosuppress|cytokine release|capillary leak|"
        r"macrophage activation|immune reconstitution|immune system|immunogenicity|"
        r"antibody development|vaccin|immuniz",
        "immune",
    ),
    # a population at risk ("Increased Toxicity in the Presence of Severe Renal Impairment"),
    # before the organ ("Impairment in Renal Function" is a renal effect)
    _rule(r"(?:patients with|presence of)\b.*\bimpairment", "special_populations"),
    _rule(r"renal|kidney|nephr|proteinuria", "renal"),
    _rule(
        r"pulmonary|\blung|pneumonitis|respirat|bronchospasm|dyspn|\bards\b|breathing|"
        r"asthma|interstitial|pneumonia|laryngeal|cardiorespiratory",
        "pulmonary",
    ),
    _rule(
        r"hyperglyc|glucose|diabet|lipid|\bldl|cholesterol|triglycerid|metabolic|weight|"
        r"hyperkal|hypokal|hyponatr|hypocalc|hypomagnes|electrolyte|hyperammon|fluid retention|"
        r"fat redistribution|mineral",
        "metabolic",
    ),
    _rule(
        r"thyroid|adrenal|adrenocortical|hypercorticism|prolactin|endocrin|pheochromocytoma|"
        r"corticosteroid",
        "endocrine",
    ),
    _rule(
        r"\bbone|fracture|osteonecrosis|tendon|arthralgia|musculoskeletal|myopath|"
        r"rhabdomyoly|\bgrowth\b",
        "musculoskeletal",
    ),
    _rule(
        r"gastrointestinal|diarrh|perforation|fistula|dysphagia|\bgi\b|ulcerat|motility|"
        r"constipat|nausea|vomiting|gallbladder|anastomos|obstruction",
        "gastrointestinal",
    ),
    _rule(
        r"\beyes?\b|ocular|ophthalm|visual|vision|retin|macular|glaucoma|cataract|keratitis|"
        r"corneal|intraocular|\biop\b|contact lens|endophthalmitis|ptosis",
        "eye",
    ),
    _rule(
        r"depress|mania|psychiatric|psycho|behavio|dependence|withdrawal|abuse|misuse|"
        r"hallucinat|confusion|dementia",
        "psychiatric",
    ),
    _rule(
        r"seizure|neuropath|encephalopath|neurolog|neuromuscular|dizziness|somnolence|"
        r"sedation|cognitive|central nervous|\bcns\b|tardive|myasthenia|demyelinat|headache|"
        r"toxin effect|driv(?:e|ing)|machines|body temperature|hyperpyrexia|hearing|"
        r"spinal|epidural|anesthesia",
        "neurological",
    ),
    _rule(r"priapism|erection|penile|penis|urinary|bladder|sexual", "genitourinary"),
    _rule(r"wound|healing", "wound_healing"),
    _rule(
        r"interaction|concomitant|concurrent|coadministration|co-administration|\bcyp|p-gp|"
        r"inducers?\b|inhibitors?\b|\buse with\b|combination with|same active ingredient|"
        r"containing",
        "drug_interactions",
    ),
    _rule(
        r"elderly|geriatric|children|pediatric|paediatric|infants|impairment|"
        r"premenopausal|women|coexisting|concomitant illness|special populations|"
        r"prosthetic",
        "special_populations",
    ),
    _rule(
        r"error|rems\b|interchangeab|aseptic|\bnot for\b|use only|contamination|"
        r"aerosoli[sz]ation|exposure|switching|preparation|extravasation",
        "use_errors",
    ),
    _rule(r"laboratory|monitoring|assay", "monitoring"),
    _rule(r"resistan|efficacy|loss of (?:virologic )?response|rebound|deterioration", "resistance"),
)


def classify_warning(title: str, text: str = "") -> tuple[str, str | None]:
    """(topic, subject) of a warnings-and-precautions subsection, from keywords of its title:
    ``("warning.hbv", None)``, ``("warning.other", "cardiac")``, or ``("warning.other", None)``
    when no rule matches.

    ``text`` (the subsection's text) is read only when the title is empty (a flattened heading
    that could not be bounded): then its first twelve words stand for the title.
    """
    if not title.strip() and text:
        title = " ".join(text.split()[:12])
    for pattern, key in _RULES:
        if pattern.search(title):
            if key == "warning.administration_reactions" and not re.search(
                r"reaction", title, re.IGNORECASE
            ):
                continue
            if key.startswith("warning."):
                return key, None
            return "warning.other", key
    return "warning.other", None


def warning_topic(title: str, text: str = "") -> str:
    """The comparison topic of a warnings-and-precautions subsection (see :func:`classify_warning`)."""
    return classify_warning(title, text)[0]


__all__ = ["classify_warning", "warning_topic"]
