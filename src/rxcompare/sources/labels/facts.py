"""Facts and trial incidences extracted from a parsed label.

:func:`extract_facts` turns a :class:`~rxcompare.models.Label` (from SPL XML or openFDA JSON) into
:class:`~rxcompare.models.Fact` records (topics from :mod:`rxcompare.sources.labels.topics`) and
:class:`~rxcompare.models.Incidence` records (adverse-reaction tables). Every record cites the
label version and the section it comes from, and every fact carries the label's own words (one
sentence or a short clause, whitespace normalised).

The rule: extract only what the text says. Values come from regular expressions over the label
text; when an expression does not match, nothing is extracted. Sentences that state a condition
("may be increased to", "if", "maximum") are not read as the recommended dosing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rxcompare.errors import LabelError
from rxcompare.models import Citation, Fact, Incidence, Label, LabelTable, Product, Section
from rxcompare.sources.labels import loinc
from rxcompare.sources.labels.text import (
    clean,
    first_sentence,
    is_heading_line,
    sentences,
    split_caps_heading,
)
from rxcompare.sources.labels.warning_topics import classify_warning, warning_topic

# --- products --------------------------------------------------------------------------------


def slug(text: str) -> str:
    """ "Humira" -> "humira"; "OCREVUS ZUNOVO" -> "ocrevus-zunovo"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def product_from_label(label: Label) -> Product:
    """The product a label is about: id = slug of the first product's name (its brand),
    ingredient(s), routes, forms and strengths of all its products (lower-case), indications from
    the titles of the indication subsections, synonyms = brand and ingredient."""
    if not label.products or not label.products[0].name:
        raise LabelError(
            f"label {label.set_id} version {label.version} names no product (no product data); "
            "rxcompare cannot tell which medicine it is about"
        )
    first = label.products[0]
    ingredient = " and ".join(dict.fromkeys(name.lower() for name, _ in first.ingredients))
    routes = [r.lower() for p in label.products for r in p.routes]
    forms = [p.dosage_form.lower() for p in label.products if p.dosage_form]
    strengths = [s for p in label.products for _, s in p.ingredients if s]
    indications = []
    section = label.find(code=loinc.INDICATIONS)
    if section is not None:
        indications = [
            s.title.lower()
            for s in section.subsections
            if s.title and not _LIMITATION.search(s.title)
        ]
    return Product(
        id=slug(first.name),
        brand=first.name,
        ingredient=ingredient,
        routes=tuple(dict.fromkeys(routes)),
        dosage_forms=tuple(dict.fromkeys(forms)),
        strengths=tuple(dict.fromkeys(strengths)),
        indications=tuple(dict.fromkeys(indications)),
        set_id=label.set_id,
        synonyms=tuple(dict.fromkeys(x for x in (first.name, ingredient) if x)),
        ndc=tuple(dict.fromkeys(n for p in label.products for n in p.ndc)),
    )


def matches_product(product: Product, name: str) -> bool:
    """Whether a name is the product's id, brand, ingredient or a synonym (case-insensitive)."""
    want = " ".join(name.lower().split())
    return want in {
        x.lower() for x in (product.id, product.brand, product.ingredient, *product.synonyms)
    }


# --- citations -------------------------------------------------------------------------------


class _Context:
    """What every record of one label shares: the product, its names and the citation base."""

    def __init__(self, label: Label, product_id: str):
        self.label = label
        self.product_id = product_id
        brand = label.products[0].name if label.products else product_id
        kind = "prescribing information" if label.document_type == loinc.PRESCRIPTION else "label"
        self.title = f"{brand} {kind}"
        names = {brand.lower()} | {n.lower() for p in label.products for n, _ in p.ingredients}
        self.names = {n for n in names if n}
        self.name_words = {w for n in self.names for w in n.split() if len(w) > 3}
        # openFDA text is flattened: subsection titles are inferred, so facts keep them in front
        # of the text (a wrong guess must never cut words out of a sentence)
        self.flat = label.source == "openfda"

    def cite(self, section: Section | None) -> Citation:
        title = None
        if section is not None:
            title = section.title or (loinc.section_name(section.code) or "").capitalize() or None
        return Citation(
            kind="label",
            title=self.title,
            set_id=self.label.set_id,
            version=self.label.version,
            effective_date=self.label.effective_date,
            section=section.number if section is not None else None,
            section_title=title,
            curated=False,
        )

    def fact(
        self,
        topic: str,
        text: str,
        section: Section | None,
        value: float | None = None,
        unit: str | None = None,
        **qualifiers: str,
    ) -> Fact:
        return Fact(
            product=self.product_id,
            topic=topic,
            text=clean(text),
            citation=self.cite(section),
            value=value,
            unit=unit,
            qualifiers=tuple((k, str(v)) for k, v in qualifiers.items() if v not in (None, "")),
        )


