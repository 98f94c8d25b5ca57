"""Administration facts: routes (product data), doses and intervals (dosage and administration).

Sentences that state a condition ("may be increased to", "if", "maximum") are not read as the
recommended dosing.
"""

from __future__ import annotations

import re

from rxcompare.models import Fact, Section
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.fact_context import (
    FactContext,
    section_texts,
)
from rxcompare.sources.labels.text import (
    sentences,
)

# --- administration --------------------------------------------------------------------------

_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_DOSE = r"(?P<dose>\d+(?:\.\d+)?)\s*(?P<unit>mg/kg|mg/m2|mg|mcg|g)(?![\w/])"
_INTERVAL = (
    r"(?P<interval>every\s+other\s+(?:day|week)|every\s+" + COUNT + r"\s+(?:days?|weeks?|months?)"
    r"|every\s+(?:day|week|month)|once\s+(?:a\s+|per\s+|every\s+)?(?:day|week|month)"
    r"|once\s+(?:daily|weekly|monthly)|daily|weekly|monthly)"
)
_MAINTENANCE = re.compile(
    _DOSE + r"(?P<mid>[^.;:()\d]{0,40}?)\s+" + _INTERVAL + r"\b", re.IGNORECASE
)
_PER_DAY = re.compile(r"(?P<dose>\d+(?:\.\d+)?)\s*(?P<unit>mg|mcg|g)/day\b", re.IGNORECASE)
_INITIAL = (
    re.compile(  # "20 mg ... at Weeks 0, 1, and 2"
        _DOSE + r"[^.;()\d]{0,60}?\bat\s+Weeks\s+(?P<weeks>\d+(?:\s*,\s*\d+)*,?\s*and\s+\d+)",
        re.IGNORECASE,
    ),
    re.compile(_DOSE + r"\s+(?:initially\s+)?(?:on|at)\s+Day\s+(?P<day>\d+)", re.IGNORECASE),
    # "followed by 80 mg two weeks later (Day 15)"; the count is lower-case: in flattened lists
    # "80 mg Two weeks later (Day 29): ..." starts the next item
    re.compile(
        _DOSE + r"\s+(?-i:" + COUNT + r")\s+weeks?\s+later\s*\(Day\s+(?P<day>\d+)\)", re.IGNORECASE
    ),
    re.compile(
        r"followed\s+(?P<later>" + COUNT + r")\s+weeks?\s+later\s+by\s+(?:a\s+second\s+)?" + _DOSE,
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:initial|loading|first|starting)\s+dose(?:\s+is|\s+of|:)\s*" + _DOSE, re.IGNORECASE
    ),
)
_STARTS = (
    (re.compile(r"starting\s+(?:at\s+)?Week\s+(?P<n>\d+)", re.IGNORECASE), "week"),
    (
        re.compile(
            r"starting\s+(?P<n>" + COUNT + r")\s+weeks?\s+after\s+the\s+(?:initial|first)\s+dose",
            re.IGNORECASE,
        ),
        "week",
    ),
    (re.compile(r"\(Day\s+(?P<n>\d+)\)\s*,?\s*(?:begin|start|continue)", re.IGNORECASE), "day"),
    (re.compile(r"(?:starting|beginning)\s+(?:on\s+)?Day\s+(?P<n>\d+)", re.IGNORECASE), "day"),
)
_CONDITIONAL = re.compile(  # a condition, or a body-weight band ("15 kg to < 30 kg")
    r"\b(?:may|might|can|could|if|increas\w*|decreas\w*|reduc\w*|adjust\w*|maximum|exceed|"
    r"up to|titrat\w*|consider)\b|(?<![/\w])kg\b",
    re.IGNORECASE,
)
_BEFORE_DOSE = re.compile(r"(?:\bor|\bto|\band|[-\u2013]|" + COUNT + r")\s*$", re.IGNORECASE)


def count_value(token: str) -> float:
    return float(_WORDS.get(token.lower(), token))


def interval_days(phrase: str) -> int | None:
    """Days between doses for a dosing interval phrase: "every other week" -> 14, "every 4 weeks"
    -> 28, "every 6 months" -> 182 (months of 365.25/12 days, rounded down), "once daily" -> 1."""
    p = " ".join(phrase.lower().split())
    if p.startswith("every other"):
        return 2 if p.endswith("day") else 14
    m = re.fullmatch(r"every (\S+) (day|week|month)s?", p)
    n = count_value(m.group(1)) if m else 1.0
    units = (("dai", "day"), ("day", "day"), ("week", "week"), ("month", "month"))
    unit = m.group(2) if m else next((u for stem, u in units if stem in p), None)
    if unit is None:
        return None
    days = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}[unit] * n
    return int(days)


