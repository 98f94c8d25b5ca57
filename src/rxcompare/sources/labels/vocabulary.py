"""A general safety-topic vocabulary for any medicine's label, and the rules that assign it.

A *topic* is a kind of harm a label can warn of ("infections", "bleeding", "cardiac rhythm and QT
prolongation"), with a key, a label for display and, for the kinds of infection, a parent
(``infections.tuberculosis`` is an ``infections`` topic). Keys and labels name kinds of warning,
never facts about a medicine: which label warns of what is read from the label's own words.

Three readers share one table of keyword rules (``_RULES``):

- :func:`assign_topics` gives the topics of a warnings-and-precautions subsection, a boxed warning
  or a contraindication, from its TITLE first and its text second: the title's topics, plus, from
  the text, the kinds of a topic the title names ("Serious Infections" whose text warns of
  tuberculosis is also ``infections.tuberculosis``); the text's topics stand alone only when the
  title names none (an untitled contraindication, "Use with Anakinra"). Sentences that deny a harm
  ("no increase in ...", "was not associated with ...", "offers no protection against ...") and
  counselling sentences ("Advise patients ...") are not read as warnings, and a subsection whose
  title is counselling ("Counseling Patients About ...") or whose every sentence is a denial or
  counselling gives no topic.
- :func:`term_topics` gives the topics of a MedDRA preferred-term name, an adverse-reaction table
  row or a FAERS reaction ("Pneumonia" -> infections; "Haemorrhage" -> bleeding).
- :func:`section_topics` and :func:`label_topics` apply :func:`assign_topics` to each part of a
  parsed section or label (boxed warning, contraindications, warnings and precautions).
- :data:`TOPICS`, :func:`topic_label` and :func:`with_parents` describe the vocabulary.

Rules are tried in order; a rule that matches blanks the words it matched, so a later, broader
rule cannot read them again: "Neuroleptic Malignant Syndrome" is never a malignancy, "Tumor Lysis
Syndrome" and "tumor necrosis factor" are never a malignancy, "Hepatitis B Virus Reactivation" is
an infection and not liver injury, "respiratory depression" is not a psychiatric effect. Some rules
give no topic (``None``): they only take words out of play ("patients with renal impairment" is a
population, not kidney injury).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import lru_cache

from rxcompare.models import Label, Section
from rxcompare.sources.labels import loinc


@dataclass(frozen=True)
class SafetyTopic:
    """One topic of the vocabulary: ``key`` ("infections.pml"), ``label`` for display and
    ``parent`` (the broader topic's key, or None)."""

    key: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class TopicMatch:
    """Why a text was given a topic: ``source`` is "title" or "text"; ``quote`` the words matched
    and ``sentence`` the sentence (or title) they stand in."""

    key: str
    source: str
    quote: str
    sentence: str


_VOCABULARY = (
    SafetyTopic("infections", "Infections"),
    SafetyTopic("infections.serious", "Serious infections", "infections"),
    SafetyTopic(
        "infections.opportunistic", "Opportunistic and invasive fungal infections", "infections"
    ),
    SafetyTopic("infections.tuberculosis", "Tuberculosis", "infections"),
    SafetyTopic("infections.hepatitis_b", "Hepatitis B virus reactivation", "infections"),
    SafetyTopic("infections.pml", "Progressive multifocal leukoencephalopathy (PML)", "infections"),
    SafetyTopic("infections.herpes", "Herpes virus infections", "infections"),
    SafetyTopic("malignancy", "Malignancy"),
    SafetyTopic("hepatotoxicity", "Liver injury (hepatotoxicity)"),
    SafetyTopic("bleeding", "Bleeding"),
    SafetyTopic("thromboembolism", "Thrombosis and embolism"),
    SafetyTopic(
        "cardiovascular_events", "Myocardial infarction, stroke and other cardiovascular events"
    ),
    SafetyTopic("cardiac_rhythm", "Cardiac rhythm and QT prolongation"),
    SafetyTopic("heart_failure", "Heart failure and cardiomyopathy"),
    SafetyTopic("hypertension", "Hypertension"),
    SafetyTopic("hypotension", "Hypotension and syncope"),
    SafetyTopic("hypersensitivity", "Hypersensitivity and anaphylaxis"),
    SafetyTopic("administration_reactions", "Infusion and injection reactions"),
    SafetyTopic("embryo_fetal_toxicity", "Embryo-fetal toxicity and pregnancy"),
    SafetyTopic("lactation", "Breastfeeding"),
    SafetyTopic("suicidality", "Suicidal thoughts and behaviour"),
    SafetyTopic("psychiatric", "Depression and other psychiatric effects"),
    SafetyTopic("serotonin_syndrome", "Serotonin syndrome"),
    SafetyTopic("neuroleptic_malignant_syndrome", "Neuroleptic malignant syndrome"),
    SafetyTopic("seizures", "Seizures"),
    SafetyTopic("encephalopathy", "Encephalopathy (including PRES)"),
    SafetyTopic(
        "neurological", "Neurological reactions (demyelination, neuropathy, neurotoxicity)"
    ),
    SafetyTopic("sedation", "Sedation and impaired mental or motor ability"),
    SafetyTopic("hypoglycaemia", "Hypoglycaemia"),
    SafetyTopic("hyperglycaemia", "Hyperglycaemia and diabetes"),
    SafetyTopic("lactic_acidosis", "Lactic acidosis"),
    SafetyTopic("ketoacidosis", "Ketoacidosis"),
    SafetyTopic("pancreatitis", "Pancreatitis"),
    SafetyTopic("gi_perforation", "Gastrointestinal perforation and fistula"),
    SafetyTopic("diarrhoea_colitis", "Diarrhoea and colitis"),
    SafetyTopic("ild_pneumonitis", "Interstitial lung disease and pneumonitis"),
    SafetyTopic("respiratory_depression", "Respiratory depression"),
    SafetyTopic("bronchospasm", "Bronchospasm"),
    SafetyTopic("cytopenias", "Cytopenias and myelosuppression"),
    SafetyTopic("immunogenicity", "Immunogenicity"),
    SafetyTopic("vaccinations", "Vaccinations"),
    SafetyTopic("autoimmunity", "Autoimmunity and immune-mediated reactions"),
    SafetyTopic("cytokine_release", "Cytokine release and capillary leak"),
    SafetyTopic("withdrawal", "Withdrawal and discontinuation effects"),
    SafetyTopic("dependence_abuse", "Abuse, misuse and dependence"),
    SafetyTopic("renal_toxicity", "Kidney injury"),
    SafetyTopic("skin_reactions", "Skin reactions (including SJS/TEN)"),
    SafetyTopic("musculoskeletal", "Myopathy, rhabdomyolysis and other muscle effects"),
    SafetyTopic("bone", "Fractures and bone loss"),
    SafetyTopic("ocular", "Eye disorders"),
    SafetyTopic("hearing", "Hearing loss"),
    SafetyTopic("tumour_lysis", "Tumour lysis syndrome"),
    SafetyTopic("fluid_retention", "Fluid retention and oedema"),
    SafetyTopic("electrolytes", "Electrolyte disturbances"),
    SafetyTopic("lipids", "Lipid changes"),
    SafetyTopic("endocrine", "Thyroid, adrenal and other hormonal effects"),
    SafetyTopic("wound_healing", "Impaired wound healing"),
    SafetyTopic("priapism", "Priapism"),
    SafetyTopic("mortality", "Increased mortality"),
)

TOPICS: dict[str, SafetyTopic] = {t.key: t for t in _VOCABULARY}


def _rule(topic: str | None, pattern: str) -> tuple[str | None, re.Pattern[str]]:
    if topic is not None and topic not in TOPICS:
        raise ValueError(f"keyword rule for {topic!r}: not a topic of the vocabulary")
    return topic, re.compile(pattern, re.IGNORECASE)


_H = r"(?:h(?:a)?em|haem)"  # hem-, haem-, haem-
_OE = r"(?:o)?edema|oedema"

# Order matters: specific before broad; a match blanks its words (see the module's docstring).
_RULES = (
    # words that are not a harm, taken out of play first
    _rule(None, r"tumou?r necrosis factor|anti-?tnf|\btnf\b"),
    _rule(
        None,
        r"(?:patients with|presence of|use in|dosage in|dosing in|dose in)\s+"
        r"(?:mild,?\s*|moderate,?\s*|severe,?\s*|or\s*|and\s*)*(?:renal|hepatic)\s+impairment",
    ),
    _rule(
        None, r"pulmonary (?:arterial )?hypertension|portal hypertension|intracranial hypertension"
    ),
    _rule(
        None,
        r"malignant hyperthermia|anti-?hypertensive\w*|anti-?arrhythmic\w*|"
        r"anti-?diabetic\w*|anti-?coagula\w*|anti-?infective\w*|anti-?(?:viral|fungal)s?\b",
    ),
    _rule("hypertension", r"malignant hypertension"),
    _rule(
        None,
        r"antiepileptic drugs?|anti-?seizure (?:drugs?|medications?)|"
        r"dementia-related psychosis|anti-?psychotics?|anti-?depressants?|"
        r"major depressive disorder|st[- ]segment depression",
    ),
    _rule("sedation", r"depressed level of consciousness"),
    # named syndromes before the words inside them
    _rule("neuroleptic_malignant_syndrome", r"neuroleptic malignant syndrome|\bnms\b"),
    _rule("serotonin_syndrome", r"serotonin(?:ergic)? (?:syndrome|toxicity)"),
    _rule("tumour_lysis", r"tumou?r lysis(?: syndrome)?|\btls\b"),
    _rule(
        "cytokine_release", r"cytokine release(?: syndrome)?|\bcrs\b|capillary leak(?: syndrome)?"
    ),
    _rule("infections.pml", r"progressive multifocal leukoencephalopathy|\bpml\b|jc virus"),
    _rule(
        "encephalopathy",
        r"posterior reversible (?:encephalopathy|leukoencephalopathy)(?: syndrome)?|\bpres\b|"
        r"\brpls\b|encephalopath",
    ),
    _rule(
        "infections.hepatitis_b",
        r"hepatitis\s*b(?:\s*virus)?(?:\s*(?:reactivation|infection))?\b|\bhbv\b|hbsag",
    ),
    _rule(
        "respiratory_depression",
        r"respiratory depression|hypoventilation|respiratory arrest|depress\w* (?:of )?respiration",
    ),
    _rule("cytopenias", r"bone marrow (?:suppression|failure|depression|toxicity)"),
    _rule("sedation", r"(?:cns|central nervous system) depress\w*"),
    _rule(
        "hypersensitivity",
        r"hypersensitiv\w*|anaphyla\w*|angio-?(?:o)?edema|allerg\w*|urticaria|serum sickness|"
        r"\bdress\b|drug reaction with eosinophilia(?: and systemic symptoms)?|"
        r"(?:face|facial|laryngeal|pharyngeal|tongue|lip|periorbital|eyelid) (?:" + _OE + r")|"
        r"swollen tongue|throat tightness",
    ),
    _rule(
        "administration_reactions",
        r"(?:infusion|injection|administration)[- ](?:site |related |associated )?"
        r"(?:reactions?|irritation|pain|erythema|toxicit\w*)|infusion-related|injection site|"
        r"infusion site|administration site",
    ),
    # infections and their kinds
    _rule("ild_pneumonitis", r"eosinophilic pneumonia|organi[sz]ing pneumonia"),
    _rule("infections.tuberculosis", r"tubercul\w*|\btb\b|mycobacteri\w*"),
    _rule("infections.herpes", r"herpe\w*|zoster|varicella|shingles"),
    _rule(
        "infections.opportunistic",
        r"opportunistic(?: infections?)?|pneumocystis\w*(?: \w+ pneumonia)?|aspergill\w*|"
        r"candid(?:a|iasis)|histoplasm\w*|coccidioid\w*|blastomyc\w*|cryptococc\w*|listeri\w*|"
        r"legionell\w*|invasive fungal(?: infections?)?|systemic mycos[ie]s|cytomegalovirus|\bcmv\b",
    ),
    _rule(
        "infections.serious",
        r"serious (?:and sometimes fatal )?infections?|sepsis|septic|bacter(?:a)?emia",
    ),
    _rule(
        "infections",
        r"infections?|infectious|infestation|pneumonia|\bbacterial|\bviral|\bfungal|mycos[ie]s|"
        r"abscess|cellulitis|sinusitis|bronchitis|influenza|nasopharyngitis|pharyngitis|"
        r"cystitis|difficile|sexually transmitted|parasitic",
    ),
    _rule(
        "malignancy",
        r"malignanc\w*|malignant \w+|neoplasm malignant|(?:skin )?cancers?\b|carcinoma(?: of the skin)?|lymphoma|"
        r"leuka?emia|leukaemia|melanoma|sarcoma|neoplas\w*|tumou?rs?\b|lymphoproliferat\w*|"
        r"myelodysplas\w*|second(?:ary)? primary",
    ),
    _rule(
        "hepatotoxicity",
        r"hepatotox\w*|\bliver\b|hepatic (?:failure|injury|dysfunction|toxicity|enzymes?|events?|"
        r"reactions?|effects?|decompensation|necrosis|disorder)|hepatitis|transaminase\w*|"
        r"aminotransferase|\balt\b|\bast\b|bilirubin|jaundice|hepatocellular|cholesta\w*|"
        r"hepatomegaly",
    ),
    _rule(
        "bleeding",
        r"bleed\w*|" + _H + r"orrhag\w*|" + _H + r"atoma|" + _H + r"optysis|" + _H + r"aturia|"
        r"hematuria|hemoptysis|epistaxis|mela?ena|petechia\w*|ecchymos\w*|purpura",
    ),
    _rule(
        "thromboembolism",
        r"thrombo(?!cyt)\w*|\w*embol\w*|\bvte\b|\bdvt\b|(?:vein|venous|arterial) occlusion",
    ),
    _rule(
        "cardiovascular_events",
        r"myocardial (?:infarction|ischa?emia)|stroke|cerebrovascular|\btia\b|transient isch\w*|"
        r"major adverse cardiovascular|\bmace\b|cardiovascular|angina|coronary|cardiac death|"
        r"isch(?:a)?emic (?:heart|event)",
    ),
    _rule(
        "cardiac_rhythm",
        r"\bqtc?\b(?: interval)?(?: prolong\w*)?|torsade\w*(?: de pointes)?|arrhythm\w*|"
        r"brady\w*|tachycard\w*|tachyarrhythm\w*|atrial fibrillation|atrioventricular|"
        r"heart block|conduction (?:abnormalit\w*|disturbance\w*)|palpitation\w*|heart rate|"
        r"ventricular fibrillation|\becg\b|electrocardiogram|cardiac arrest|sudden death",
    ),
    _rule(
        "heart_failure",
        r"heart failure|cardiac failure|cardiomyopath\w*|(?:left )?ventricular dysfunction|"
        r"ejection fraction|cardiotox\w*|cardiac toxicity|\bheart\b|\bcardiac\b",
    ),
    _rule(
        "hypertension",
        r"hypertens\w*|blood pressure (?:systolic |diastolic )?increased|"
        r"(?:increase[sd]?|elevat\w*) (?:in )?blood pressure",
    ),
    _rule(
        "hypotension",
        r"hypotens\w*|syncope|orthostatic|blood pressure decreased|"
        r"(?:decrease[sd]?|drops?) (?:in )?blood pressure",
    ),
    _rule(
        "embryo_fetal_toxicity",
        r"embryo\w*|fetal|fetus|foet\w*|teratogen\w*|pregnan\w*|birth defects?|"
        r"congenital anomal\w*|childbearing|contracept\w*|reproductive toxicity",
    ),
    _rule("lactation", r"lactation|breast-?feeding|nursing mothers?|breast milk"),
    _rule("suicidality", r"suicid\w*"),
    _rule(
        "psychiatric",
        r"depress\w*|psychiatric|psychos[ie]s|psychotic|mania\b|manic|hallucinat\w*|"
        r"mood|anxiety|agitation|aggress\w*|neuropsychiatric|behavio(?:u)?r(?:al)? (?:change|"
        r"disturbance)s?|confusion(?:al state)?",
    ),
    _rule("seizures", r"seizures?|convuls\w*|epilepticus"),
    _rule("hypoglycaemia", r"hypoglyc(?:a)?emi\w*"),
    _rule(
        "hyperglycaemia",
        r"hyperglyc(?:a)?emi\w*|diabetes mellitus|blood glucose increased|glucose intolerance|"
        r"hyperosmolar",
    ),
    _rule("lactic_acidosis", r"lactic acidosis"),
    _rule("ketoacidosis", r"ketoacidosis"),
    _rule("pancreatitis", r"pancreatit\w*"),
    _rule(
        "gi_perforation",
        r"(?:gastrointestinal|bowel|intestinal|gi) (?:perforation|fistula)|perforation|fistula\w*",
    ),
    _rule("diarrhoea_colitis", r"colitis|enterocolitis|diarrh(?:o)?ea"),
    _rule(
        "ild_pneumonitis",
        r"interstitial lung disease|\bild\b|pneumonitis|pulmonary (?:fibrosis|toxicity)|"
        r"lung fibrosis|alveolitis|interstitial pneumonia",
    ),
    _rule("bronchospasm", r"bronchospasm\w*|wheezing"),
    _rule(
        "cytopenias",
        r"cytopeni\w*|neutropeni\w*|thrombocytopeni\w*|leukopeni\w*|lymphopeni\w*|\w*an(?:a)?emia|"
        r"agranulocyt\w*|myelosuppress\w*|pancytopeni\w*|" + _H + r"atolog\w*|hemolys\w*|"
        r"haemolys\w*|hemolytic|haemolytic|(?:neutrophil|platelet|white blood cell|lymphocyte) "
        r"counts? decreased|" + _H + r"oglobin decreased|myelotox\w*",
    ),
    _rule(
        "immunogenicity",
        r"immunogenicity|anti-?drug antibod\w*|neutrali[sz]ing antibod\w*|"
        r"antibod(?:y|ies) (?:development|formation)",
    ),
    _rule("vaccinations", r"vaccin\w*|immuni[sz]ations?"),
    _rule(
        "autoimmunity",
        r"autoimmun\w*|immune[- ]mediated|lupus|immune reconstitution|guillain|sarcoid\w*",
    ),
    _rule(
        "withdrawal",
        r"withdrawal|discontinuation (?:syndrome|symptoms|of treatment)|rebound|"
        r"abrupt(?:ly)? (?:discontinu\w*|withdraw\w*|cessation|stopp\w*)",
    ),
    _rule("dependence_abuse", r"abuse|misuse|dependence|addiction|diversion"),
    _rule(
        "renal_toxicity",
        r"renal|kidney|nephrotox\w*|nephropath\w*|nephritis|nephrotic|proteinuria|"
        r"creatinine (?:increased|elevat\w*)|glomerular filtration rate decreased",
    ),
    _rule(
        "skin_reactions",
        r"stevens|toxic epidermal|\bsjs\b|\bten\b|cutaneous|\bskin\b|dermatolog\w*|"
        r"exfoliat\w*|erythema multiforme|bullous|blister\w*|rash\w*|dermatitis|"
        r"photosensitiv\w*|erythrodys\w*",
    ),
    _rule(
        "musculoskeletal",
        r"myopath\w*|rhabdomyoly\w*|myositis|polymyositis|myalgia|creatine (?:phospho)?kinase|"
        r"\bcpk\b|skeletal muscle|muscle (?:weakness|damage|toxicity|pain)|muscular weakness|"
        r"tendon\w*|tendin\w*",
    ),
    _rule("bone", r"fractures?|bone (?:mineral )?density|bone loss|osteopor\w*|osteonecrosis"),
    _rule(
        "ocular",
        r"macular (?:" + _OE + r")|\beyes?\b|ocular|ophthalm\w*|visual|vision|retin\w*|macular|"
        r"glaucoma|cataract\w*|"
        r"keratitis|corneal|intraocular|optic neur\w*|blindness|uveitis|diplopia|ptosis",
    ),
    _rule("hearing", r"hearing|deafness|ototox\w*|tinnitus"),
    _rule("fluid_retention", r"fluid retention|fluid overload|" + _OE),
    _rule(
        "electrolytes",
        r"hyperkal\w*|hypokal\w*|hyponatr\w*|hypocalc\w*|hypomagnes\w*|hypophosphat\w*|"
        r"electrolyte\w*|blood (?:potassium|sodium) (?:decreased|increased)",
    ),
    _rule(
        "lipids",
        r"lipids?\b|cholesterol|triglycerid\w*|dyslipid\w*|lipoprotein (?:increased|decreased)",
    ),
    _rule(
        "endocrine",
        r"endocrine|thyroid|adrenal|prolactin\w*|hypogonad\w*|pituitar\w*|cushing\w*|"
        r"hypercortic\w*|gonadotrophin",
    ),
    _rule(
        "neurological",
        r"neurolog\w*|neuropath\w*|demyelinat\w*|neurotox\w*|cns toxicity|neuromuscular|"
        r"paralysis|myasthenia|tardive dyskinesia",
    ),
    _rule(
        "sedation",
        r"somnolence|sedation|drowsiness|impair\w* (?:mental|physical|cognitive)|cognitive|"
        r"driving|machinery",
    ),
    _rule("wound_healing", r"wound|impaired healing"),
    _rule("priapism", r"priapism|prolonged erection"),
    _rule("mortality", r"mortality"),
)

# Sentences that deny a harm or counsel the reader: not a warning.
_DENIAL = re.compile(
    r"\bno (?:increased?|increases|evidence|(?:new )?(?:cases?|reports?) of|clinically (?:significant|"
    r"meaningful|relevant|important)|(?:significant )?differences?|effect|signal|protection)\b|"
    r"\bnot (?:been )?(?:associated|observed|seen|reported|found|increased|shown|identified|"
    r"established|known)\b|\bdid not (?:increase|show|find|observe|reveal|result|cause)\b|"
    r"\bwithout an? increase\b|\bdoes not protect\b|\bno known\b",
    re.IGNORECASE,
)
_COUNSEL = re.compile(
    r"^\W*(?:advise|instruct|inform|counsel|tell|encourage|remind|caution)\w*\s+(?:the\s+)?"
    r"(?:patients?|women|females|males|men|caregivers?|families|family|parents|nursing|mothers|"
    r"him|her|them)\b|"
    r"^\W*counsel(?:l)?ing\b|\bpatients? should be (?:advised|informed|instructed|counsel\w*|told)\b",
    re.IGNORECASE,
)
# In a title (not in a MedDRA term), organ impairment names a population at risk ("Renal
# Impairment", "Hepatic and Renal Impairment", "Patients with End-Stage Renal Disease").
_POPULATION_TITLE = re.compile(
    r"(?:(?:renal|hepatic|kidney|liver)(?:\s+(?:and|or)\s+(?:renal|hepatic|kidney|liver))?\s+"
    r"impairment|end-stage renal disease|baseline creatinine)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\[(\"'A-Z0-9\u2022\-])|\s*[\u2022*]\s+|\n+")
_CROSS_REF = re.compile(r"\[\s*see [^\]]*\]|\((?:see )?[\d.,\s]+\)", re.IGNORECASE)


_TEXT_SENTENCES = 2


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(_CROSS_REF.sub(" ", text)) if s.strip()]