def _top(label: Label, *codes: str) -> list[Section]:
    return [s for s in label.sections if s.code in codes]


def _all(label: Label, *codes: str) -> list[Section]:
    """Sections with one of the codes, outermost only (a match's subsections are not repeated)."""
    out: list[Section] = []

    def visit(s: Section) -> None:
        if s.code in codes:
            out.append(s)
            return
        for sub in s.subsections:
            visit(sub)

    for s in label.sections:
        visit(s)
    return out


def _texts(ctx: _Context, section: Section, own: bool = True) -> Iterator[tuple[Section, str]]:
    """Each section of a subtree with its own text, outermost first (``own=False`` leaves out
    the top section's own text when it has subsections)."""
    for s in section.walk():
        if s is section and not own and s.subsections:
            continue
        text = s.text
        if ctx.flat and s.title and s.number and "." in s.number:
            text = f"{s.title} {text}".strip()
        if text:
            yield s, text


def _first_statement(ctx: _Context, section: Section) -> str:
    """The first sentence of a subtree that is not a heading line ("Alpha-blockers")."""
    for _, text in _texts(ctx, section):
        for line in text.splitlines():
            if not is_heading_line(line):
                first = first_sentence(line)
                if first:
                    return first
    return ""


# --- indications, boxed warning, contraindications ---------------------------------------------

_LIMITATION = re.compile(r"limitations? of use", re.IGNORECASE)
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


def _indication_facts(ctx: _Context, section: Section) -> list[Fact]:
    facts = []
    parts = [s for s in section.subsections if not _LIMITATION.search(s.title)] or [section]
    for part in parts:
        for sub, text in _texts(ctx, part):
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


def _boxed_facts(ctx: _Context, section: Section) -> list[Fact]:
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


def _contraindication_facts(ctx: _Context, section: Section) -> list[Fact]:
    facts: list[Fact] = []
    if section.subsections:
        for sub in section.subsections:
            text = next((t for _, t in _texts(ctx, sub)), "")
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

def _warning_facts(ctx: _Context, section: Section) -> list[Fact]:
    facts = []
    for sub in section.subsections or (section,):
        first = _first_statement(ctx, sub)
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
_N = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_DOSE = r"(?P<dose>\d+(?:\.\d+)?)\s*(?P<unit>mg/kg|mg/m2|mg|mcg|g)(?![\w/])"
_INTERVAL = (
    r"(?P<interval>every\s+other\s+(?:day|week)|every\s+" + _N + r"\s+(?:days?|weeks?|months?)"
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
        _DOSE + r"\s+(?-i:" + _N + r")\s+weeks?\s+later\s*\(Day\s+(?P<day>\d+)\)", re.IGNORECASE
    ),
    re.compile(
        r"followed\s+(?P<later>" + _N + r")\s+weeks?\s+later\s+by\s+(?:a\s+second\s+)?" + _DOSE,
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
            r"starting\s+(?P<n>" + _N + r")\s+weeks?\s+after\s+the\s+(?:initial|first)\s+dose",
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
_BEFORE_DOSE = re.compile(r"(?:\bor|\bto|\band|[-\u2013]|" + _N + r")\s*$", re.IGNORECASE)


def _number(token: str) -> float:
    return float(_WORDS.get(token.lower(), token))


def interval_days(phrase: str) -> int | None:
    """Days between doses for a dosing interval phrase: "every other week" -> 14, "every 4 weeks"
    -> 28, "every 6 months" -> 182 (months of 365.25/12 days, rounded down), "once daily" -> 1."""
    p = " ".join(phrase.lower().split())
    if p.startswith("every other"):
        return 2 if p.endswith("day") else 14
    m = re.fullmatch(r"every (\S+) (day|week|month)s?", p)
    n = _number(m.group(1)) if m else 1.0
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
            n = int(_number(m.group("n")))
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


def _dose_facts(ctx: _Context, section: Section) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple] = set()

    def add(topic: str, sent: str, sub: Section, value: float, unit: str, **q: str) -> None:
        key = (topic, sub.number, value, unit, tuple(sorted(q.items())))
        if key not in seen:
            seen.add(key)
            population = sub.title if sub is not section else None
            facts.append(ctx.fact(topic, sent, sub, value, unit, population=population, **q))

    # openFDA puts the Highlights into the section's own text, run together: read subsections only
    for sub, text in _texts(ctx, section, own=not ctx.flat):
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
                            days = str(7 * int(_number(m.group("later"))) + 1)
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


