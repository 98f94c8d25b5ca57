"""The verdict: where the evidence favours each drug, where it cannot tell, and patient factors.

It counts and lists findings; it never ranks overall safety, because findings differ in weight
and kind (a boxed warning, a trial risk difference, a dosing schedule).
"""

from __future__ import annotations

from rxcompare.comparison import phrases as ph
from rxcompare.models import Dimension, Drug, Favours, Verdict


def build_verdict(
    a: Drug, b: Drug, dimensions: tuple[Dimension, ...], factors: tuple[str, ...]
) -> Verdict:
    findings = [f for d in dimensions for f in d.findings if d.key != "patient_factors"]
    fa = tuple(f for f in findings if f.favours is Favours.A)
    fb = tuple(f for f in findings if f.favours is Favours.B)
    fu = tuple(
        f
        for f in findings
        if f.favours in (Favours.UNCLEAR, Favours.NONE) and f.grade.value != "absent"
    )
    summary = ph.VERDICT_SUMMARY.format(a=a.name, b=b.name, na=len(fa), nb=len(fb), nu=len(fu))
    names = tuple(ph.FACTORS[k][0] for k in factors if k in ph.FACTORS)
    return Verdict(
        favours_a=fa, favours_b=fb, cannot_tell=fu, patient_factors=names, summary=summary
    )