def _asserts(sentence: str) -> bool:
    """False for a sentence that denies a harm or counsels the reader."""
    return not (_DENIAL.search(sentence) or _COUNSEL.search(sentence))


def _matches(text: str) -> list[tuple[str, str]]:
    """(topic, words) for each rule that matches ``text``, in rule order, each match blanking
    its words for the rules after it."""
    out = []
    for key, pattern in _RULES:
        found = list(pattern.finditer(text))
        if not found:
            continue
        if key is not None:
            out.append((key, found[0].group(0)))
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return out


def topic_label(key: str) -> str:
    """The display label of a topic key ("infections.pml" -> "Progressive multifocal ...")."""
    return TOPICS[key].label


def topic_parent(key: str) -> str | None:
    """The broader topic of a kind ("infections.tuberculosis" -> "infections"), else None."""
    return TOPICS[key].parent


def with_parents(keys) -> frozenset[str]:
    """The keys and their broader topics: {"infections.pml"} -> {"infections.pml", "infections"}."""
    out = set()
    for key in keys:
        while key is not None:
            out.add(key)
            key = TOPICS[key].parent
    return frozenset(out)


@functools.lru_cache(maxsize=4096)
def topic_matches(title: str, text: str = "") -> tuple[TopicMatch, ...]:
    """The topics of a subsection, boxed warning or contraindication with the words that gave
    each (see the module's docstring for the rules), in the order found: title first."""
    title = " ".join(title.split())
    if _COUNSEL.search(title):
        return ()
    sentences = _sentences(text)
    asserted = [s for s in sentences if _asserts(s)]
    if sentences and not asserted:
        return ()  # every sentence denies or counsels: nothing is warned of
    out: list[TopicMatch] = []
    seen: set[str] = set()
    for key, words in _matches(_POPULATION_TITLE.sub(" ", title)):
        if key not in seen:
            seen.add(key)
            out.append(TopicMatch(key, "title", words, title))
    titled = bool(seen)
    if not titled and _POPULATION_TITLE.search(title):
        return ()  # a population at risk ("... in the Presence of Severe Renal Impairment")
    from_title = with_parents(seen)
    # a title with no topic ("Use with Anakinra"): the text's first sentences say what the
    # subsection warns of; an untitled text (a boxed warning, a contraindication) is read whole
    for sentence in asserted if titled or not title else asserted[:_TEXT_SENTENCES]:
        for key, words in _matches(sentence):
            if key in seen:
                continue
            parent = TOPICS[key].parent
            if titled and parent not in from_title:
                continue  # a titled subsection takes only kinds of its title's topics from text
            seen.add(key)
            out.append(TopicMatch(key, "text", words, sentence))
    return tuple(out)