def _route_facts(ctx: _Context) -> list[Fact]:
    label = ctx.label
    section = Section(
        code=loinc.PRODUCT_DATA,
        number=None,
        title="SPL product data elements" if label.source == "spl" else "openfda route",
        text="",
    )
    routes = dict.fromkeys(r for p in label.products for r in p.routes)
    return [ctx.fact("admin.route", r, section, route=r.lower()) for r in routes]


# --- vaccination, contraception, mechanism -----------------------------------------------------

_VACCINE_TIMING = re.compile(
    r"(?:at least|a minimum of|no less than)\s+(?P<n>" + _N + r")\s+weeks?\s+(?:prior to|before)\s+"
    r"(?:the\s+)?(?:initiation|initiating|start|starting|first dose|treatment|beginning)",
    re.IGNORECASE,
)
_NON_LIVE = re.compile(r"non[-\u2011\s]?live|inactivated", re.IGNORECASE)
_LIVE = re.compile(r"\blive\b", re.IGNORECASE)
_CONTRACEPTION = re.compile(
    r"(?:for|during|until)\s+(?:at least\s+)?(?P<n>" + _N + r")\s+(?P<unit>months?|weeks?|days?)\s+"
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


def _timing_facts(ctx: _Context, sections: list[Section]) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple] = set()
    for top in sections:
        for sub, text in _texts(ctx, top):
            for sent in (s for line in text.splitlines() for s in sentences(line)):
                if re.search(r"vaccin|immuniz", sent, re.IGNORECASE):
                    matches = list(_VACCINE_TIMING.finditer(sent))
                    for i, m in enumerate(matches):
                        end = matches[i + 1].start() if i + 1 < len(matches) else len(sent)
                        topic = _vaccine_kind(sent[m.start() : end], sent)
                        key = (topic, _number(m.group("n")))
                        if topic and key not in seen:
                            seen.add(key)
                            facts.append(ctx.fact(topic, sent, sub, _number(m.group("n")), "weeks"))
                if re.search(r"contracep", sent, re.IGNORECASE):
                    for m in _CONTRACEPTION.finditer(sent):
                        unit = m.group("unit").lower().rstrip("s") + "s"
                        key = ("pregnancy.contraception", _number(m.group("n")), unit)
                        if key not in seen:
                            seen.add(key)
                            facts.append(
                                ctx.fact(
                                    "pregnancy.contraception",
                                    sent,
                                    sub,
                                    _number(m.group("n")),
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


def _mechanism_facts(ctx: _Context) -> list[Fact]:
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


# --- adverse-reaction tables -----------------------------------------------------------------

_N_IN_HEADER = re.compile(r"\(?\s*\b[Nn]\s*=\s*(?P<n>\d[\d,]*)\s*\)?")
_PERCENT_TABLE = re.compile(r"\(\s*%|%\s*\)|\bpercent(?:age)?s?\b", re.IGNORECASE)
_MARKS = "*\u2020\u2021\u00a7\u00b6#"
_CELL_PERCENT = re.compile(rf"^(?P<p>\d+(?:\.\d+)?)\s*%\s*[{_MARKS}]*$")
_CELL_COUNT_PERCENT = re.compile(
    rf"^(?P<c>\d+)\s*\(\s*(?P<p>\d+(?:\.\d+)?)\s*(?P<pc>%)?\s*\)\s*[{_MARKS}]*$"
)
_CELL_NUMBER = re.compile(rf"^(?P<p>\d+(?:\.\d+)?)\s*[{_MARKS}]*$")
_COMPARATOR = re.compile(r"placebo|vehicle|comparator|control|sham", re.IGNORECASE)
_DOSE_ONLY = re.compile(
    r"^(?:any dose|all doses|total|\d+(?:\.\d+)?\s*(?:mg|mcg|g|mg/kg)\b.*)$", re.IGNORECASE
)
_TRIAL_IN_CAPTION = re.compile(r"\((?P<t>(?:Stud(?:y|ies)|Trials?)\s[^()]*)\)")


def _cell(text: str, percent_table: bool) -> tuple[int | None, float] | None:
    t = text.strip()
    m = _CELL_PERCENT.match(t)
    if m:
        return None, float(m.group("p"))
    m = _CELL_COUNT_PERCENT.match(t)
    if m and (m.group("pc") or percent_table):
        return int(m.group("c")), float(m.group("p"))
    m = _CELL_NUMBER.match(t)
    if m and percent_table:
        return None, float(m.group("p"))
    return None


def _trial(caption: str, fallback: str) -> str:
    m = _TRIAL_IN_CAPTION.search(caption)
    if m:
        trial = m.group("t").strip()
        return f"{trial} (pooled)" if re.search(r"\bpooled\b", caption, re.IGNORECASE) else trial
    caption = re.sub(r"^table\s+\d+\s*[.:]?\s*", "", caption, flags=re.IGNORECASE).strip()
    return caption or fallback


def _is_comparator(arm: str, ctx: _Context) -> bool:
    low = arm.lower()
    if _COMPARATOR.search(low):
        return True
    if any(n in low for n in ctx.names | ctx.name_words):
        return False
    return not _DOSE_ONLY.match(arm.strip())


def table_incidences(
    label: Label, product_id: str, table: LabelTable, section: Section
) -> list[Incidence]:
    """Each reaction row x each arm column with an N in its header, as :class:`Incidence`.

    Header rows are the ``<thead>`` rows plus the body rows before the first row with a value.
    A cell counts when it is a percentage ("17%", "3 (1%)"), or a bare number in a table whose
    caption or header says the figures are percentages ("(% of patients)"); anything else
    ("<1%", "-", text) is left out. ``section`` is the (sub)section of ``label`` holding the table.
    """
    return _table_incidences(_Context(label, product_id), table, section)


def _table_incidences(ctx: _Context, table: LabelTable, section: Section) -> list[Incidence]:
    grid = [list(r) for r in table.header + table.rows]
    if not grid:
        return []
    width = max(len(r) for r in grid)
    head_text = " ".join(c for r in table.header for c in r)
    percent_table = bool(_PERCENT_TABLE.search(table.caption) or _PERCENT_TABLE.search(head_text))
    first_data = next(
        (
            i
            for i, r in enumerate(grid)
            if r[0] and len(set(r)) > 1 and any(_cell(c, percent_table) for c in r[1:])
        ),
        None,
    )
    if first_data is None:
        return []
    header = grid[:first_data]
    arms: dict[int, tuple[str, int]] = {}
    for j in range(1, width):
        words = list(dict.fromkeys(r[j] for r in header if j < len(r) and r[j]))
        text = " ".join(words)
        m = _N_IN_HEADER.search(text)
        if m:
            name = " ".join(_N_IN_HEADER.sub(" ", text).split()).strip(" ,;:")
            arms[j] = (name, int(m.group("n").replace(",", "")))
    out = []
    trial = _trial(table.caption, section.title)
    for row in grid[first_data:]:
        event = row[0].strip().rstrip(_MARKS + " ").strip()
        if not event or len(set(row)) == 1:
            continue
        for j, (arm, n) in arms.items():
            value = _cell(row[j], percent_table) if j < len(row) else None
            if value is None or not (0 <= value[1] <= 100) or n <= 0:
                continue
            out.append(
                Incidence(
                    product=ctx.product_id,
                    event=event,
                    trial=trial,
                    arm=arm,
                    n=n,
                    percent=value[1],
                    is_comparator=_is_comparator(arm, ctx),
                    citation=ctx.cite(section),
                    count=value[0],
                )
            )
    return out


# --- all together ----------------------------------------------------------------------------


def extract_facts(label: Label, product_id: str) -> tuple[list[Fact], list[Incidence]]:
    """Facts and incidences of a label, each citing the label version and its section.

    Extracts: indications (section 1), the boxed warning (per heading), contraindications, each
    warnings-and-precautions subsection (topic from its title), routes (product data), doses and
    intervals (dosage and administration), vaccination timing, contraception after the last dose,
    mechanism of action and target, antibody type, and adverse-reaction table incidences.
    """
    ctx = _Context(label, product_id)
    facts: list[Fact] = []
    for s in _top(label, loinc.INDICATIONS):
        facts += _indication_facts(ctx, s)
    for s in _top(label, loinc.BOXED_WARNING):
        # openFDA lists every section coded as a box, also boxes nested in other sections (dosing
        # charts, package notices); its true boxed warning opens with "WARNING"
        if not ctx.flat or f"{s.title} {s.text}".strip().upper().startswith("WARNING"):
            facts += _boxed_facts(ctx, s)
    for s in _all(label, loinc.CONTRAINDICATIONS):
        facts += _contraindication_facts(ctx, s)
    for s in _all(label, loinc.WARNINGS_AND_PRECAUTIONS, loinc.WARNINGS):
        facts += _warning_facts(ctx, s)
    facts += _route_facts(ctx)
    for s in _all(label, loinc.DOSAGE_AND_ADMINISTRATION):
        facts += _dose_facts(ctx, s)
    facts += _timing_facts(
        ctx,
        _all(
            label,
            loinc.DOSAGE_AND_ADMINISTRATION,
            loinc.WARNINGS_AND_PRECAUTIONS,
            loinc.WARNINGS,
            loinc.DRUG_INTERACTIONS,
            loinc.SPECIFIC_POPULATIONS,
        ),
    )
    facts += _mechanism_facts(ctx)
    incidences: list[Incidence] = []
    for top in _all(label, loinc.ADVERSE_REACTIONS):
        for s in top.walk():
            for table in s.tables:
                incidences += _table_incidences(ctx, table, s)
    return facts, incidences


def _number_key(number: str | None) -> tuple:
    """Numbered sections ("5.1") in number order after the unnumbered ones ("Boxed Warning",
    "Medication Guide", none), which keep the order they were met in."""
    parts = (number or "").split(".")
    if not all(x.isdigit() for x in parts):
        return (0, ())
    return (1, tuple(int(x) for x in parts))


def by_section(
    facts: Iterable[Fact], incidences: Iterable[Incidence] = ()
) -> list[tuple[tuple[str | None, str | None], list[Fact], list[Incidence]]]:
    """Group facts and incidences by cited section (number, title), in section-number order;
    unnumbered sections (boxed warning, product data) come first in the order met."""
    groups: dict[tuple[str | None, str | None], tuple[list[Fact], list[Incidence]]] = {}
    for f in facts:
        groups.setdefault((f.citation.section, f.citation.section_title), ([], []))[0].append(f)
    for i in incidences:
        groups.setdefault((i.citation.section, i.citation.section_title), ([], []))[1].append(i)
    order = sorted(groups, key=lambda k: _number_key(k[0]))
    return [(k, *groups[k]) for k in order]


def in_section(number: str | None, wanted: str) -> bool:
    """Whether a cited section number is ``wanted`` or one of its subsections ("5.1" in "5")."""
    return number is not None and (number == wanted or number.startswith(wanted + "."))


def _cite_line(c: Citation) -> str:
    where = " ".join(x for x in (c.section, c.section_title) if x) or "label"
    made = "curated by hand" if c.curated else "extracted"
    return f"{c.title}, version {c.version} ({c.effective_date}), {where}; {made}"


def facts_outline(
    product: Product, facts: Iterable[Fact], incidences: Iterable[Incidence] = ()
) -> str:
    """Plain text: the product, then its facts and incidences grouped by label section, each
    with its citation (what ``rxcompare label show`` prints)."""
    lines = [f"{product.brand} ({product.ingredient or 'ingredient not stated'}) [{product.id}]"]
    for (number, title), group, incs in by_section(facts, incidences):
        lines.append("")
        lines.append(" ".join(x for x in (number, title) if x) or "(no section)")
        for f in group:
            value = f" = {f.value:g} {f.unit or ''}".rstrip() if f.value is not None else ""
            quals = ", ".join(f"{k} {v}" for k, v in f.qualifiers)
            lines.append(f"  - [{f.topic}{value}] {f.text}" + (f" ({quals})" if quals else ""))
            lines.append(f"      cite: {_cite_line(f.citation)}")
        if incs:
            lines.append(f"  incidences ({len(incs)}), cite: {_cite_line(incs[0].citation)}")
            for i in incs:
                role = "comparator" if i.is_comparator else "product"
                lines.append(
                    f"  - {i.event} | {i.trial} | {i.arm} (N={i.n}, {role}): {i.percent:g}%"
                )
    return "\n".join(lines)


__all__ = [
    "by_section",
    "extract_facts",
    "facts_outline",
    "in_section",
    "interval_days",
    "matches_product",
    "product_from_label",
    "slug",
    "table_incidences",
    "warning_topic",
]
