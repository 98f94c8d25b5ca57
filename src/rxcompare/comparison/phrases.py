"""The connective phrases of findings: structure only, never a fact about a medicine.

Every phrase here is filled with label text, figures or names that come with citations. Keeping
them in one table keeps the wording reviewable and lets the audience change wording, not content.
"""

from __future__ import annotations

DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    # key, clinician title, patient title
    ("patient_factors", "Your patient's factors", "What matters for you"),
    ("mechanism", "Mechanism", "How it works"),
    ("administration", "Administration", "How it is given"),
    ("administration_reactions", "Administration reactions", "Reactions when it is given"),
    ("infections", "Infections", "Infections"),
    ("vaccinations", "Vaccinations", "Vaccines"),
    ("malignancy", "Malignancy", "Cancer"),
    ("immunoglobulins", "Immunoglobulins", "Antibody levels in the blood"),
    ("pregnancy", "Pregnancy and lactation", "Pregnancy and breastfeeding"),
    ("other_warnings", "Other warnings", "Other warnings"),
    (
        "trial_reactions",
        "Adverse reactions in the pivotal trials",
        "Side effects in the main studies",
    ),
    ("postmarketing", "Post-marketing reports (FAERS)", "Reports after approval"),
    ("monitoring", "Monitoring", "Tests and check-ups"),
    ("convenience", "Convenience", "Day-to-day convenience"),
)

TOPIC_NAMES = {
    "indication": "indication",
    "mechanism.target": "target",
    "mechanism.antibody_type": "antibody type",
    "mechanism.action": "mechanism of action",
    "admin.route": "route",
    "admin.dose.initial": "initial dosing",
    "admin.dose.maintenance": "maintenance dosing",
    "admin.infusion_duration": "duration of each administration",
    "admin.administered_by": "who administers it",
    "admin.setting": "where it is given",
    "admin.premedication": "premedication",
    "admin.observation": "observation after dosing",
    "admin.missed_dose": "missed doses",
    "boxed_warning": "boxed warning",
    "contraindication": "contraindications",
    "warning.infections": "infections",
    "warning.serious_infections": "serious infections",
    "warning.herpes": "herpes infections",
    "warning.hbv": "hepatitis B (screening and reactivation)",
    "warning.pml": "progressive multifocal leukoencephalopathy (PML)",
    "warning.administration_reactions": "infusion or injection reactions",
    "warning.immunoglobulins": "reduction in immunoglobulins",
    "warning.malignancy": "malignancies",
    "warning.colitis": "colitis",
    "warning.liver_injury": "liver injury",
    "warning.other": "other warnings and precautions",
    "warning.fetal_risk": "fetal risk",
    "vaccination.live": "live or live-attenuated vaccines before treatment",
    "vaccination.non_live": "non-live vaccines before treatment",
    "vaccination.during_treatment": "vaccination during treatment",
    "vaccination.infants": "vaccinating infants exposed in utero",
    "pregnancy.contraception": "contraception after the last dose",
    "pregnancy.risk": "risk in pregnancy",
    "lactation": "lactation",
    "monitoring": "required tests and monitoring",
    "trial.design": "pivotal trials",
}

