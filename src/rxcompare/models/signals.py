"""The pharmacovigilance wing's records: scored signal tables, the MGPS prior, time to onset, and
the evaluation of the signal rules on a reference set.

A :class:`SignalTable` holds every statistic of many drug-event pairs as numpy columns, in
:data:`COLUMNS` order (built by :func:`rxcompare.signals.score_counts`); its JSON, CSV and Parquet
forms are :mod:`rxcompare.signals.files`'. Statistics are kept at full precision; only renderers
round.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rxcompare.models.disproportionality import Contingency, Estimate, Signal
from rxcompare.models.evidence import Citation

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "COLUMNS",
    "ControlResult",
    "Evaluation",
    "MgpsPrior",
    "OnsetSummary",
    "RuleMetrics",
    "SORT_KEYS",
    "SignalTable",
    "prior_dict",
]

COLUMNS = (
    "drug",
    "event",
    "a",
    "b",
    "c",
    "d",
    "ror",
    "ror_lower",
    "ror_upper",
    "prr",
    "prr_lower",
    "prr_upper",
    "chi2",
    "ic",
    "ic025",
    "ic975",
    "e",
    "ebgm",
    "eb05",
    "eb95",
    "ror_method",
    "prr_method",
    "flags",
    "mdrr",
    "listed",
    "listed_where",
)
SORT_KEYS = ("ror", "ror_lower", "prr", "chi2", "ic", "ic025", "ebgm", "eb05", "a", "mdrr")
"""The columns ``signals --sort`` orders by (largest first; ``a`` is the number of cases, nan last)."""


@dataclass(frozen=True)
class MgpsPrior:
    """The fitted two-gamma mixture prior and how it was fitted.

    ``loglik`` is the (truncated, weighted) log-likelihood at the estimate, including the
    -log(n!) constants, so that -loglik equals openEBGM's negative log-likelihood on the same data.
    """

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    p: float
    loglik: float
    converged: bool
    method: str
    n_pairs: int
    squashed: bool
    n_points: int = 0  # (N, E) points the likelihood was evaluated on
    n_starts: int = 0
    n_converged: int = 0

    @property
    def theta(self) -> tuple[float, float, float, float, float]:
        return (self.alpha1, self.beta1, self.alpha2, self.beta2, self.p)


@dataclass(frozen=True)
class SignalTable:
    """All statistics of many pairs as columns (numpy arrays in :data:`COLUMNS` order)."""

    columns: dict[str, np.ndarray]
    prior: MgpsPrior | None
    thresholds: Any  # the rxcompare.stats.thresholds.Thresholds applied; in words: ``rules``
    n_reports: int
    source: str
    counting_unit: str
    comparator: str | None = None
    level: float = 0.95
    filters: tuple[tuple[str, str], ...] = ()
    excluded_rows: int = 0
    rules: dict[str, str] = field(default_factory=dict)
    mgps_note: str = ""  # why MGPS was not estimated, when it was not (empty otherwise)
    # system, quarters or snapshot, counting unit, roles, indication, window
    # (rxcompare.sources.faers.provenance.describe_source)
    origin: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.columns["a"].size)

    def select(
        self,
        mask: np.ndarray | None = None,
        *,
        drugs=(),
        events=(),
        flagged_only: bool = False,
        filters: tuple[tuple[str, str], ...] = (),
    ) -> SignalTable:
        """Rows kept by ``mask`` and by exact drug / event labels (scores are unchanged)."""
        import numpy as np  # the records import no numpy: `import rxcompare` stays light

        keep = np.ones(len(self), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if drugs:
            keep &= np.isin(self.columns["drug"], list(drugs))
        if events:
            keep &= np.isin(self.columns["event"], list(events))
        if flagged_only:
            keep &= self.columns["flags"] != ""
        cols = {k: v[keep] for k, v in self.columns.items()}
        return replace(self, columns=cols, filters=self.filters + filters)

    def ordered(self, key: str | None = None, top: int | None = None) -> SignalTable:
        """Rows sorted by ``key`` (:data:`SORT_KEYS`, largest first, nan last; ties by drug and
        event), then the first ``top``. Raises :class:`ValueError` for another key or a ``top``
        below 1 (the command line says it as a ``ConfigError``)."""
        import numpy as np

        if key is not None and key not in SORT_KEYS:
            raise ValueError(f"--sort {key!r} is not one of {', '.join(SORT_KEYS)}")
        if top is not None and top < 1:
            raise ValueError(f"--top {top} must be 1 or more")
        order = np.arange(len(self))
        if key is not None:
            value = np.asarray(self.columns[key], dtype=float)
            value = np.where(np.isnan(value), -np.inf, value)
            order = np.lexsort((self.columns["event"], self.columns["drug"], -value))
        if top is not None:
            order = order[:top]
        return replace(self, columns={k: v[order] for k, v in self.columns.items()})

    def rows(self) -> list[dict[str, Any]]:
        """One dict per pair in column order, plain Python values (nan stays nan)."""
        py = [self.columns[k].tolist() for k in COLUMNS]
        return [dict(zip(COLUMNS, values)) for values in zip(*py)]

    def to_signals(self, citation_kind: str = "reports") -> tuple[Signal, ...]:
        """:class:`~rxcompare.models.Signal` records, one per pair, citing the counts."""
        out = []
        for r in self.rows():
            est = [
                Estimate(r["ror_method"], r["ror"], r["ror_lower"], r["ror_upper"], self.level),
                Estimate(r["prr_method"], r["prr"], r["prr_lower"], r["prr_upper"], self.level),
                Estimate("chi2_yates", r["chi2"]),
                Estimate("ic_bcpnn", r["ic"], r["ic025"], r["ic975"], self.level),
            ]
            if self.prior is not None:
                est.append(Estimate("ebgm_mgps", r["ebgm"], r["eb05"], r["eb95"], 0.90))
            table = Contingency(int(r["a"]), int(r["b"]), int(r["c"]), int(r["d"]))
            detail = (
                ("source", self.source),
                ("counting_unit", self.counting_unit),
                ("n_reports", str(self.n_reports)),
                ("a", str(table.a)),
                ("b", str(table.b)),
                ("c", str(table.c)),
                ("d", str(table.d)),
            )
            cite = Citation(kind=citation_kind, title=self.source, detail=detail + self.filters)
            flags = tuple(x for x in str(r["flags"]).split("+") if x)
            out.append(
                Signal(
                    drug=str(r["drug"]),
                    event=str(r["event"]),
                    table=table,
                    estimates=tuple(est),
                    citation=cite,
                    counting_unit=self.counting_unit,
                    comparator=self.comparator,
                    filters=self.filters,
                    flags=flags,
                    extra=(("e", r["e"]),),
                )
            )
        return tuple(out)


def prior_dict(prior: MgpsPrior | None) -> dict[str, Any] | None:
    """The fitted prior as JSON-ready values (full precision)."""
    if prior is None:
        return None
    return {
        "alpha1": prior.alpha1,
        "beta1": prior.beta1,
        "alpha2": prior.alpha2,
        "beta2": prior.beta2,
        "p": prior.p,
        "loglik": prior.loglik,
        "converged": prior.converged,
        "method": prior.method,
        "n_pairs": prior.n_pairs,
        "n_points": prior.n_points,
        "squashed": prior.squashed,
        "n_starts": prior.n_starts,
        "n_converged": prior.n_converged,
    }


ONSET_COLUMNS = (
    "drug",
    "event",
    "cases",
    "usable",
    "share_usable",
    "negative",
    "invalid",
    "too_coarse",
    "missing",
    "median_days",
    "q1_days",
    "q3_days",
    "min_days",
    "max_days",
)
"""The columns of an onset summary in every file (JSON rows, CSV), in order."""


@dataclass(frozen=True)
class OnsetSummary:
    """Time to onset of one drug-event pair, in days, over its cases (see the module doc)."""

    drug: str
    event: str
    cases: int
    usable: int
    negative: int
    invalid: int
    too_coarse: int
    missing: int
    median_days: float
    q1_days: float
    q3_days: float
    min_days: float
    max_days: float
    counting_unit: str
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def share_usable(self) -> float:
        """Share of the pair's cases whose dates gave an onset (usable / cases)."""
        return self.usable / self.cases if self.cases else float("nan")


