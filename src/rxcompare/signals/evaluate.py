"""Method evaluation against a reference set: how well each statistic and threshold separates the
positive controls (known adverse drug reactions) from the negative controls, on this warehouse.

``load_reference -> map drugs and outcomes -> count_controls -> score -> metrics``.

A control is *evaluated* when its drug maps to a warehouse label with at least one case and its
outcome has a PT definition reported in at least one case; the others are listed with the reason
(drug unmapped, several ingredients, no case; outcome undefined or never reported). For an evaluated
control the 2x2 table is drug x outcome, the outcome being "any of its PTs" (a case counts once).
Each statistic is computed as :func:`rxcompare.signals.score.score_counts` computes it, EBGM with the MGPS
prior fitted on every drug-PT pair of the warehouse (the prior describes the database; the outcome
groups are then scored against it).

Per rule (statistic and threshold): TP, FP, TN, FN over the evaluated controls, sensitivity
TP/(TP+FN), specificity TN/(TN+FP), positive predictive value TP/(TP+FP), and the area under the ROC
curve of the rule's score (the quantity thresholded), by the Mann-Whitney statistic with ties counted
one half; a score that is nan (no estimate) ranks lowest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rxcompare.models import (
    ControlResult,
    Evaluation,
    PairCounts,
    RuleMetrics,
    envelope,
    json_value,
)
from rxcompare.signals.reference_sets import (
    Reference,
    count_controls,
    map_drugs,
    outcome_terms,
)
from rxcompare.signals.score import score_counts
from rxcompare.signals.warehouse import signals_from_warehouse
from rxcompare.sources.faers.normalise import Synonyms, load_synonyms
from rxcompare.stats.thresholds import Thresholds

__all__ = [
    "EVAL_RULES",
    "ControlResult",
    "Evaluation",
    "RuleMetrics",
    "evaluate_reference",
    "evaluation_json",
    "rule_metrics",
]


def _rules(
    t: Thresholds,
) -> tuple[tuple[str, str, str, Callable[[dict[str, np.ndarray]], np.ndarray]], ...]:
    m = t.min_count
    return (
        (
            "ROR",
            f"a >= {m} and ROR025 > {t.ror_lower:g}",
            "ror_lower",
            lambda c: (c["a"] >= m) & (c["ror_lower"] > t.ror_lower),
        ),
        (
            "PRR",
            f"a >= {m} and PRR025 > 1",
            "prr_lower",
            lambda c: (c["a"] >= m) & (c["prr_lower"] > 1),
        ),
        (
            "PRR",
            f"a >= {m}, PRR >= 2 and chi2 >= 4 (Evans 2001)",
            "prr",
            lambda c: (c["a"] >= m) & (c["prr"] >= 2) & (c["chi2"] >= 4),
        ),
        (
            "IC",
            f"a >= {m} and IC025 > {t.ic025:g}",
            "ic025",
            lambda c: (c["a"] >= m) & (c["ic025"] > t.ic025),
        ),
        (
            "EBGM",
            f"a >= {m} and EB05 >= {t.eb05:g}",
            "eb05",
            lambda c: (c["a"] >= m) & (c["eb05"] >= t.eb05),
        ),
        ("EBGM", f"a >= {m} and EBGM >= 2", "ebgm", lambda c: (c["a"] >= m) & (c["ebgm"] >= 2)),
    )


EVAL_RULES = tuple((s, r, k) for s, r, k, _ in _rules(Thresholds()))
"""(statistic, rule, score column) of the default thresholds, in output order."""


def _ratio(x: int, y: int) -> float:
    return x / y if y else math.nan


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    from scipy.stats import rankdata

    s = np.where(np.isnan(scores), -np.inf, scores)
    p, n = int(positive.sum()), int((~positive).sum())
    if not p or not n:
        return math.nan
    ranks = rankdata(s)  # ties get their average rank: each tie counts one half
    return float((ranks[positive].sum() - p * (p + 1) / 2) / (p * n))


def rule_metrics(
    columns: dict[str, np.ndarray], positive: np.ndarray, thresholds: Thresholds
) -> tuple[RuleMetrics, ...]:
    """Metrics of every rule of :data:`EVAL_RULES` over scored controls (``columns`` as
    :func:`~rxcompare.signals.score.score_counts` returns them; ``positive`` the ground truth)."""
    positive = np.asarray(positive, dtype=bool)
    out = []
    for stat, rule, score, flag in _rules(thresholds):
        with np.errstate(invalid="ignore"):
            f = np.asarray(flag(columns), dtype=bool)
        tp, fp = int((f & positive).sum()), int((f & ~positive).sum())
        fn, tn = int((~f & positive).sum()), int((~f & ~positive).sum())
        out.append(
            RuleMetrics(
                stat,
                rule,
                score,
                tp,
                fp,
                tn,
                fn,
                _ratio(tp, tp + fn),
                _ratio(tn, tn + fp),
                _ratio(tp, tp + fp),
                _auc(np.asarray(columns[score], dtype=float), positive),
            )
        )
    return tuple(out)


def evaluate_reference(
    tables: Any,
    reference: Reference,
    *,
    query: Any = None,
    thresholds: Thresholds | None = None,
    synonyms: Synonyms | None = None,
) -> Evaluation:
    """Evaluate every rule on ``reference`` over the warehouse opened as ``tables``
    (:func:`rxcompare.sources.faers.engines.connect_engine`), counted with ``query`` (a
    ``CountQuery``; default suspect roles, ingredient level)."""
    from rxcompare.sources.faers.counts import COUNTING_UNIT, CountQuery, drug_rows

    query = CountQuery() if query is None else query
    thresholds = Thresholds() if thresholds is None else thresholds
    synonyms = load_synonyms() if synonyms is None else synonyms
    d = drug_rows(tables, query)
    label = d[query.level]
    labels = (
        tables.fetch(d.filter(label.notnull()).select(label=label).distinct())
        .column("label")
        .to_pylist()
    )
    mapped, unmapped = map_drugs([c.drug for c in reference.controls], labels, synonyms)
    defined, undefined = outcome_terms(reference)
    counts = count_controls(tables, sorted(set(mapped.values())), defined, query)

    status: list[str] = []
    for c in reference.controls:
        lab = mapped.get(c.drug)
        if lab is None:
            status.append(unmapped[c.drug])
        elif c.outcome not in defined:
            status.append(undefined[c.outcome])
        elif not counts.drug.get(lab):
            status.append(f"drug {c.drug!r} ({lab}) has no case in the counted universe")
        elif not counts.outcome.get(c.outcome):
            status.append(
                f"outcome {c.outcome!r}: none of its {len(defined[c.outcome])} PTs is reported"
            )
        else:
            status.append("evaluated")
    idx = [i for i, s in enumerate(status) if s == "evaluated"]
    ev = [reference.controls[i] for i in idx]
    n = counts.n
    a = np.array([counts.pair.get((mapped[c.drug], c.outcome), 0) for c in ev], dtype=np.int64)
    nd = np.array([counts.drug[mapped[c.drug]] for c in ev], dtype=np.int64)
    ne = np.array([counts.outcome[c.outcome] for c in ev], dtype=np.int64)
    pc = PairCounts(
        np.array([mapped[c.drug] for c in ev], dtype=object),
        np.array([c.outcome for c in ev], dtype=object),
        a,
        nd - a,
        ne - a,
        n - nd - ne + a,
        n,
        "reference controls",
        COUNTING_UNIT,
    )
    # the MGPS prior of the database: fitted on every drug-PT pair under the same query
    whole = signals_from_warehouse(tables, query=query, thresholds=thresholds)
    scored = (
        score_counts(pc, thresholds, prior=whole.prior)
        if whole.prior is not None
        else score_counts(pc, thresholds)
    )
    cols = scored.columns
    if whole.prior is None:
        for k in ("ebgm", "eb05", "eb95"):
            cols[k] = np.full(a.shape, np.nan)
    positive = np.array([c.positive for c in ev], dtype=bool)
    metrics = rule_metrics(cols, positive, thresholds)
    flags_by_row: list[list[str]] = [[] for _ in ev]
    for stat, rule, _score, flag in _rules(thresholds):
        with np.errstate(invalid="ignore"):
            f = np.asarray(flag(cols), dtype=bool)
        for j in np.flatnonzero(f):
            flags_by_row[j].append(f"{stat}: {rule}")
    results: list[ControlResult] = []
    j_of = {i: j for j, i in enumerate(idx)}
    for i, c in enumerate(reference.controls):
        lab = mapped.get(c.drug)
        if i not in j_of:
            results.append(ControlResult(c.drug, c.outcome, c.positive, lab, status[i]))
            continue
        j = j_of[i]
        scores = tuple(
            (k, float(cols[k][j]))
            for k in (
                "ror",
                "ror_lower",
                "prr",
                "prr_lower",
                "chi2",
                "ic",
                "ic025",
                "e",
                "ebgm",
                "eb05",
            )
        )
        results.append(
            ControlResult(
                c.drug,
                c.outcome,
                c.positive,
                lab,
                "evaluated",
                int(a[j]),
                int(nd[j] - a[j]),
                int(ne[j] - a[j]),
                int(n - nd[j] - ne[j] + a[j]),
                scores,
                tuple(flags_by_row[j]),
            )
        )
    return Evaluation(
        reference=reference.name,
        reference_path=reference.path,
        definitions=reference.definitions_source,
        controls=tuple(results),
        metrics=metrics,
        n_cases=n,
        counting_unit=COUNTING_UNIT,
        filters=query.describe(),
        notes=reference.notes,
        mgps_note=whole.mgps_note,
    )


def evaluation_json(ev: Evaluation) -> dict[str, Any]:
    """The versioned JSON envelope ``rxcompare/evaluation`` (full precision; nan as null)."""
    return envelope(
        "rxcompare/evaluation",
        reference=ev.reference,
        reference_file=ev.reference_path.replace("\\", "/").rsplit("/", 1)[-1],
        definitions=ev.definitions,
        counting_unit=ev.counting_unit,
        n_cases=ev.n_cases,
        filters=dict(ev.filters),
        notes=list(ev.notes),
        mgps_note=ev.mgps_note,
        controls_total=len(ev.controls),
        controls_evaluated=len(ev.evaluated),
        positives_evaluated=sum(c.positive for c in ev.evaluated),
        negatives_evaluated=sum(not c.positive for c in ev.evaluated),
        metrics=[{k: json_value(v) for k, v in m.__dict__.items()} for m in ev.metrics],
        controls=[
            {
                "drug": c.drug,
                "outcome": c.outcome,
                "positive": c.positive,
                "label": c.label,
                "status": c.status,
                **(
                    {
                        "a": c.a,
                        "b": c.b,
                        "c": c.c,
                        "d": c.d,
                        **{k: json_value(v) for k, v in c.scores},
                        "flags": list(c.flags),
                    }
                    if c.status == "evaluated"
                    else {}
                ),
            }
            for c in ev.controls
        ],
    )
