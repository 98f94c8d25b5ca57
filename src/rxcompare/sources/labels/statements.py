"""Facts stated in words: indications, the boxed warning, contraindications, warnings and
precautions (topic from the title, :mod:`rxcompare.sources.labels.warning_topics`), vaccination
timing, contraception after the last dose, mechanism of action, target and antibody type.
"""

from __future__ import annotations

import re

from rxcompare.models import Fact, Section
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.dosing import (
    COUNT,
    count_value,
)
from rxcompare.sources.labels.fact_context import (
    LIMITATION,
    FactContext,
    first_statement,
    section_texts,
)
from rxcompare.sources.labels.text import (
    clean,
    first_sentence,
    is_heading_line,
    sentences,
    split_caps_heading,
)
from rxcompare.sources.labels.warning_topics import classify_warning

# --- indications, boxed warning, contraindications ---------------------------------------------

_INDICATED = re.compile(r"\bindicated\b", re.IGNORECASE)
_NOT_INDICATED = re.compile(r"\bnot\s+(?:been\s+)?indicated\b", re.IGNORECASE)


def _with_list(lines: list[str], i: int, sentence: str) -> str:
    """A lead-in sentence ending in ':' with the list items that follow it ("...indicated to:
    Reduce the risk of myocardial infarction; Reduce the risk of stroke")."""
    if not sentence.endswith(":"):
        return sentence
    items = []
    for line in lines[i + 1 : i + 9]:
        if line.endswith(":") or len(line.split()) > 40:
            break
        items.append(clean(line).rstrip(";,."))
    return f"{sentence} {'; '.join(items)}" if items else sentence


def indication_facts(ctx: FactContext, section: Section) -> list[Fact]:
    facts = []
    parts = [s for s in section.subsections if not LIMITATION.search(s.title)] or [section]
    for part in parts:
        for sub, text in section_texts(ctx, part):
            lines = text.splitlines()
            for i, line in enumerate(lines):
                for sent in sentences(line):
                    if _INDICATED.search(sent) and not _NOT_INDICATED.search(sent):
                        population = part.title if part is not section else None
                        facts.append(
                            ctx.fact(
                                "indication", _with_list(lines, i, sent), sub, population=population
                            )
                        )
    if not facts and section.text and len(section.text) <= 400:  # OTC "Uses": a short list
        facts.append(ctx.fact("indication", " ".join(section.text.splitlines()), section))
    return facts


def boxed_facts(ctx: FactContext, section: Section) -> list[Fact]:
    """One fact per heading of the boxed warning (its first sentence); with no headings, one per
    paragraph."""
    lines = section.text.splitlines()
    has_headings = any(is_heading_line(line) for line in lines)
    facts: list[Fact] = []
    heading: str | None = None
    pending = True
    for line in lines:
        if is_heading_line(line):
            heading, pending = line.rstrip(":"), True
            continue
        if not has_headings:
            pending = True
        for sent in sentences(line):
            caps, body = split_caps_heading(sent, ctx.names)
            if caps:
                heading, pending, sent = caps.rstrip(":"), True, body
            if pending and len(sent.split()) >= 3:
                facts.append(ctx.fact("boxed_warning", sent, section, heading=heading))
                pending = False
    return facts


_CONTRA = re.compile(
    r"contraindicated|\bdo not (?:use|administer|take)\b|\bmust not\b|\bshould not\b", re.IGNORECASE
)


def contraindication_facts(ctx: FactContext, section: Section) -> list[Fact]:
    facts: list[Fact] = []
    if section.subsections:
        for sub in section.subsections:
            text = next((t for _, t in section_texts(ctx, sub)), "")
            said = [s for s in sentences(text) if _CONTRA.search(s)]
            first = first_sentence(text)
            if said:
                facts.append(ctx.fact("contraindication", said[0], sub, condition=sub.title))
            elif first and len(first.split()) <= 25:
                facts.append(ctx.fact("contraindication", first, sub, condition=sub.title))
            elif sub.title:
                facts.append(ctx.fact("contraindication", sub.title, sub, condition=sub.title))
        return facts
    lines = section.text.splitlines()
    first = first_sentence(section.text)
    if re.fullmatch(r"none\.?", first, re.IGNORECASE):
        return [ctx.fact("contraindication", first, section, none="true")]
    for i, line in enumerate(lines):
        for sent in sentences(line):
            if _CONTRA.search(sent):
                if sent.endswith(":"):  # "X is contraindicated in patients with:" + a list
                    for item in lines[i + 1 : i + 12]:
                        if item.endswith(":") or len(item.split()) > 40:
                            break
                        facts.append(ctx.fact("contraindication", item.rstrip(";,."), section))
                else:
                    facts.append(ctx.fact("contraindication", sent, section))
    return facts


# --- warnings and precautions ----------------------------------------------------------------


def warning_facts(ctx: FactContext, section: Section) -> list[Fact]:
    facts = []
    for sub in section.subsections or (section,):
        first = first_statement(ctx, sub)
        if not first:
            continue
        topic, subject = (
            classify_warning(sub.title, sub.text) if sub is not section else ("warning.other", None)
        )
        extra = {"subject": subject} if subject else {}
        if topic == "warning.administration_reactions":
            extra["kind"] = (
                "infusion" if re.search(r"infusion", sub.title, re.IGNORECASE) else "injection"
            )
        facts.append(ctx.fact(topic, first, sub, **extra))
    return facts


