"""Post-marketing findings: head-to-head reporting odds ratios, cases per year, caveats.

The events compared are the pack's event groups (MedDRA preferred terms defined as data) that the
two labels' warnings name (:mod:`rxcompare.comparison.events`). By
default the analysis is restricted to the indication the two products share. A finding favours a
drug only when both drugs have at least :data:`MIN_CASES` cases of the event and the ROR's 95%
interval excludes 1; it is graded ``postmarketing``, the weakest grade, and carries the caveats of
spontaneous reporting.
"""

from __future__ import annotations

import math
from dataclasses import replace

from rxcompare.comparison.evidence import Evidence, finding
from rxcompare.comparison.postmarketing import PostMarketingSource
from rxcompare.models import Estimate, Favours, Finding, Grade, PostMarketing, Signal
from rxcompare.sources.pack import Pack

MIN_CASES = 3

PM_STATEMENT = (
    "{group}: {a} {ca} of {na} {unit}s ({pa}) vs {b} {cb} of {nb} ({pb}); head-to-head reporting odds "
    "ratio {ror} (95% CI {lo} to {hi})."
)
PM_FEW = "{group}: {a} {ca} of {na} {unit}s vs {b} {cb} of {nb}; too few to estimate a reporting odds ratio."
PM_SERIOUS = "{n} {unit}s; {s} serious ({p})"
PM_PER_YEAR = "{unit}s per year received — {a}: {ya}; {b}: {yb}."
PM_SOURCE = "Source: {source}; counted in {unit}s. {scope}"
PM_TERMS = "MedDRA preferred terms counted: {terms}."
PM_SCOPE = "Restricted to {unit}s whose indication mentions {indication!r}."
PM_FEW_CAVEAT = "Fewer than {k} {unit}s with one of the drugs: no direction is drawn."


def shared_indication(a: Evidence, b: Evidence) -> str | None:
    """The first indication key the two products share, if any."""
    ib = set(b.drug.product.indications)
    for ind in a.drug.product.indications:
        if ind in ib:
            return ind
    return None


OUTCOMES = {
    "DE": "death",
    "LT": "life-threatening",
    "HO": "hospitalisation",
    "DS": "disability",
    "CA": "congenital anomaly",
    "RI": "required intervention",
    "OT": "other serious",
}


def _term(t: str) -> str:
    """A group term as a reader should see it: PTs as they are; '@outcome:DE' as the outcome."""
    if t.startswith("@outcome:"):
        code = t.split(":", 1)[1]
        return f"any case with outcome {code} ({OUTCOMES.get(code, 'FAERS outcome code')})"
    return t


def _pct(x: int, n: int) -> str:
    return f"{100 * x / n:.1f}%" if n else "n/a"


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _signal_finding(s: Signal, a: Evidence, b: Evidence, indication: str | None) -> Finding:
    t = s.table
    unit = "case" if "case" in s.counting_unit else "report"
    na, nb = t.a + t.b, t.c + t.d
    est = s.estimate("ror_h2h")
    caveats = [PM_TERMS.format(terms=", ".join(map(_term, s.terms)))] if s.terms else []
    few = min(t.a, t.c) < MIN_CASES or est is None or est.lower is None
    if few:
        statement = PM_FEW.format(
            group=s.event, a=a.name, ca=t.a, na=na, unit=unit, b=b.name, cb=t.c, nb=nb
        )
        favours = Favours.UNCLEAR
        caveats.append(PM_FEW_CAVEAT.format(k=MIN_CASES, unit=unit))
    else:
        statement = PM_STATEMENT.format(
            group=s.event,
            a=a.name,
            ca=t.a,
            na=na,
            unit=unit,
            pa=_pct(t.a, na),
            b=b.name,
            cb=t.c,
            nb=nb,
            pb=_pct(t.c, nb),
            ror=_fmt(est.value),
            lo=_fmt(est.lower),
            hi=_fmt(est.upper),
        )
        favours = Favours.B if est.lower > 1 else Favours.A if est.upper < 1 else Favours.NONE
    extra = dict(s.extra)
    a_text = b_text = ""
    if "serious_a" in extra and "serious_b" in extra:
        a_text = PM_SERIOUS.format(
            n=t.a, unit=unit, s=extra["serious_a"], p=_pct(extra["serious_a"], t.a)
        )
        b_text = PM_SERIOUS.format(
            n=t.c, unit=unit, s=extra["serious_b"], p=_pct(extra["serious_b"], t.c)
        )
    return finding(
        "postmarketing",
        f"postmarketing.{s.event.replace(' ', '_')}",
        statement,
        favours,
        Grade.POSTMARKETING,
        (s.citation,),
        a_text=a_text,
        b_text=b_text,
        caveats=tuple(caveats),
        estimates=tuple(e for e in s.estimates if e.method == "ror_h2h"),
    )