def _starts_day(clause: str) -> int | None:
    for pattern, unit in _STARTS:
        m = pattern.search(clause)
        if m:
            n = int(count_value(m.group("n")))
            return 7 * n + 1 if unit == "week" else n
    return None


def _plain_dose(clause: str, m: re.Match[str]) -> bool:
    """The dose is stated on its own, not as one end of a range or an alternative ("10 or 20 mg",
    "10 to 80 mg") nor as a count of units ("four 40 mg injections")."""
    return not _BEFORE_DOSE.search(clause[: m.start("dose")])


_STARTING = re.compile(
    r"\b(?:starting|initial)\s+dos(?:e|age)\b(?P<between>[^\d]{0,30}?)$", re.IGNORECASE
)


def _regimen(clause: str, m: re.Match[str]) -> str:
    """A repeated dose is the starting (initial) one when the words just before it call it so
    ("the recommended starting dose of LIPITOR is 10 mg/day")."""
    starting = _STARTING.search(clause[: m.start("dose")])
    if starting and not re.search(
        r"maintenance|followed|then", starting.group("between"), re.IGNORECASE
    ):
        return "admin.dose.initial"
    return "admin.dose.maintenance"


def dose_facts(ctx: FactContext, section: Section) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple] = set()

    def add(topic: str, sent: str, sub: Section, value: float, unit: str, **q: str) -> None:
        key = (topic, sub.number, value, unit, tuple(sorted(q.items())))
        if key not in seen:
            seen.add(key)
            population = sub.title if sub is not section else None
            facts.append(ctx.fact(topic, sent, sub, value, unit, population=population, **q))

    # openFDA puts the Highlights into the section's own text, run together: read subsections only
    for sub, text in section_texts(ctx, section, own=not ctx.flat):
        for sent in (s for line in text.splitlines() for s in sentences(line)):
            for clause in sent.split(";"):
                if _CONDITIONAL.search(clause):
                    continue
                used: set[int] = set()
                for pattern in _INITIAL:
                    for m in pattern.finditer(clause):
                        if not _plain_dose(clause, m):
                            continue
                        if "weeks" in m.groupdict() and m.group("weeks"):
                            weeks = [int(w) for w in re.findall(r"\d+", m.group("weeks"))]
                            days = ",".join(str(7 * w + 1) for w in weeks)
                        elif m.groupdict().get("day"):
                            days = m.group("day")
                        elif m.groupdict().get("later"):
                            days = str(7 * int(count_value(m.group("later"))) + 1)
                        else:
                            days = "1"
                        used.add(m.start("dose"))
                        add(
                            "admin.dose.initial",
                            sent,
                            sub,
                            float(m.group("dose")),
                            m.group("unit"),
                            schedule_days=days,
                        )
                repeated = [
                    (m, interval_days(m.group("interval")), " ".join(m.group("interval").split()))
                    for m in _MAINTENANCE.finditer(clause)
                    if not re.search(r"\b(?:or|to|and)\b", m.group("mid"), re.IGNORECASE)
                ] + [(m, 1, "per day") for m in _PER_DAY.finditer(clause)]
                for m, days, schedule in repeated:
                    if days is None or m.start("dose") in used or not _plain_dose(clause, m):
                        continue
                    start = _starts_day(clause[m.end() :]) or _starts_day(clause[: m.start()])
                    add(
                        _regimen(clause, m),
                        sent,
                        sub,
                        float(m.group("dose")),
                        m.group("unit"),
                        interval_days=str(days),
                        starts_day=str(start) if start else "",
                        schedule=schedule,
                    )
    return facts


def route_facts(ctx: FactContext) -> list[Fact]:
    label = ctx.label
    section = Section(
        code=loinc.PRODUCT_DATA,
        number=None,
        title="SPL product data elements" if label.source == "spl" else "openfda route",
        text="",
    )
    routes = dict.fromkeys(r for p in label.products for r in p.routes)
    return [ctx.fact("admin.route", r, section, route=r.lower()) for r in routes]


__all__ = [
    "COUNT",
    "count_value",
    "dose_facts",
    "interval_days",
    "route_facts",
]
