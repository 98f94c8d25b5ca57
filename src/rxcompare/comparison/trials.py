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
from rxcompare.comparison.resolve import normalise_name
from rxcompare.models import Estimate, Favours, Finding, Grade, Incidence
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
        x1 = (
            self.arm.count
            if self.arm.count is not None
            else round(self.arm.percent * self.arm.n / 100)
        )
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
                    favours = (
                        Favours.A if est.upper < 0 else Favours.B if est.lower > 0 else Favours.NONE
                    )
                else:
                    favours = (
                        Favours.B if est.upper < 0 else Favours.A if est.lower > 0 else Favours.NONE
                    )
                statement = ph.TRIAL_H2H.format(
                    trial=p.trial,
                    event=p.event,
                    a=p.arm.arm,
                    apct=f"{p.arm.percent:g}",
                    an=n1,
                    b=p.comparator.arm,
                    bpct=f"{p.comparator.percent:g}",
                    bn=n2,
                    rd=_pp(est.value),
                    lo=_pp(est.lower),
                    hi=_pp(est.upper),
                )
            else:
                favours = Favours.UNCLEAR
                statement = ph.TRIAL_ARM.format(
                    trial=p.trial,
                    event=p.event,
                    arm=p.arm.arm,
                    pct=f"{p.arm.percent:g}",
                    n=n1,
                    comp=p.comparator.arm,
                    cpct=f"{p.comparator.percent:g}",
                    cn=n2,
                    rd=_pp(est.value),
                    lo=_pp(est.lower),
                    hi=_pp(est.upper),
                )
            text = statement
            out.append(
                finding(
                    dimension,
                    f"trial.{normalise_name(p.event).replace(' ', '_')}",
                    statement,
                    favours,
                    Grade.TRIAL,
                    cites([p.arm, p.comparator]),
                    a_text=text if side == "a" else "",
                    b_text=text if side == "b" else "",
                    caveats=caveats,
                    estimates=(est,),
                )
            )
    if out and not h2h_seen:
        out.insert(
            0,
            finding(
                dimension,
                "trial.no_head_to_head",
                ph.NO_H2H.format(a=a.name, b=b.name),
                Favours.UNCLEAR,
                Grade.TRIAL,
                cites([a.label, b.label]),
            ),
        )
    return out


# reactions shown in their own dimensions (administration reactions, infections)
ELSEWHERE = ("infusion", "injection", "infection")


def trial_reactions(a: Evidence, b: Evidence, limit: int = 8) -> tuple[Finding, ...]:
    """The most frequent trial adverse reactions of each drug against its own comparator, from
    the label tables, then from the registry's trials (:func:`registry_findings`) when gathered."""
    out = trial_findings("trial_reactions", a, b, None, limit=limit, exclude=ELSEWHERE)
    out += registry_findings("trial_reactions", a, b)
    for ev in (a, b):
        if not ev.incidences:
            out.append(
                finding(
                    "trial_reactions",
                    "trial.none",
                    ph.NO_TRIALS.format(drug=ev.name),
                    Favours.UNCLEAR,
                    Grade.ABSENT,
                    (ev.label,),
                )
            )
    return tuple(out)


# ---- registry trials (ClinicalTrials.gov) ---------------------------------------------------
#
# Each drug's registry trials against their own comparator arm: risk differences with Newcombe's
# interval for "any serious adverse event" (the registry's per-group count of patients) and for
# each event term, serious and other apart, grouped by the pack's event groups and by organ
# system. Trials of one design are pooled only when the registry gives both arms of each. No
# figure of one drug's trials is ever set against the other drug's: such findings never favour.

# Structural groups of registry terms: (key, organ-system prefix, term words). Matched in order
# after the pack's event groups; a term joins the first group it matches.
ORGAN_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "administration",
        "",
        (
            "infusion related",
            "infusion-related",
            "injection related",
            "injection-related",
            "injection site",
            "infusion site",
        ),
    ),
    ("infections", "infections and infestations", ()),
    ("neoplasms", "neoplasms", ()),
)
PER_GROUP = 5


@dataclass(frozen=True)
class RegistryRow:
    """One event term in a drug arm and its comparator arm (summed over pooled trials)."""

    term: str
    serious: bool
    x1: int
    n1: int
    x2: int
    n2: int
    organ_system: str
    threshold: float | None

    def estimate(self) -> Estimate:
        rd, lo, hi = risk_difference_newcombe(self.x1, self.n1, self.x2, self.n2)
        return Estimate("rd_newcombe", float(rd), float(lo), float(hi))