BOTH_STATE = "Both labels address {topic}."
BOTH_ELSEWHERE = "Both labels address {topic}; for {who} the pack holds it only under {where}."
ONLY_ONE = "Only the {has} label addresses {topic}; the {lacks} label states nothing on it."
ONLY_ONE_MENTIONS = (
    "Only the {has} label mentions {topic} (under {where}); the {lacks} label states nothing on it."
)
BOTH_WARN = "Both labels warn of {topic}."
TOPIC_TITLES = "{name} ({titles})"
ONLY_WARNS = (
    "Only the {has} label warns of {topic}; the {lacks} label's warnings and precautions, held in "
    "full, do not."
)
# a patient's summary: the connective words of clinician lines said in plain words
PATIENT_WORDS = (
    (
        " label's warnings and precautions, held in full, do not.",
        " label does not (this tool has its whole warnings section).",
    ),
    (
        " label's warnings and precautions, held in full, do not; events of this kind are named in ",
        " label does not warn of them (this tool has its whole warnings section); events of this "
        "kind are named in ",
    ),
    (" share no indication in the pack (", " are not used for the same condition here ("),
    (
        ": this compares their labels, not two treatment options for one condition.",
        ": this compares their labels, not two choices for one condition.",
    ),
    (
        ": the pack holds the whole label (parsed from its SPL document).",
        ": this tool has the whole label.",
    ),
)
ONLY_WARNS_MENTIONED = (
    "Only the {has} label warns of {topic}; the {lacks} label's warnings and precautions, held in "
    "full, do not; events of this kind are named in its {where}."
)
GAP_WARNS = (
    "The {has} label warns of {topic}; the {lacks} label's warnings and precautions are not held in "
    "full in the pack, so whether it does cannot be told here."
)
WARNS_NOT = "No warning on this in the warnings and precautions (held in full)."
BOXED_ONLY = "Only the {has} label carries a boxed warning; the {lacks} label has none."
NEITHER = "Neither label states anything on {topic}."
LACKS = "The label states nothing on {topic}."
LACKS_TOPIC = {"boxed_warning": "No boxed warning."}  # the cell of a label held in full without one
UNDER = "under {where}: {text}"
GAP_ONE = (
    "Only the {has} label's statement on {topic} is in the pack; section {section} of the {lacks} "
    "label is not, so the two cannot be compared here."
)
UNEXTRACTED_ONE = (
    "Only the {has} label's statement on {topic} is in the pack; none was extracted from section "
    "{section} of the {lacks} label (held in full, read only in part), so the two cannot be "
    "compared here."
)
NOT_EXTRACTED = "no statement extracted (the section is held, but read only in part)"
GAP_SILENT = "The {silent} label states nothing on {topic}; section {section} of the {gap} label is not in the pack."
GAP_BOTH = (
    "Section {section} of neither label is in the pack, so nothing on {topic} can be said here."
)
VALUES = "{topic}: {a} {a_value} vs {b} {b_value}."
SILENCE_CAVEAT = "A label's silence on a risk is not evidence that the risk is absent."
BOTH_CAVEAT = "Both labels carrying a warning does not make the risks equal; no data here compare them directly."
BOXED_CAVEAT = "A boxed warning reflects the regulator's view of a serious risk in the labelled population; it is not a measured rate."
DERIVED_CAVEAT = "Counted from the labelled dosing schedule (doses due), not from observed practice; missed or delayed doses are not counted."

TRIAL_ARM = "{trial}: {event}: {arm} {pct}% (N={n}) vs {comp} {cpct}% (N={cn}); risk difference {rd} percentage points (95% CI {lo} to {hi})."
TRIAL_H2H = "Head-to-head in {trial}: {event}: {a} {apct}% (N={an}) vs {b} {bpct}% (N={bn}); risk difference {rd} percentage points (95% CI {lo} to {hi})."
NO_H2H_PATIENT = (
    "No study here compared {a} and {b} directly: each was compared with another treatment in "
    "its own studies, so their numbers cannot be set side by side."
)
NO_H2H = "No head-to-head trial of {a} and {b} is in the evidence: each drug is shown against its own trial's comparator, and the two trials' percentages are not compared with each other."
NO_TRIALS = "The evidence holds no trial incidence table for {drug}."
RECONSTRUCTED = (
    "Patient counts are reconstructed from the label's rounded percentages and arm sizes."
)

DESCRIBE = "{topic}: {a} {a_value}; {b} {b_value}."
NOT_STATED = "the label states nothing"
DESCRIBE_TEXTS = "{topic} — {a}: “{a_text}” {b}: “{b_text}”"
YEARS = "{y1} in year 1, {y2} in year 2"
BURDEN = "{a}: {a1} administrations in year 1 and {a2} in year 2; {b}: {b1} in year 1 and {b2} in year 2."
VISITS = "Clinic visits for administration — {a}: {a1} in year 1, {a2} in year 2; {b}: {b1} in year 1, {b2} in year 2."
CONVENIENCE = "Which is more convenient depends on the patient's preferences; route, schedule, who gives it and where are set out under Administration."
BURDEN_NOT_SAFETY = "How often a medicine is given is a matter of burden and convenience, not of safety; it is not counted for either drug."
ROUTES_DIFFER = "The routes differ, so numbers of doses are not comparable burdens."
NO_SCHEDULE = "The evidence holds no complete dosing schedule for {drug}, so its administrations cannot be counted."

POSTMARKETING_ABSENT = "No post-marketing reports were analysed: {reason}"
POSTMARKETING_ADVICE = (
    "Ingest FAERS quarters with `rxcompare faers ingest` (then pass --warehouse DIR), or use "
    "--online for openFDA counts."
)
POSTMARKETING_ABSENT_PATIENT = (
    "Reports of side effects sent in after approval (FAERS) were not looked at here."
)

VERDICT_SUMMARY = (
    "On the evidence here, {a} is favoured on {na} point(s) and {b} on {nb} point(s); on {nu} point(s) "
    "the evidence cannot tell or shows no difference. The points differ in weight and kind, so these "
    "counts are not an overall ranking of safety."
)