def assign_topics(title: str, text: str = "") -> tuple[str, ...]:
    """The topic keys of a W&P subsection, boxed warning or contraindication, title first.

    >>> assign_topics("5.1 Serious Infections", "Tuberculosis has occurred ...")
    ('infections.serious', 'infections.tuberculosis')
    >>> assign_topics("Neuroleptic Malignant Syndrome")
    ('neuroleptic_malignant_syndrome',)
    >>> assign_topics("Counseling Patients About Sexually Transmitted Diseases")
    ()
    """
    return tuple(m.key for m in topic_matches(title, text))


@lru_cache(maxsize=1024)
def mentions(text: str) -> tuple[tuple[str, str], ...]:
    """(topic, sentence) for each topic a text mentions, the broader topics of a kind included
    ("infections.pml" mentions "infections" too), each with the first sentence that mentions it;
    a sentence that denies a harm or counsels the reader mentions nothing. For text that is not
    a warning (an adverse-reactions section, a population's section): what the label says of a
    topic outside its warnings."""
    out: dict[str, str] = {}
    for sentence in _sentences(text):
        if not _asserts(sentence):
            continue
        for item in _ITEMS.split(sentence):
            if ":" in item:  # "Cardiovascular System: ...": the heading names no event
                item = item.rsplit(":", 1)[1]
            for key, words in _matches(item):
                if words.lower() in _ORGAN_WORDS or _TRIAL_NAME.search(item):
                    continue  # an organ or a trial's name, not an event of its own
                for k in with_parents((key,)):
                    out.setdefault(k, sentence)
    return tuple(out.items())