@dataclass(frozen=True)
class ControlResult:
    """One reference control: its mapping, and its table and scores when evaluated."""

    drug: str
    outcome: str
    positive: bool
    label: str | None  # warehouse label of the drug
    status: str  # "evaluated", or why not
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0
    scores: tuple[tuple[str, float], ...] = ()
    flags: tuple[str, ...] = ()  # rules (statistic: rule) that flag it


@dataclass(frozen=True)
class RuleMetrics:
    """How one rule does over the evaluated controls."""

    statistic: str
    rule: str
    score: str
    tp: int
    fp: int
    tn: int
    fn: int
    sensitivity: float
    specificity: float
    ppv: float
    auc: float


@dataclass(frozen=True)
class Evaluation:
    """The whole evaluation: controls (evaluated or not), metrics per rule, and the run's facts."""

    reference: str
    reference_path: str
    definitions: str
    controls: tuple[ControlResult, ...]
    metrics: tuple[RuleMetrics, ...]
    n_cases: int
    counting_unit: str
    filters: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    mgps_note: str

    @property
    def evaluated(self) -> tuple[ControlResult, ...]:
        return tuple(c for c in self.controls if c.status == "evaluated")

    @property
    def not_evaluated(self) -> tuple[ControlResult, ...]:
        return tuple(c for c in self.controls if c.status != "evaluated")
