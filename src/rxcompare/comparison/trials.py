"""Trial incidences: each drug against its own trial's comparator, never across trials.

For each adverse reaction of a label's trial table, the drug's arm is compared with the comparator
arm of the same trial: risk difference with Newcombe's hybrid score 95% CI (method 10). When a
drug's trial used the other drug as its comparator, that trial *is* head-to-head and the finding
may favour one drug (when the interval excludes zero); otherwise trial findings never favour one
drug over the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, cites, finding
from rxcompare.models import Estimate, Favours, Finding, Grade, Incidence
from rxcompare.resolver import normalise_name
from rxcompare.stats.incidence import risk_difference_newcombe


@dataclass(frozen=True)
class ArmPair:
    """A drug arm and the comparator arm of the same trial, for one reaction."""

    event: str
    trial: str
    arm: Incidence
    comparator: Incidence

    def counts(self) -> tuple[int, int, int, int, bool]:
        """(x1, n1, x2, n2, reconstructed): events and sizes; counts from % when not given."""
        rec = self.arm.count is None or self.comparator.count is None
        x1 = self.arm.count if self.arm.count is not None else round(self.arm.percent * self.arm.n / 100)
        x2 = (
            self.comparator.count
            if self.comparator.count is not None
            else round(self.comparator.percent * self.comparator.n / 100)
        )
        return x1, self.arm.n, x2, self.comparator.n, rec

    def estimate(self) -> Estimate:
        x1, n1, x2, n2, _ = self.counts()
        rd, lo, hi = risk_difference_newcombe(x1, n1, x2, n2)
        return Estimate("rd_newcombe", float(rd), float(lo), float(hi))


def arm_pairs(incidences: tuple[Incidence, ...]) -> list[ArmPair]:
    """Pair each drug arm with its trial's comparator arm(s), reaction by reaction."""
    groups: dict[tuple[str, str], list[Incidence]] = {}
    for i in incidences:
        groups.setdefault((i.trial, i.event), []).append(i)
    out = []
    for (trial, event), rows in groups.items():
        arms = [r for r in rows if not r.is_comparator]
        comps = [r for r in rows if r.is_comparator]
        for arm in arms:
            for comp in comps:
                out.append(ArmPair(event, trial, arm, comp))
    return out


def _names(ev: Evidence) -> set[str]:
    p = ev.drug.product
    return {normalise_name(n) for n in (p.brand, p.ingredient, *p.synonyms) if n}


def is_head_to_head(pair: ArmPair, other: Evidence) -> bool:
    """True when the comparator arm is the other drug (its brand, ingredient or a synonym)."""
    arm = normalise_name(pair.comparator.arm)
    return any(n and (n in arm) for n in _names(other))


def _pp(x: float) -> str:
    return f"{100 * x:+.1f}"


def _matches(event: str, keywords: tuple[str, ...]) -> bool:
    low = event.lower()
    return any(k in low for k in keywords)


def trial_findings(
    dimension: str,
    a: Evidence,
    b: Evidence,
    keywords: tuple[str, ...] | None = None,
    limit: int | None = None,
    exclude: tuple[str, ...] = (),
) -> list[Finding]:
    """Findings for reactions whose name contains one of ``keywords`` (all when None), less ``exclude``."""
    out: list[Finding] = []
    h2h_seen = False
    for ev, other, side in ((a, b, "a"), (b, a, "b")):
        pairs = [
            p
            for p in arm_pairs(ev.incidences)
            if (keywords is None or _matches(p.event, keywords)) and not _matches(p.event, exclude)
        ]
        pairs.sort(key=lambda p: -p.arm.percent)
        if limit is not None:
            pairs = pairs[:limit]
        for p in pairs:
            est = p.estimate()
            _x1, n1, _x2, n2, rec = p.counts()
            caveats = (ph.RECONSTRUCTED,) if rec else ()
            if is_head_to_head(p, other):
                h2h_seen = True
                # orient as A vs B
                if side == "a":
                    favours = Favours.A if est.upper < 0 else Favours.B if est.lower > 0 else Favours.NONE
                else:
                    favours = Favours.B if est.upper < 0 else Favours.A if est.lower > 0 else Favours.NONE
                statement = ph.TRIAL_H2H.format(
                    trial=p.trial, event=p.event, a=p.arm.arm, apct=f"{p.arm.percent:g}", an=n1,
                    b=p.comparator.arm, bpct=f"{p.comparator.percent:g}", bn=n2,
                    rd=_pp(est.value), lo=_pp(est.lower), hi=_pp(est.upper),
                )
            else:
                favours = Favours.UNCLEAR
                statement = ph.TRIAL_ARM.format(
                    trial=p.trial, event=p.event, arm=p.arm.arm, pct=f"{p.arm.percent:g}", n=n1,
                    comp=p.comparator.arm, cpct=f"{p.comparator.percent:g}", cn=n2,
                    rd=_pp(est.value), lo=_pp(est.lower), hi=_pp(est.upper),
                )
            text = statement
            out.append(
                finding(
                    dimension, f"trial.{normalise_name(p.event).replace(' ', '_')}", statement, favours,
                    Grade.TRIAL, cites([p.arm, p.comparator]),
                    a_text=text if side == "a" else "", b_text=text if side == "b" else "",
                    caveats=caveats, estimates=(est,),
                )
            )
    if out and not h2h_seen:
        out.insert(
            0,
            finding(
                dimension, "trial.no_head_to_head", ph.NO_H2H.format(a=a.name, b=b.name),
                Favours.UNCLEAR, Grade.TRIAL, cites([a.label, b.label]),
            ),
        )
    return out


# reactions shown in their own dimensions (administration reactions, infections)
ELSEWHERE = ("infusion", "injection", "infection")


def trial_reactions(a: Evidence, b: Evidence, limit: int = 8) -> tuple[Finding, ...]:
    """The most frequent trial adverse reactions of each drug against its own comparator."""
    out = trial_findings("trial_reactions", a, b, None, limit=limit, exclude=ELSEWHERE)
    for ev in (a, b):
        if not ev.incidences:
            out.append(
                finding(
                    "trial_reactions", "trial.none", ph.NO_TRIALS.format(drug=ev.name),
                    Favours.UNCLEAR, Grade.ABSENT, (ev.label,),
                )
            )
    return tuple(out)
