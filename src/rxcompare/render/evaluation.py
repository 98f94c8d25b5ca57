"""A method evaluation (:class:`~rxcompare.models.Evaluation`) as a plain-text report: the metrics
table, then the controls left out and why, then the notes. The JSON document is the signals wing's
(:func:`rxcompare.signals.evaluate.evaluation_json`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from rxcompare.models import Evaluation

__all__ = ["evaluation_text", "not_evaluated_reasons"]


def not_evaluated_reasons(ev: Evaluation) -> Sequence[tuple[str, int]]:
    """How many controls each kind of reason left out (first words of the reason), most first."""
    kinds = Counter()
    for c in ev.not_evaluated:
        s = c.status
        kind = (
            "no PT definition"
            if "no PT definition" in s
            else "several ingredients"
            if "several" in s
            else "outcome never reported"
            if "is reported" in s
            else "drug not in the warehouse"
        )
        kinds[kind] += 1
    return kinds.most_common()


def _fmt(x: float, digits: int = 3) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def evaluation_text(ev: Evaluation) -> str:
    """Plain-text report: the metrics table, then the controls left out and why, then the notes."""
    ev_pos = sum(c.positive for c in ev.evaluated)
    lines = [
        f"reference set {ev.reference} ({ev.reference_path.replace(chr(92), '/').rsplit('/', 1)[-1]}); outcomes "
        f"defined by {ev.definitions}; {len(ev.controls)} controls, {len(ev.evaluated)} evaluated "
        f"({ev_pos} positive, {len(ev.evaluated) - ev_pos} negative); {ev.n_cases:,} {ev.counting_unit}s; "
        + "; ".join(f"{k} {v}" for k, v in ev.filters),
        "",
    ]
    head = (
        "statistic",
        "rule",
        "TP",
        "FP",
        "TN",
        "FN",
        "sensitivity",
        "specificity",
        "PPV",
        "AUC (score)",
    )
    rows = [
        (
            m.statistic,
            m.rule,
            str(m.tp),
            str(m.fp),
            str(m.tn),
            str(m.fn),
            _fmt(m.sensitivity),
            _fmt(m.specificity),
            _fmt(m.ppv),
            f"{_fmt(m.auc)} ({m.score})",
        )
        for m in ev.metrics
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    for r in (head, *rows):
        lines.append(
            "  ".join(
                v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))
            ).rstrip()
        )
    if ev.mgps_note:
        lines += ["", ev.mgps_note]
    if ev.not_evaluated:
        lines += [
            "",
            f"not evaluated ({len(ev.not_evaluated)}): "
            + ", ".join(f"{k} {n}" for k, n in not_evaluated_reasons(ev)),
        ]
        lines += [
            f"  {'+' if c.positive else '-'} {c.drug} / {c.outcome}: {c.status}"
            for c in ev.not_evaluated
        ]
    if ev.notes:
        lines += ["", *ev.notes]
    return "\n".join(lines) + "\n"
