"""Administration, its burden, convenience, and administration reactions.

The burden (administrations and clinic visits in year 1 and year 2) is computed from the labelled
dosing facts (``admin.dose.initial`` with ``schedule_days``, ``admin.dose.maintenance`` with
``interval_days`` and ``starts_day``) and who administers (``admin.administered_by``); every count
cites the facts it was computed from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites, finding, texts
from rxcompare.comparison.labels import quoted, topic_finding
from rxcompare.models import NOT_IN_PACK, Estimate, Fact, Favours, Finding, Grade

YEAR = 365
MONTH = 365.25 / 12  # days in an average calendar month


def _interval_days(f: Fact) -> float | None:
    """Days between maintenance doses from the qualifiers interval_days, interval_months or per_week."""
    try:
        if f.qualifier("interval_days"):
            days = float(f.qualifier("interval_days"))
        elif f.qualifier("interval_months"):
            days = float(f.qualifier("interval_months")) * MONTH
        elif f.qualifier("per_week"):
            days = 7 / float(f.qualifier("per_week"))
        else:
            return None
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return days if days > 0 else None


@dataclass(frozen=True)
class Burden:
    year1: int
    year2: int
    visits1: int | None
    visits2: int | None
    facts: tuple[Fact, ...]


def _days(value: str | None) -> list[float]:
    if not value:
        return []
    try:
        return [float(x) for x in value.replace(" ", "").split(",") if x]
    except ValueError:
        return []


def _titration_days(f: Fact, maintenance_start: float) -> list[float]:
    """Days of initial doses given as ``per_week`` over ``weeks`` "a-b" (default: until maintenance)."""
    if f.qualifier("schedule_days") or not f.qualifier("per_week"):
        return []
    try:
        step = 7 / float(f.qualifier("per_week"))
        first, last = 1.0, maintenance_start - 1
        if f.qualifier("weeks"):
            lo, _, hi = f.qualifier("weeks").partition("-")
            first, last = 1 + 7 * (int(lo) - 1), 7 * int(hi or lo)
    except (TypeError, ValueError, ZeroDivisionError):
        return []
    out, d = [], first
    while d <= last:
        out.append(d)
        d += step
    return out


def dose_days(ev: Evidence, horizon: int = 2 * YEAR) -> tuple[list[float], tuple[Fact, ...]] | None:
    """The days (day 1 = first dose) on which doses fall, from the labelled schedule, or None."""
    initial = [
        f
        for f in ev.topic("admin.dose.initial")
        if f.qualifier("schedule_days") or f.qualifier("per_week")
    ]
    maintenance = [f for f in ev.topic("admin.dose.maintenance") if _interval_days(f)]
    if not maintenance:
        return None
    m = maintenance[0]
    interval = _interval_days(m)
    if interval is None:
        return None

    # one regimen: the initial doses that share the maintenance fact's regimen and population
    def key(f: Fact) -> tuple[str | None, str | None]:
        return f.qualifier("regimen"), f.qualifier("population")

    initial = [f for f in initial if key(f) == key(m)]
    days: list[float] = []
    for f in initial:
        days += _days(f.qualifier("schedule_days"))
    if m.qualifier("starts_month"):
        start = 1 + float(m.qualifier("starts_month")) * MONTH
    else:
        start = float(m.qualifier("starts_day") or (max(days) + interval if days else 1))
    for f in initial:
        days += _titration_days(f, start)
    limit = int(m.qualifier("max_doses") or 10**6)
    d, k = start, 0
    while d <= horizon and k < limit:
        days.append(d)
        d += interval
        k += 1
    return sorted(set(days)), tuple(initial) + (m,)


def burden(ev: Evidence) -> Burden | None:
    got = dose_days(ev)
    if got is None:
        return None
    days, facts = got
    y1 = sum(1 for d in days if d <= YEAR)
    y2 = sum(1 for d in days if YEAR < d <= 2 * YEAR)
    by = [f.qualifier("by") for f in ev.topic("admin.administered_by")]
    who = ev.topic("admin.administered_by")
    if "hcp" in by and "self" not in by:
        v1, v2 = y1, y2
    elif "self" in by and "hcp" not in by:
        supervised = any(f.qualifier("first_dose") == "hcp" for f in who)
        v1, v2 = (1 if supervised else 0), 0
    else:
        v1 = v2 = None
    return Burden(y1, y2, v1, v2, facts + tuple(who))


def _counts(kind: str, a1: int, a2: int, b1: int, b2: int) -> tuple[Estimate, ...]:
    """The finding's counts as records for charts: method "<kind>:<a|b>:<year>"."""
    return tuple(
        Estimate(f"{kind}:{side}:{year}", float(n))
        for side, year, n in (("a", 1, a1), ("a", 2, a2), ("b", 1, b1), ("b", 2, b2))
    )