def scored_postmarketing(
    a: Evidence, b: Evidence, pack: Pack, source: PostMarketingSource, indication: str | None
) -> tuple[PostMarketing, str | None]:
    """The source's head-to-head tables for the event groups the two labels' warnings name
    (:func:`~rxcompare.comparison.events.groups_for`), each with its ROR, and the indication used:
    the one given, else the one both products share. An ingredient with several products in the
    pack is counted by product."""
    from rxcompare.comparison.align import align
    from rxcompare.comparison.events import groups_for

    indication = indication or shared_indication(a, b)
    product_level = tuple(
        sum(p.ingredient == e.drug.ingredient for p in pack.products) > 1 for e in (a, b)
    )
    pm = source.head_to_head(
        a.drug,
        b.drug,
        groups_for(align(a, b), dict(pack.event_groups)),
        indication,
        product_level=product_level,
    )
    return replace(pm, signals=tuple(with_ror(s) for s in pm.signals)), indication


def postmarketing_findings(
    a: Evidence, b: Evidence, pack: Pack, source: PostMarketingSource, indication: str | None
) -> tuple[Finding, ...]:
    pm, indication = scored_postmarketing(a, b, pack, source, indication)
    signals = list(pm.signals)
    unit = "case" if any("case" in s.counting_unit for s in signals) else "report"
    out = [
        finding(
            "postmarketing",
            "postmarketing.scope",
            PM_SOURCE.format(
                source=source.description,
                unit=unit,
                scope=PM_SCOPE.format(unit=unit, indication=indication) if indication else "",
            ),
            Favours.UNCLEAR,
            Grade.POSTMARKETING,
            (pm.citation,),
            caveats=tuple(pm.caveats),
        )
    ]
    out += [_signal_finding(s, a, b, indication) for s in signals]
    if pm.per_year:

        def years(pid: str) -> str:
            rows = sorted((y, n) for p, y, n in pm.per_year if p == pid)
            return ", ".join(f"{y}: {n}" for y, n in rows) or "none"

        out.append(
            finding(
                "postmarketing",
                "postmarketing.per_year",
                PM_PER_YEAR.format(
                    unit=unit.capitalize(),
                    a=a.name,
                    ya=years(a.drug.product.id),
                    b=b.name,
                    yb=years(b.drug.product.id),
                ),
                Favours.UNCLEAR,
                Grade.POSTMARKETING,
                (pm.citation,),
                estimates=tuple(
                    Estimate(f"reports_per_year:{p}:{y}", float(n))
                    for p, y, n in sorted(pm.per_year)
                ),
            )
        )
    return tuple(out)


CORRECTION = "haldane: +0.5 on every cell (a zero cell)"


def with_ror(s: Signal) -> Signal:
    """The signal with its head-to-head ROR (Wald, 95%) computed from its table."""
    # numpy loads here, when a table is scored: a comparison without counts goes without it
    from rxcompare.stats.ror_prr import ror_head_to_head

    t = s.table
    r = ror_head_to_head(t.a, t.b, t.c, t.d)
    est = Estimate("ror_h2h", float(r.value), _num(r.lower), _num(r.upper), float(r.level))
    extra = tuple(kv for kv in s.extra if kv[0] != "ror_h2h_correction")
    if bool(r.corrected):
        extra += (("ror_h2h_correction", CORRECTION),)
    return replace(
        s, estimates=(est,) + tuple(e for e in s.estimates if e.method != "ror_h2h"), extra=extra
    )


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x