@dataclass(frozen=True)
class RegistryUnit:
    """A drug arm against its comparator arm: one trial, or trials of one design pooled."""

    name: str
    trials: tuple  # of ctgov.Trial
    arm: str
    comparator: str
    comparator_intervention: str
    rows: tuple[RegistryRow, ...]
    any_serious: tuple[int, int, int, int] | None
    group_ids: tuple[str, ...]
    not_pooled: tuple[str, ...] = ()

    @property
    def pooled(self) -> bool:
        return len(self.trials) > 1

    def citations(self):
        return tuple(
            t.citation(
                *[g.split(":", 1)[1] for g in self.group_ids if g.startswith(t.nct_id + ":")]
            )
            for t in self.trials
        )


def _unit_of(trial, drug_group, comp_group) -> RegistryUnit:
    rows: dict[tuple[bool, str], dict[str, Incidence]] = {}
    for i in trial.incidences:
        if i.citation.section in (drug_group.id, comp_group.id):
            side = "drug" if i.citation.section == drug_group.id else "comp"
            rows.setdefault((bool(i.serious), i.event), {})[side] = i
    out = []
    for (serious, term), pair in rows.items():
        if "drug" in pair and "comp" in pair:
            d, c = pair["drug"], pair["comp"]
            out.append(
                RegistryRow(term, serious, d.count, d.n, c.count, c.n, d.organ_system, d.threshold)
            )
    (x1, n1), (x2, n2) = drug_group.serious, comp_group.serious
    total = (
        (x1, n1, x2, n2)
        if None not in (x1, n1, x2, n2) and n1 and n2 and x1 <= n1 and x2 <= n2
        else None
    )
    return RegistryUnit(
        trial.name,
        (trial,),
        drug_group.title,
        comp_group.title,
        comp_group.intervention,
        tuple(out),
        total,
        (f"{trial.nct_id}:{drug_group.id}", f"{trial.nct_id}:{comp_group.id}"),
    )


def _pool(units: list[RegistryUnit]) -> RegistryUnit:
    keyed = [{(r.serious, _norm(r.term)): r for r in u.rows} for u in units]
    common = set.intersection(*(set(k) for k in keyed))
    rows = []
    for key in sorted(common, key=lambda k: (not k[0], k[1])):
        parts = [k[key] for k in keyed]
        rows.append(
            RegistryRow(
                parts[0].term,
                parts[0].serious,
                sum(r.x1 for r in parts),
                sum(r.n1 for r in parts),
                sum(r.x2 for r in parts),
                sum(r.n2 for r in parts),
                parts[0].organ_system,
                max((r.threshold for r in parts if r.threshold is not None), default=None),
            )
        )
    dropped = sorted({r.term for k in keyed for key, r in k.items() if key not in common})
    totals = [u.any_serious for u in units]
    total = tuple(sum(t[i] for t in totals) for i in range(4)) if all(totals) else None
    names = " + ".join(u.name for u in units)
    return RegistryUnit(
        names,
        tuple(t for u in units for t in u.trials),
        " + ".join(dict.fromkeys(u.arm for u in units)),
        " + ".join(dict.fromkeys(u.comparator for u in units)),
        units[0].comparator_intervention,
        tuple(rows),
        total,
        tuple(g for u in units for g in u.group_ids),
        tuple(dropped),
    )


def registry_units(trials) -> list[RegistryUnit]:
    """Drug-vs-comparator units of usable trials; trials of one design with one drug arm and one
    comparator arm each are pooled."""
    single: dict[tuple, list[RegistryUnit]] = {}
    out: list[RegistryUnit] = []
    for t in trials:
        if not t.usable:
            continue
        drugs = [g for g in t.groups if g.randomised and g.role == "drug"]
        comps = [g for g in t.groups if g.randomised and g.role == "comparator"]
        if len(drugs) == 1 and len(comps) == 1:
            key = (t.design, _norm(drugs[0].intervention), _norm(comps[0].intervention))
            single.setdefault(key, []).append(_unit_of(t, drugs[0], comps[0]))
        else:
            out += [_unit_of(t, d, c) for d in drugs for c in comps]
    for units in single.values():
        out.append(_pool(units) if len(units) > 1 else units[0])
    return out


def _norm(text: str) -> str:
    return normalise_name(text or "")