def administration(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    out = []
    for topic in (
        "admin.route",
        "admin.dose.initial",
        "admin.dose.maintenance",
        "admin.administered_by",
        "admin.setting",
        "admin.infusion_duration",
        "admin.premedication",
        "admin.observation",
    ):
        f = topic_finding("administration", topic, a, b, silence_favours=False)
        if f.grade is not Grade.ABSENT:
            out.append(_inform(f, a, b))
    ba, bb = burden(a), burden(b)
    same_route = _routes(a) == _routes(b) and bool(_routes(a))
    if ba and bb:
        statement = ph.BURDEN.format(
            a=a.name, a1=ba.year1, a2=ba.year2, b=b.name, b1=bb.year1, b2=bb.year2
        )
        out.append(
            finding(
                "administration",
                "burden.administrations",
                statement,
                Favours.NONE,
                Grade.LABEL,
                cites(ba.facts, bb.facts),
                a_text=ph.YEARS.format(y1=ba.year1, y2=ba.year2),
                b_text=ph.YEARS.format(y1=bb.year1, y2=bb.year2),
                caveats=(ph.DERIVED_CAVEAT, ph.BURDEN_NOT_SAFETY)
                + (() if same_route else (ph.ROUTES_DIFFER,)),
                estimates=_counts("burden", ba.year1, ba.year2, bb.year1, bb.year2),
                kind="differs" if (ba.year1, ba.year2) != (bb.year1, bb.year2) else "same",
            )
        )
        if ba.visits1 is not None and bb.visits1 is not None:
            statement = ph.VISITS.format(
                a=a.name, a1=ba.visits1, a2=ba.visits2, b=b.name, b1=bb.visits1, b2=bb.visits2
            )
            out.append(
                finding(
                    "administration",
                    "burden.visits",
                    statement,
                    Favours.NONE,
                    Grade.LABEL,
                    cites(ba.facts, bb.facts),
                    a_text=ph.YEARS.format(y1=ba.visits1, y2=ba.visits2),
                    b_text=ph.YEARS.format(y1=bb.visits1, y2=bb.visits2),
                    caveats=(ph.DERIVED_CAVEAT, ph.BURDEN_NOT_SAFETY),
                    estimates=_counts("burden", ba.visits1, ba.visits2, bb.visits1, bb.visits2),
                    kind="differs"
                    if (ba.visits1, ba.visits2) != (bb.visits1, bb.visits2)
                    else "same",
                )
            )
    else:
        for ev, bur in ((a, ba), (b, bb)):
            if bur is None:
                out.append(
                    finding(
                        "administration",
                        "burden.administrations",
                        ph.NO_SCHEDULE.format(drug=ev.name),
                        Favours.UNCLEAR,
                        Grade.ABSENT,
                        (ev.label,),
                        kind="gap",
                    )
                )
    return tuple(out)


def _routes(ev: Evidence) -> frozenset[str]:
    return frozenset(f.qualifier("route") for f in ev.topic("admin.route") if f.qualifier("route"))


def _inform(f: Finding, a: Evidence, b: Evidence) -> Finding:
    """Administration facts describe; they favour neither drug by themselves. Where both labels
    give figures, the finding says them and whether they differ; where both give only text, the
    two texts are quoted, and they differ unless they are the same words."""
    described = _describe(f.topic, a, b)
    statement, kind = f.statement, f.kind
    if described is not None:
        statement, same = described
        if f.kind == "shared":
            kind = "same" if same else "differs"
    else:
        f = quoted(f, a, b)
        statement, kind = f.statement, f.kind
    return replace(f, favours=Favours.NONE, caveats=(), statement=statement, kind=kind)


def _value(f: Fact) -> str:
    """A fact's figure as the label gives it: route, who, dose with unit and interval."""
    if f.topic == "admin.route" and f.qualifier("route"):
        return f.qualifier("route")
    if f.topic == "admin.administered_by" and f.qualifier("by"):
        return WHO.get(f.qualifier("by"), f.qualifier("by"))
    if f.value is None:
        return ""
    out = f"{f.value:g} {f.unit or ''}".strip()
    if f.qualifier("interval_months"):
        months = f.qualifier("interval_months")
        out += " every month" if months == "1" else f" every {months} months"
    elif f.qualifier("interval_days"):
        days = f.qualifier("interval_days")
        out += " once daily" if days == "1" else f" every {days} days"
    elif f.qualifier("per_week"):
        out += f", {f.qualifier('per_week')} times a week"
    elif f.qualifier("schedule_days"):
        days = f.qualifier("schedule_days")
        out += f" on day{'s' if ',' in days else ''} {days}"
    if f.qualifier("after"):
        out += f" after {f.qualifier('after')}"
    return out


WHO = {"self": "self-administered", "hcp": "given by a healthcare professional"}


def _values(facts) -> str:
    """The facts' figures; where the label gives them for several populations (a label of several
    indications: 160 mg on day 1 and 80 mg on day 15 for Crohn's disease, 80 mg on day 1 for
    plaque psoriasis), each regimen with the populations it is for, so that no two regimens read
    as one."""
    groups: dict[str, list[str]] = {}
    for f in facts:
        v = _value(f)
        if v:
            pop = f.qualifier("population") or ""
            if v not in groups.setdefault(pop, []):
                groups[pop].append(v)
    if len(groups) <= 1:
        return "; ".join(v for vs in groups.values() for v in vs)
    regimens: dict[str, list[str]] = {}  # the same regimen for several populations said once
    for pop, vs in groups.items():
        regimens.setdefault(", ".join(vs), []).append(pop)
    return "; ".join(
        f"{regimen} ({', '.join(p for p in pops if p)})" if any(pops) else regimen
        for regimen, pops in regimens.items()
    )


def _describe(topic: str, a: Evidence, b: Evidence) -> tuple[str, bool] | None:
    """('Route: Kesimpta subcutaneous; Ocrevus intravenous.', same) when a side has a figure; the
    other side reads as the label's silence only when its section is held in full."""
    va, vb = _values(a.topic(topic)), _values(b.topic(topic))
    if not va and not vb:
        return None

    def missing(ev: Evidence) -> str:
        if ev.topic(topic):  # the label states it, in words without a figure
            return texts(ev.topic(topic))
        if ev.says_nothing(topic):
            return ph.NOT_STATED
        return ph.NOT_EXTRACTED if ev.read(topic) else NOT_IN_PACK

    statement = ph.DESCRIBE.format(
        topic=ph.cap(ph.topic_name(topic)),
        a=a.name,
        a_value=va or missing(a),
        b=b.name,
        b_value=vb or missing(b),
    )
    return statement, bool(va) and va == vb


def convenience(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    fa = a.topic("admin.route") + a.topic("admin.administered_by") + a.topic("admin.setting")
    fb = b.topic("admin.route") + b.topic("admin.administered_by") + b.topic("admin.setting")
    if not fa or not fb:
        return (topic_finding("convenience", "admin.route", a, b, silence_favours=False),)
    return (
        finding(
            "convenience",
            "convenience",
            ph.CONVENIENCE,
            Favours.UNCLEAR,
            Grade.LABEL,
            cites(fa, fb),
            a_text=texts(fa),
            b_text=texts(fb),
            kind="describes",
        ),
    )


def administration_reactions(a: Evidence, b: Evidence) -> tuple[Finding, ...]:
    from rxcompare.comparison.labels import warning_findings
    from rxcompare.comparison.trials import trial_findings

    out = warning_findings("administration_reactions", ("warning.administration_reactions",), a, b)
    out += trial_findings("administration_reactions", a, b, ("infusion", "injection"))
    return tuple(out)
