"""Which post-marketing events a comparison asks about: those of the two labels' warnings.

The pack's event groups (MedDRA preferred terms, as data in ``knowledge/event_groups.json``) are
matched to the warning topics both labels carry, only one carries, or one carries where the
other's section is not held (:func:`~rxcompare.comparison.align.align`): a group is asked about
when the words of a topic (its key, name and the labels' own subsection titles) name the group's
subject. Deaths are always counted. So an antiplatelet pair is asked about bleeding, never about
PML; the words below name kinds of event, not facts about any medicine.
"""

from __future__ import annotations

import re

from rxcompare.comparison.align import AlignedTopic

ALWAYS = ("death",)

# group name -> words of a warning topic that name its subject
GROUP_WORDS: dict[str, str] = {
    "progressive multifocal leukoencephalopathy": r"progressive multifocal|\bpml\b",
    "herpes infection": r"herpes|zoster",
    "hepatitis B reactivation": r"hepatitis b|\bhbv\b",
    "pneumonia or sepsis": r"infection|sepsis|pneumonia",
    "infusion or injection reaction": r"infusion|injection|administration.reaction",
    "breast cancer": r"malignan|breast cancer",
    "lymphoma": r"malignan|lymphoma",
    "hypogammaglobulinaemia": r"immunoglobulin|hypogammaglobulin",
    "bleeding": r"bleed|haemorrh|hemorrh",
    "liver injury": r"liver|hepat(?!itis b)|transaminase",
    "pancreatitis": r"pancreatit",
    "hypoglycaemia": r"hypoglyc",
    "hypersensitivity or anaphylaxis": r"hypersensitiv|anaphyla|angio.?edema|angio.?oedema",
    "heart rhythm": r"\bqt\b|arrhythm|bradycard|atrioventricular|cardiac",
    "heart failure": r"heart failure|cardiac",
    "venous thromboembolism": r"thrombo|embol",
    "serious skin reactions": r"\bskin\b|stevens|epidermal necrolysis|\bdress\b",
    "suicidality": r"suicid",
    "seizures": r"seizure|convuls",
    "rhabdomyolysis or myopathy": r"rhabdomyolysis|myopath|skeletal muscle|musculoskeletal",
}
_COMPILED = {name: re.compile(words, re.IGNORECASE) for name, words in GROUP_WORDS.items()}


def _words(t: AlignedTopic) -> str:
    return " ".join((t.key.replace("_", " "), t.name, t.titles, t.family.replace("_", " ")))


def groups_for(
    aligned: tuple[AlignedTopic, ...], groups: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """The event groups (name -> terms) the two labels' warnings name, in the pack's order, the
    groups always counted, and any group the vocabulary has no words for (a user's own group is
    asked, not guessed away)."""
    text = " | ".join(_words(t) for t in aligned)
    wanted = {name for name, rx in _COMPILED.items() if rx.search(text)} | set(ALWAYS)
    return {
        name: terms for name, terms in groups.items() if name in wanted or name not in _COMPILED
    }


__all__ = ["ALWAYS", "GROUP_WORDS", "groups_for"]