# a list's items ("anaphylaxis, angioneurotic edema; liver failure"); a mention is an item's
_ITEMS = re.compile(r"[,;]\s+|\s+\(|\)\s*")
_ORGAN_WORDS = frozenset({"cardiac", "heart", "cardiovascular", "vascular", "hepatic", "renal"})
_TRIAL_NAME = re.compile(r"\b(trial|study|studies)\b", re.I)


def term_topics(term: str) -> tuple[str, ...]:
    """The topics of a MedDRA preferred-term name, an adverse-reaction table row or a FAERS
    reaction, by the same keyword rules ("Pneumonia" -> ("infections",); "Haemorrhage" ->
    ("bleeding",); "Neuroleptic malignant syndrome" -> ("neuroleptic_malignant_syndrome",)).
    A term no rule matches ("Nausea", "Death") has no topic: ``()``."""
    seen: list[str] = []
    for key, _ in _matches(" ".join(term.split())):
        if key not in seen:
            seen.append(key)
    return tuple(seen)


def section_topics(section: Section) -> tuple[tuple[Section, tuple[str, ...]], ...]:
    """(subsection, topics) for each part of a W&P section, boxed warning or contraindications
    section that stands on its own: each subsection without subsections of its own, or the
    section itself when it has none. A subsection's title is read without its number; an
    untitled part takes the title of the nearest titled subsection holding it."""
    out: list[tuple[Section, tuple[str, ...]]] = []

    def leaves(s: Section, title: str) -> None:
        own = re.sub(r"^\s*\d+(?:\.\d+)*\s*", "", s.title).strip()
        title = own or title
        if not s.subsections:
            out.append((s, assign_topics(title, s.text)))
        for child in s.subsections:
            leaves(child, title)

    if section.subsections:
        for child in section.subsections:
            leaves(child, "")
    else:
        leaves(section, "")
    return tuple(out)