# The summary (comparison/summary.py): connective words only; names, figures and sections are
# filled in from the evidence.
ANSWER_NONE = (
    "The evidence here does not show either medicine to be safer overall: {nd} {favour} neither, "
    "{ns} {are} shared, and {nc} cannot be told."
)
DIFFERENCES_ALL = "the {n} below"
DIFFERENCES_SOME = "the {total} differences (the {n} weightiest below)"
MORE_DIFFERENCES = "{n} {are} in the full evidence (--full, the HTML report)."
MORE_FIGURES = "{n} {are} in the full evidence (--full, the HTML report)."
MORE_DIFFERENCES_PATIENT = "{n} {are} in the detailed comparison."
MORE_FIGURES_PATIENT = "{n} {are} in the detailed comparison."
ANSWER_FAVOURED = "{n} {favour} {drug}"
ANSWER_SOME = (
    "The evidence here does not show either medicine to be safer overall: of {nd}, "
    "{favoured}, but {caveat}; both share {ns}, and {nc} cannot be told."
)
NOT_A_RANKING = "they differ in weight and kind, so this is not a ranking"
NOT_A_RANKING_ONE = "one difference is not a ranking"
# the counted nouns (singular, plural)
DIFFERENCE = ("difference", "differences")
FIGURE_NOUN = ("figure", "figures")
NUMBER_NOUN = ("number", "numbers")
WARNING_TOPIC = ("warning topic", "warning topics")
POINT = ("point", "points")


def counted(n: int, noun: tuple[str, str], more: bool = False) -> str:
    """'1 point', '3 points' ('3 more points'): a count with its noun in the number it takes."""
    return f"{n} {'more ' if more else ''}{noun[0] if n == 1 else noun[1]}"


def verb(n: int, one: str, many: str) -> str:
    """The verb's form for a count: verb(1, "is", "are") -> "is"."""
    return one if n == 1 else many


FIGURE = "{measure}: {drug} {pct}% vs {comparator} {cpct}%{trials}."
FIGURE_H2H = (
    "{measure}: {drug} {pct}% vs {comparator} {cpct}%{trials}; head-to-head against {other}."
)
FIGURE_H2H_INGREDIENT = (
    "{measure}: {drug} {pct}% vs {comparator} {cpct}%{trials}; head-to-head against {other}'s "
    "active ingredient."
)
FIGURE_TRIALS = " ({trials})"
GAP_WARNINGS = (
    "The {has} label warns of {topics}; the {lacks} label's warnings and precautions are not held in "
    "full in the pack, so whether it warns of them cannot be told here."
)
GAP_WARNINGS_PATIENT = (
    "The {has} label warns about {topics}; this tool does not have the whole warnings section of "
    "the {lacks} label, so it cannot tell whether that label warns about them too."
)
INDICATION_NOT_HELD = (
    "The pack records no shared indication ({a}: {ia}; {b}: {ib}), but it does not hold both labels' "
    "indications section in full, so a shared indication cannot be ruled out."
)
GRADE_NAMES = {
    "label": "label",
    "trial": "trial",
    "secondary": "secondary source",
    "postmarketing": "post-marketing reports",
    "absent": "no evidence",
}
NO_SHARED_INDICATION = (
    "{a} and {b} share no indication in the pack ({a}: {ia}; {b}: {ib}): this compares their "
    "labels, not two treatment options for one condition."
)
NO_INDICATION = "none recorded"
RESOLVED_AS = "'{query}' taken as {brand}, the {ingredient} product for {indication}, the indication it shares with {other}."
SEVERAL_VERSIONS = (
    "{drug}: the pack's facts were read from {n} versions of its label ({versions}); each fact "
    "cites its own."
)
SEVERAL_VERSIONS_PATIENT = (
    "{drug}: the information comes from {n} versions of its label; each point names the one it "
    "comes from."
)
UNREAD_TABLES = (
    "{drug}: {n} adverse-reaction table(s) of its label could not be read unambiguously (arms or "
    "rows that cannot be told apart), so their figures are not used here: {captions}."
)
RESOLVED_TO = "'{query}' taken as {product}."
# the products of the name not taken (each described from the pack: brand, ingredient, route, indication)
OTHER_PRODUCTS = "{others} {verb} another {ingredient} product, not compared here; name it by its brand to compare it."
FACTORS_GIVEN = "Patient factors given: {factors}."
SHARED_LINE = "{topic}: {where}."
# Where a shared warning was read, per drug: the label's own section numbers, then the other kinds
# of document by name (their headings are in the footnotes, not beside the section numbers).
WHERE_LABEL = "label {sections}"
WHERE_OTHER = {  # models.Citation.source_class -> (one document, several)
    "patient-labelling": ("patient labelling", "patient labelling"),
    "secondary": ("a secondary summary", "secondary summaries"),
    "publication": ("a publication", "publications"),
    "eu-label": ("an EU text", "EU texts"),
}
WHERE_AND = " and "
DIFFERENT_COMPARATORS = (
    "The trials used different comparators ({a}: {ca}; {b}: {cb}), so their percentages are not "
    "compared with each other."
)
NONE_HELD = "none"
COVERAGE_TITLE = "knowledge pack: coverage record of the {drug} entry"
COVERAGE_FULL = "{drug}: the pack holds the whole label (parsed from its SPL document)."
COVERAGE_MISSING = "{drug}: label {missing} not held in full in the knowledge pack."
COVERAGE_ADVICE = (
    "`rxcompare pack update {id}` (online) or `rxcompare pack build --spl FILE` fills them."
)
COVERAGE_MISSING_PATIENT = (
    "{drug}: parts of its label ({missing}) are not in this tool's records in full, so some "
    "points cannot be compared here."
)
COVERAGE_MISSING_PATIENT_BOTH = (
    "{drugs}: parts of their labels ({missing}) are not in this tool's records in full, so some "
    "points cannot be compared here."
)
SECTION_NAMES = {"BW": "boxed warning"}  # other sections by number