def _group_of(row: RegistryRow, event_groups) -> str:
    upper = row.term.upper()
    for name, terms in event_groups:
        if upper in terms:
            return name
    low, soc = row.term.lower(), row.organ_system.lower()
    for key, prefix, words in ORGAN_GROUPS:
        if (prefix and soc.startswith(prefix)) or any(w in low for w in words):
            return ph.REG_GROUP_NAMES[key]
    return ph.REG_GROUP_NAMES["other"]


def _is_other_drug(text: str, other: Evidence) -> bool:
    low = _norm(text)
    return any(n and f" {n} " in f" {low} " for n in _names(other))


def _fmt_pct(x: int, n: int) -> str:
    return f"{100 * x / n:.1f}"


def _registry_finding(dimension, unit, ev, other, side, event, serious, x1, n1, x2, n2, caveats):
    rd, lo, hi = risk_difference_newcombe(x1, n1, x2, n2)
    est = Estimate("rd_newcombe", float(rd), float(lo), float(hi))
    h2h = _is_other_drug(unit.comparator_intervention, other)
    kind = "" if serious is None else ph.REG_SERIOUS if serious else ph.REG_OTHER
    statement = (ph.REG_H2H if h2h else ph.REG_ARM).format(
        trial=unit.name,
        event=event,
        kind=kind,
        arm=unit.arm,
        x=x1,
        n=n1,
        pct=_fmt_pct(x1, n1),
        comp=unit.comparator,
        cx=x2,
        cn=n2,
        cpct=_fmt_pct(x2, n2),
        rd=_pp(est.value),
        lo=_pp(est.lower),
        hi=_pp(est.upper),
    )
    favours = Favours.UNCLEAR
    if h2h:
        lower_first = est.upper < 0
        higher_first = est.lower > 0
        if side == "a":
            favours = Favours.A if lower_first else Favours.B if higher_first else Favours.NONE
        else:
            favours = Favours.B if lower_first else Favours.A if higher_first else Favours.NONE
    topic = "trial." + _norm(f"{event} {'serious' if serious else ''}").replace(" ", "_")
    if unit.pooled:
        caveats = (*caveats, ph.REG_POOLED.format(trials=unit.name))
    return finding(
        dimension,
        topic,
        statement,
        favours,
        Grade.TRIAL,
        unit.citations(),
        a_text=statement if side == "a" else "",
        b_text=statement if side == "b" else "",
        caveats=tuple(dict.fromkeys(caveats)),
        estimates=(est,),
    )


def _unit_findings(dimension, unit, ev, other, side, event_groups) -> list[Finding]:
    frames = {t.time_frame for t in unit.trials}
    time_frame = frames.pop() if len(frames) == 1 else ""
    base = (ph.REG_TIME_FRAME.format(time_frame=time_frame),) if time_frame else ()
    out = []
    if unit.any_serious is not None:
        out.append(
            _registry_finding(
                dimension, unit, ev, other, side, ph.REG_ANY_SERIOUS, None, *unit.any_serious, base
            )
        )
    grouped: dict[tuple[str, bool], list[RegistryRow]] = {}
    for row in unit.rows:
        grouped.setdefault((_group_of(row, event_groups), row.serious), []).append(row)
    order = [n for n, _ in event_groups] + [ph.REG_GROUP_NAMES[k] for k, _, _ in ORGAN_GROUPS]
    order.append(ph.REG_GROUP_NAMES["other"])
    for name in order:
        for serious in (True, False):
            rows = sorted(grouped.get((name, serious), []), key=lambda r: (-r.x1 / r.n1, r.term))
            if not rows:
                continue
            caveats = list(base) + [ph.REG_PER_TERM]
            if not serious and rows[0].threshold is not None:
                caveats.append(ph.REG_THRESHOLD.format(threshold=f"{rows[0].threshold:g}"))
            if len(rows) > PER_GROUP:
                caveats.append(
                    ph.REG_TERMS_SHOWN.format(shown=PER_GROUP, total=len(rows), drug=ev.name)
                )
            for r in rows[:PER_GROUP]:
                out.append(
                    _registry_finding(
                        dimension,
                        unit,
                        ev,
                        other,
                        side,
                        ph.REG_GROUP.format(group=name, event=r.term),
                        serious,
                        r.x1,
                        r.n1,
                        r.x2,
                        r.n2,
                        tuple(caveats),
                    )
                )
    return out


def _registry_date(reg) -> str:
    when = reg.fetched_at.date().isoformat() if reg.fetched_at else "date unknown"
    return (ph.REG_CACHED if reg.from_store else ph.REG_FETCHED).format(date=when)