# the sections whose parts are warnings, by the kind the lead's alignment names them
_WARNING_SECTIONS = (
    ("boxed_warning", loinc.BOXED_WARNING),
    ("contraindications", loinc.CONTRAINDICATIONS),
    ("warnings_and_precautions", loinc.WARNINGS_AND_PRECAUTIONS),
    ("warnings", loinc.WARNINGS),  # older (non-PLR) labels
    ("precautions", loinc.PRECAUTIONS),
)


def label_topics(label: Label) -> dict[str, tuple[tuple[str, Section], ...]]:
    """Every topic a label's boxed warning, contraindications and warnings (and precautions)
    assign, with where: ``{"bleeding": (("warnings_and_precautions", <Section 5.8>), ...)}``,
    in the label's order. Keys are as assigned (kinds such as ``infections.serious``); use
    :func:`with_parents` to compare at the broader level. A section the label does not hold
    adds nothing: whether the label holds it (in full or in part) is for the caller to say."""
    out: dict[str, list[tuple[str, Section]]] = {}
    for kind, code in _WARNING_SECTIONS:
        for top in label.sections:
            if top.code != code:
                continue
            for part, keys in section_topics(top):
                for key in keys:
                    out.setdefault(key, []).append((kind, part))
    return {key: tuple(places) for key, places in out.items()}


__all__ = [
    "TOPICS",
    "SafetyTopic",
    "TopicMatch",
    "assign_topics",
    "label_topics",
    "mentions",
    "section_topics",
    "term_topics",
    "topic_label",
    "topic_matches",
    "topic_parent",
    "with_parents",
]