# --- vaccination, contraception, mechanism -----------------------------------------------------

_VACCINE_TIMING = re.compile(
    r"(?:at least|a minimum of|no less than)\s+(?P<n>"
    + COUNT
    + r")\s+weeks?\s+(?:prior to|before)\s+"
    r"(?:the\s+)?(?:initiation|initiating|start|starting|first dose|treatment|beginning)",
    re.IGNORECASE,
)
_NON_LIVE = re.compile(r"non[-\u2011\s]?live|inactivated", re.IGNORECASE)
_LIVE = re.compile(r"\blive\b", re.IGNORECASE)
_CONTRACEPTION = re.compile(
    r"(?:for|during|until)\s+(?:at least\s+)?(?P<n>"
    + COUNT
    + r")\s+(?P<unit>months?|weeks?|days?)\s+"
    r"(?:after|following)\s+(?:the\s+)?(?:last|final)\s+(?:dose|infusion|injection|treatment|administration)",
    re.IGNORECASE,
)


def _vaccine_kind(segment: str, sentence: str) -> str | None:
    for text in (segment, sentence):
        non_live = bool(_NON_LIVE.search(text))
        live = bool(_LIVE.search(_NON_LIVE.sub(" ", text)))
        if non_live != live:
            return "vaccination.non_live" if non_live else "vaccination.live"
    return None


def timing_facts(ctx: FactContext, sections: list[Section]) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple] = set()
    for top in sections:
        for sub, text in section_texts(ctx, top):
            for sent in (s for line in text.splitlines() for s in sentences(line)):
                if re.search(r"vaccin|immuniz", sent, re.IGNORECASE):
                    matches = list(_VACCINE_TIMING.finditer(sent))
                    for i, m in enumerate(matches):
                        end = matches[i + 1].start() if i + 1 < len(matches) else len(sent)
                        topic = _vaccine_kind(sent[m.start() : end], sent)
                        key = (topic, count_value(m.group("n")))
                        if topic and key not in seen:
                            seen.add(key)
                            facts.append(
                                ctx.fact(topic, sent, sub, count_value(m.group("n")), "weeks")
                            )
                if re.search(r"contracep", sent, re.IGNORECASE):
                    for m in _CONTRACEPTION.finditer(sent):
                        unit = m.group("unit").lower().rstrip("s") + "s"
                        key = ("pregnancy.contraception", count_value(m.group("n")), unit)
                        if key not in seen:
                            seen.add(key)
                            facts.append(
                                ctx.fact(
                                    "pregnancy.contraception",
                                    sent,
                                    sub,
                                    count_value(m.group("n")),
                                    unit,
                                )
                            )
    return facts


_TARGET = re.compile(
    r"(?<!not )\b(?:binds?|binding)\s+(?:\w+ly\s+)?to\s+(?:the\s+|an?\s+)?(?:human\s+)?(?P<t1>[A-Z][\w\-\u2010]*)"
    r"|\bdirected\s+against\s+(?:the\s+)?(?:human\s+)?(?P<t2>[A-Z][\w\-\u2010]*)"
)
_ANTIBODY = re.compile(
    r"\b(?P<kind>humanized|humanised|human|chimeric|murine)\s+(?:(?P<iso>IgG\d)\w*\s+)?"
    r"(?:(?:kappa|lambda)\s+)?monoclonal\s+antibod",
    re.IGNORECASE,
)


def _acronym(token: str) -> str | None:
    """A target named like CD20, TNF-alpha or IL-6 (an upper-case or digit-bearing token)."""
    token = token.rstrip("-\u2010")
    head = token.split("-")[0]
    if sum(c.isupper() or c.isdigit() for c in head) >= 2:
        return token
    return None


def mechanism_facts(ctx: FactContext) -> list[Fact]:
    facts: list[Fact] = []
    moa = ctx.label.find(code=loinc.MECHANISM_OF_ACTION)
    if moa is not None and moa.text:
        sents = [s for line in moa.text.splitlines() for s in sentences(line)]
        about = [s for s in sents if any(n in s.lower() for n in ctx.names | ctx.name_words)]
        facts.append(ctx.fact("mechanism.action", (about or sents)[0], moa))
        targets: dict[str, str] = {}
        for sent in sents:
            for m in _TARGET.finditer(sent):
                target = _acronym(m.group("t1") or m.group("t2"))
                if target and target not in targets:
                    targets[target] = sent
        facts += [ctx.fact("mechanism.target", s, moa, target=t) for t, s in targets.items()]
    for section in [moa, ctx.label.find(code=loinc.DESCRIPTION)]:
        if section is None:
            continue
        for sent in (s for line in section.text.splitlines() for s in sentences(line)):
            m = _ANTIBODY.search(sent)
            if m:
                kind = m.group("kind").lower().replace("humanised", "humanized")
                return [
                    *facts,
                    ctx.fact(
                        "mechanism.antibody_type",
                        sent,
                        section,
                        antibody_type=kind,
                        isotype=m.group("iso") or "",
                    ),
                ]
    return facts


__all__ = [
    "boxed_facts",
    "contraindication_facts",
    "indication_facts",
    "mechanism_facts",
    "timing_facts",
    "warning_facts",
]