FACTORS = {
    "prior_immunosuppressant": (
        "with prior or concurrent immunosuppressive therapy",
        ("immunosuppress", "immune system"),
        ("infections",),
    ),
    "hbv_positive": ("with hepatitis B (HBV) infection or carriage", ("hepatitis b", "hbv"), ()),
    "planning_pregnancy": (
        "planning a pregnancy",
        ("pregnan", "contracepti", "fetal", "infant"),
        ("pregnancy", "vaccinations"),
    ),
    "needle_averse": (
        "with an aversion to needles or self-injection",
        ("self-inject", "subcutaneous", "infusion", "injection"),
        ("administration", "convenience", "administration_reactions"),
    ),
}


def title(key: str, audience: str = "clinician") -> str:
    for k, clinician, patient in DIMENSIONS:
        if k == key:
            return patient if audience == "patient" else clinician
    return key.replace("_", " ").capitalize()


def topic_name(topic: str) -> str:
    return TOPIC_NAMES.get(topic, topic.split(".")[-1].replace("_", " "))


# ---- registry trials (ClinicalTrials.gov) -------------------------------------------------

REG_SOURCE = (
    "ClinicalTrials.gov: {n} trial(s) of {drug} with posted results counted ({trials}); {source}."
)
REG_FETCHED = "fetched {date}"
REG_CACHED = "read from the trials cache, fetched {date}"
REG_NONE = "ClinicalTrials.gov: no trial of {drug} with posted results and a randomised comparison was found ({source})."
REG_ERROR = "ClinicalTrials.gov could not be read for {drug}: {error}"
REG_EXCLUDED = "{trial}, not counted or only in part: {problems}"
REG_KEPT_APART = "{trial}: groups kept out of the randomised comparison: {groups}."
REG_ARM = (
    "{trial}: {event}{kind}: {arm} {x} of {n} ({pct}%) vs {comp} {cx} of {cn} ({cpct}%); "
    "risk difference {rd} percentage points (95% CI {lo} to {hi})."
)
REG_H2H = "Head-to-head in " + REG_ARM
REG_SERIOUS = " (serious)"
REG_OTHER = " (other, not serious)"
REG_ANY_SERIOUS = "any serious adverse event"
REG_GROUP = "{group}: {event}"
REG_THRESHOLD = (
    "Other (not serious) adverse events are listed in the registry only above the trial's frequency "
    "threshold of {threshold}%; a term not listed may have occurred below it."
)
REG_POOLED = (
    "Pooled by adding the counts of {trials}, trials of one design (same comparator, allocation, "
    "model and phase) for which the registry gives both arms; not a stratified analysis."
)
REG_NOT_POOLED = "Not pooled, as not listed for both arms in every one of {trials}: {terms}."
REG_TIME_FRAME = "Time frame: {time_frame}."
REG_TERMS_SHOWN = (
    "{shown} of {total} terms of this group shown (those most frequent in the {drug} arm)."
)
REG_COMPARATORS_DIFFER = (
    "In the registry trials here, {a} was tested against {ca} and {b} against {cb}: the comparators "
    "differ, and no figure of one drug's trials is compared with the other's."
)
REG_COMPARATORS_SAME = (
    "In the registry trials here, both drugs were tested against {c}, but in different trials; no "
    "figure of one drug's trials is compared with the other's."
)
REG_PER_TERM = "The registry counts patients per term; a patient may count under several terms, so terms are not added up."
REG_GROUP_NAMES = {
    "infections": "Infections and infestations",
    "administration": "Injection- or infusion-related reactions",
    "neoplasms": "Neoplasms",
    "other": "Other adverse events",
}


def cap(text: str) -> str:
    """First letter upper-case, the rest as written ("Hepatitis B", not "Hepatitis b")."""
    return text[:1].upper() + text[1:]