def registry_findings(dimension: str, a: Evidence, b: Evidence) -> list[Finding]:
    """Findings from each drug's registry trials (nothing when no registry was gathered)."""
    out: list[Finding] = []
    comparators: dict[str, list[str]] = {}
    h2h = False
    for ev, other, side in ((a, b, "a"), (b, a, "b")):
        reg = getattr(ev, "registry", None)
        if reg is None:
            continue
        if reg.error:
            out.append(
                finding(
                    dimension,
                    "trial.registry.error",
                    ph.REG_ERROR.format(drug=ev.name, error=reg.error),
                    Favours.UNCLEAR,
                    Grade.ABSENT,
                    (ev.label,),
                )
            )
            if not reg.trials:
                continue
        trials = reg.for_product(ev.drug.product.id)
        units = registry_units(trials)
        if units:
            listed = "; ".join(f"{u.name}: {u.arm} vs {u.comparator}" for u in units)
            n = len({t.nct_id for u in units for t in u.trials})
            statement = ph.REG_SOURCE.format(
                n=n, drug=ev.name, trials=listed, source=_registry_date(reg)
            )
            caveats = tuple(
                ph.REG_NOT_POOLED.format(trials=u.name, terms=", ".join(u.not_pooled))
                for u in units
                if u.not_pooled
            )
            out.append(
                finding(
                    dimension,
                    "trial.registry.source",
                    statement,
                    Favours.UNCLEAR,
                    Grade.TRIAL,
                    tuple(c for u in units for c in u.citations()),
                    caveats=caveats,
                    a_text=statement if side == "a" else "",
                    b_text=statement if side == "b" else "",
                )
            )
        else:
            out.append(
                finding(
                    dimension,
                    "trial.registry.none",
                    ph.REG_NONE.format(drug=ev.name, source=_registry_date(reg)),
                    Favours.UNCLEAR,
                    Grade.ABSENT,
                    (ev.label,),
                )
            )
        wrong = [t for t in reg.trials if t.problems and (t.product in ("", ev.drug.product.id))]
        if wrong:
            text = " ".join(
                ph.REG_EXCLUDED.format(trial=t.name, problems="; ".join(t.problems)) for t in wrong
            )
            out.append(
                finding(
                    dimension,
                    "trial.registry.excluded",
                    text,
                    Favours.UNCLEAR,
                    Grade.ABSENT,
                    tuple(t.citation() for t in wrong),
                )
            )
        apart = [(t, [g for g in t.groups if g.kept_apart]) for t in trials]
        apart = [(t, gs) for t, gs in apart if gs]
        if apart:
            text = " ".join(
                ph.REG_KEPT_APART.format(
                    trial=t.name, groups="; ".join(f"{g.id} {g.title} ({g.kept_apart})" for g in gs)
                )
                for t, gs in apart
            )
            out.append(
                finding(
                    dimension,
                    "trial.registry.kept_apart",
                    text,
                    Favours.UNCLEAR,
                    Grade.TRIAL,
                    tuple(t.citation(*[g.id for g in gs]) for t, gs in apart),
                )
            )
        for u in units:
            h2h = h2h or _is_other_drug(u.comparator_intervention, other)
            comparators.setdefault(side, []).append(u.comparator_intervention)
            out += _unit_findings(dimension, u, ev, other, side, ev.event_groups)
    if not h2h and len(comparators) == 2:
        ca, cb = (" / ".join(dict.fromkeys(comparators[s])) for s in ("a", "b"))
        if {_norm(c) for c in comparators["a"]} == {_norm(c) for c in comparators["b"]}:
            statement = ph.REG_COMPARATORS_SAME.format(c=ca)
        else:
            statement = ph.REG_COMPARATORS_DIFFER.format(a=a.name, ca=ca, b=b.name, cb=cb)
        out.insert(
            0,
            finding(
                dimension,
                "trial.registry.comparators",
                statement,
                Favours.UNCLEAR,
                Grade.TRIAL,
                cites([c for f in out if f.topic == "trial.registry.source" for c in f.citations]),
            ),
        )
    return out


def registry_provenance(reg) -> str:
    """Where a drug's registry trials come from, and when they were fetched."""
    return (
        f"ClinicalTrials.gov API v2, {len(reg.trials)} record(s) for {reg.name!r}, {_registry_date(reg)}"
        + (f"; {reg.error}" if reg.error else "")
    )
