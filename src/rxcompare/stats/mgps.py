"""MGPS: DuMouchel's Gamma-Poisson Shrinker with a two-gamma mixture prior.

Model (DuMouchel 1999, Am Stat 53:177-190, eqs. 2-11): each pair's count N ~ Poisson(lambda E),
with lambda ~ P Gamma(alpha1, beta1) + (1 - P) Gamma(alpha2, beta2) (shape, rate). Marginally
N is a mixture of two negative binomials::

    f_k(n) = Gamma(alpha_k + n) / (Gamma(alpha_k) n!) (beta_k/(beta_k+E))^alpha_k (E/(beta_k+E))^n

**Fit** (:func:`fit_mgps_prior`): maximum likelihood over all pairs' (N, E). Counts come only from
pairs seen at least once, so by default (``n_star=1``) each component is truncated at N >= 1, as
in DuMouchel & Pregibon (2001, KDD '01) and openEBGM's ``negLL``/``negLLsquash``::

    loglik = sum_i w_i log( P f_1(n_i)/(1 - f_1(0)) + (1 - P) f_2(n_i)/(1 - f_2(0)) )

(``n_star=None`` drops the truncation, for data that include zero cells). The optimiser is
L-BFGS-B with the analytic gradient on log(alpha), log(beta), logit(P), from several starting
points (DuMouchel 1999's and openEBGM's documented guesses); the best converged solution wins.
A start has converged when L-BFGS-B reports success (including "norm of projected gradient <=
pgtol" with a parameter on its bound) or stops at a first-order (KKT) point of the bounded problem
(L-BFGS-B can end on a line-search failure where the objective is flat to machine precision; which
of the two it reports differs between SciPy releases). A maximum on a bound (alpha, beta in
[1e-6, 1e4], logit P in [-20, 20]) is the constrained maximum likelihood estimate: it arises when
the unconstrained maximum lies at infinity, e.g. when most pairs sit at lambda = 1 exactly or when
a small table cannot identify five parameters; the prior's ``method`` then names the parameters at
their bounds, so that no reader takes it for an interior estimate.
Components are ordered so that component 1 has the larger prior mean alpha/beta.

**Exact compression**: pairs with the same (N, E) contribute identically, so the fit runs on the
distinct (N, E) points weighted by their multiplicity -- no approximation.
**Data squashing** (optional, DuMouchel et al. 2001): for each N, points are sorted by E and
averaged in bins of equal weight. Its effect on caers is measured in tests/test_mgps_openebgm.py.

**Scores** (:func:`mgps_scores`): the posterior is the mixture
Q_n Gamma(alpha1 + n, beta1 + E) + (1 - Q_n) Gamma(alpha2 + n, beta2 + E) with
Q_n = P f_1(n) / (P f_1(n) + (1 - P) f_2(n)) (untruncated, DuMouchel 1999 eq. 8);
EBGM = exp(E[log lambda | N]) = exp(Q_n (psi(alpha1+n) - log(beta1+E)) + (1-Q_n)(psi(alpha2+n)
- log(beta2+E))) (eq. 11); EB05 and EB95 are the 5% and 95% quantiles of the posterior mixture,
found by safeguarded Newton iterations on its CDF (regularised incomplete gamma), vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammainc, gammaincinv, gammaln, logsumexp

from rxcompare.errors import StatisticsError
from rxcompare.models import MgpsPrior
from rxcompare.stats.contingency import per_count

__all__ = [
    "DistinctPoints",
    "MgpsScores",
    "distinct_points",
    "fit_mgps_prior",
    "mgps_scores",
    "negloglik",
    "squash_points",
]

# Starting points: DuMouchel 1999 (alpha1 .2, beta1 .1, alpha2 2, beta2 4, P 1/3) and the other
# guesses used in openEBGM's vignettes (facts, not code).
DEFAULT_STARTS: tuple[tuple[float, float, float, float, float], ...] = (
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.1, 0.1, 10.0, 10.0, 0.2),
    (0.3, 0.5, 6.0, 6.0, 0.5),
    (0.5, 0.3, 12.0, 12.0, 0.8),
    (0.2, 0.2, 5.0, 5.0, 0.4),
)
_LOG_BOUNDS = (np.log(1e-6), np.log(1e4))  # bounds on log(alpha), log(beta)
_LOGIT_BOUNDS = (-20.0, 20.0)


@dataclass(frozen=True)
class MgpsScores:
    """EBGM, EB05, EB95 and Q_n per pair (full precision)."""

    ebgm: np.ndarray
    eb05: np.ndarray
    eb95: np.ndarray
    qn: np.ndarray


def _check_ne(n: Any, e: Any) -> tuple[np.ndarray, np.ndarray]:
    na = np.asarray(n, dtype=float).ravel()
    ea = np.asarray(e, dtype=float).ravel()
    if na.shape != ea.shape:
        raise StatisticsError(
            f"MGPS: {na.size} counts but {ea.size} expected counts; give one E per pair"
        )
    bad = ~np.isfinite(na) | (na < 0) | (na != np.floor(na)) | ~np.isfinite(ea) | (ea < 0)
    bad |= (ea == 0) & (na > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise StatisticsError(
            f"MGPS: pair {i} has N = {na[i]:g}, E = {ea[i]:g}; N must be a whole number >= 0 and "
            "E a finite number > 0 (E = 0 is only possible with N = 0)"
        )
    return na, ea


@dataclass(frozen=True)
class DistinctPoints:
    """The distinct (N, E) points of many pairs, sorted by N then E, with their multiplicity
    ``weights`` and, per pair, the index of its point (``inverse``: ``n[inverse]`` gives back
    every pair's N). Found once by :func:`distinct_points` and shared by the fit and the scores."""

    n: np.ndarray
    e: np.ndarray
    weights: np.ndarray
    inverse: np.ndarray

    def __len__(self) -> int:
        return int(self.n.size)


def distinct_points(n: Any, e: Any) -> DistinctPoints:
    """Collapse identical (N, E) pairs into weighted points (exact): one lexsort, no copy of the
    pairs as rows. The order is that of ``np.unique(np.stack([n, e], 1), axis=0)``."""
    na, ea = _check_ne(n, e)
    return _distinct_points(na, ea)


def _distinct_points(n: np.ndarray, e: np.ndarray) -> DistinctPoints:
    if n.size == 0:
        empty = np.array([], dtype=float)
        return DistinctPoints(
            empty, empty, np.array([], dtype=np.int64), np.array([], dtype=np.intp)
        )
    order = np.lexsort((e, n))
    sn, se = n[order], e[order]
    new = np.empty(n.size, dtype=bool)
    new[0] = True
    np.not_equal(sn[1:], sn[:-1], out=new[1:])
    new[1:] |= se[1:] != se[:-1]
    group = np.cumsum(new) - 1
    inverse = np.empty(n.size, dtype=np.intp)
    inverse[order] = group
    first = np.flatnonzero(new)
    return DistinctPoints(sn[first], se[first], np.bincount(group, minlength=first.size), inverse)


def squash_points(
    n: np.ndarray, e: np.ndarray, w: np.ndarray, max_points_per_count: int = 500
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data squashing (DuMouchel, Pregibon 2001; lossy): for each N with more than
    ``max_points_per_count`` points, merge points whose log E falls in the same of
    ``max_points_per_count`` equal-width bins spanning that N's range of log E; each bin becomes
    one point at its weighted mean E with its total weight. Equal-width bins on log E keep the
    tails of E (where the evidence for the second component lies) and bound the relative spread
    of E inside a bin.
    """
    out_n, out_e, out_w = [], [], []
    order = np.argsort(n, kind="stable")  # points of one N together, in their given order
    sn = n[order]
    values, starts = np.unique(sn, return_index=True)
    for value, lo, hi in zip(values, starts, [*starts[1:], sn.size]):
        sel = order[lo:hi]
        ev, wv = e[sel], w[sel]
        if ev.size <= max_points_per_count:
            out_n.append(np.full(ev.size, value))
            out_e.append(ev)
            out_w.append(wv)
            continue
        le = np.log(ev)
        span = le.max() - le.min()
        bins = np.minimum(
            ((le - le.min()) / span * max_points_per_count).astype(np.int64),
            max_points_per_count - 1,
        )
        bw = np.bincount(bins, weights=wv, minlength=max_points_per_count)
        be = np.bincount(bins, weights=wv * ev, minlength=max_points_per_count)
        keep = bw > 0
        out_n.append(np.full(int(keep.sum()), value))
        out_e.append(be[keep] / bw[keep])
        out_w.append(bw[keep])
    return np.concatenate(out_n), np.concatenate(out_e), np.concatenate(out_w)


def _unpack(x: np.ndarray) -> tuple[float, float, float, float, float]:
    a1, b1, a2, b2 = np.exp(x[:4])
    return a1, b1, a2, b2, float(expit(x[4]))


def _component(n, e, a, b, truncate: bool, lgamma_n1, log_e):
    """log f(n) (or log of the zero-truncated f) and its derivatives in log(a), log(b);
    ``lgamma_n1`` = gammaln(n + 1) and ``log_e`` = log(e), which no parameter changes."""
    log1p_eb = np.log1p(e / b)  # -log(b/(b+e))
    log_f = gammaln(a + n) - gammaln(a) - lgamma_n1 - a * log1p_eb + n * (log_e - np.log(b + e))
    d_a = digamma(a + n) - digamma(a) - log1p_eb
    d_b = a / b - (a + n) / (b + e)
    if truncate:
        log_z = -a * log1p_eb  # log f(0)
        one_minus_z = -np.expm1(log_z)
        log_f = log_f - np.log(one_minus_z)
        ratio = np.exp(log_z) / one_minus_z  # z / (1 - z)
        d_a = d_a - ratio * log1p_eb
        d_b = d_b + ratio * (a / b - a / (b + e))
    return log_f, d_a * a, d_b * b  # chain rule to log-parameters


def negloglik(theta: Any, n: Any, e: Any, weights: Any = None, n_star: int | None = 1) -> float:
    """Negative log-likelihood of the prior ``theta = (alpha1, beta1, alpha2, beta2, P)``.

    See the module doc for the formula (``n_star=1``: components truncated at N >= 1).
    """
    na, ea = _check_ne(n, e)
    w = np.ones_like(na) if weights is None else np.asarray(weights, dtype=float).ravel()
    a1, b1, a2, b2, p = theta
    x = np.array([np.log(a1), np.log(b1), np.log(a2), np.log(b2), np.log(p / (1 - p))])
    return _objective(x, na, ea, w, n_star is not None, gammaln(na + 1), np.log(ea))[0]


def _objective(x, n, e, w, truncate, lgamma_n1, log_e):
    a1, b1, a2, b2, p = _unpack(x)
    l1, da1, db1 = _component(n, e, a1, b1, truncate, lgamma_n1, log_e)
    l2, da2, db2 = _component(n, e, a2, b2, truncate, lgamma_n1, log_e)
    t1 = np.log(p) + l1
    t2 = np.log1p(-p) + l2
    mix = np.logaddexp(t1, t2)
    r1 = np.exp(t1 - mix)
    r2 = 1.0 - r1
    value = -np.dot(w, mix)
    grad = -np.array(
        [
            np.dot(w, r1 * da1),
            np.dot(w, r1 * db1),
            np.dot(w, r2 * da2),
            np.dot(w, r2 * db2),
            np.dot(w, r1 - p),
        ]
    )
    if not np.isfinite(value):
        return np.inf, np.zeros(5)
    return float(value), grad


def _kkt_point(x: np.ndarray, grad: np.ndarray, bounds, fun: float, rtol: float = 1e-6) -> bool:
    """Whether ``x`` is a first-order (KKT) point of the bounded minimisation: the gradient is
    negligible except along coordinates held at a bound that it pushes against. L-BFGS-B can stop
    there with a line-search failure when the objective is flat to machine precision."""
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    g = np.asarray(grad, dtype=float).copy()
    g[np.isclose(x, lo) & (g > 0)] = 0.0
    g[np.isclose(x, hi) & (g < 0)] = 0.0
    return bool(np.all(np.isfinite(g)) and np.max(np.abs(g)) <= rtol * max(1.0, abs(fun)))


def fit_mgps_prior(
    n: Any,
    e: Any,
    *,
    n_star: int | None = 1,
    squash: bool | None = None,
    max_points: int = 20000,
    starts: tuple[tuple[float, float, float, float, float], ...] = DEFAULT_STARTS,
    points: DistinctPoints | None = None,
) -> MgpsPrior:
    """Fit the two-gamma mixture prior by maximum likelihood over all pairs' (N, E).

    ``n_star=1`` (default) fits the zero-truncated likelihood (pairs with N >= 1 only; pairs with
    N = 0 are ignored); ``n_star=None`` fits the untruncated likelihood (data with zero cells).
    ``squash``: None squashes only when more than ``max_points`` distinct (N, E) points remain;
    True always squashes, False never. Raises :class:`StatisticsError` for invalid input, fewer than
    5 distinct points, or when no start converges (see the module doc for what converged means;
    a maximum on a parameter bound is accepted and named in ``method``). ``points``: the
    :func:`distinct_points` of these ``n``, ``e`` when the caller has them already (they are then
    not found again; ``n`` and ``e`` are not read).
    """
    if n_star not in (None, 1):
        raise StatisticsError(
            f"MGPS: n_star={n_star!r} is not supported; use 1 (counts of seen pairs) or None"
        )
    if points is None:
        points = distinct_points(n, e)
    pn, pe, pw = points.n, points.e, points.weights
    if n_star == 1:  # the points of pairs with N >= 1 (N = 0 sorts first)
        keep = pn >= 1
        pn, pe, pw = pn[keep], pe[keep], pw[keep]
    n_pairs = int(pw.sum())
    if pn.size < 5:
        raise StatisticsError(
            f"MGPS: {pn.size} distinct (N, E) points; at least 5 are needed to fit a five-parameter "
            "prior -- score more pairs (all pairs of the database), not a selection"
        )
    do_squash = pn.size > max_points if squash is None else bool(squash)
    if do_squash:
        per_count = max(50, max_points // max(1, np.unique(pn).size))
        pn, pe, pw = squash_points(pn, pe, pw, per_count)
    truncate = n_star is not None
    bounds = [_LOG_BOUNDS] * 4 + [_LOGIT_BOUNDS]
    data = (pn, pe, pw, truncate, gammaln(pn + 1), np.log(pe))  # what the objective reads
    results = []
    for s in starts:
        a1, b1, a2, b2, p = s
        x0 = np.array([np.log(a1), np.log(b1), np.log(a2), np.log(b2), np.log(p / (1 - p))])
        with np.errstate(all="ignore"):
            res = minimize(
                _objective,
                x0,
                args=data,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-7},
            )
        ok = bool(np.isfinite(res.fun)) and (
            bool(res.success) or _kkt_point(res.x, res.jac, bounds, res.fun)
        )
        results.append((res, ok))
    good = [r for r, ok in results if ok]
    if not good:
        messages = "; ".join(str(r.message) for r, _ in results)
        raise StatisticsError(
            f"MGPS: the prior fit did not converge from any of {len(starts)} starting points "
            f"({messages}); give other starting points or check the counts"
        )
    best = min(good, key=lambda r: r.fun)
    a1, b1, a2, b2, p = _unpack(best.x)
    names = ["alpha1", "beta1", "alpha2", "beta2", "p"]
    if a1 / b1 < a2 / b2:  # order components: component 1 has the larger prior mean
        a1, b1, a2, b2, p = a2, b2, a1, b1, 1.0 - p
        names = ["alpha2", "beta2", "alpha1", "beta1", "p"]
    at_bound = [
        names[i]
        for i, (x, (lo, hi)) in enumerate(zip(best.x, bounds))
        if np.isclose(x, lo) or np.isclose(x, hi)
    ]
    method = (
        f"maximum likelihood ({'truncated at N>=1' if truncate else 'untruncated'}), L-BFGS-B on "
        f"log/logit parameters, {len(starts)} starts"
        + (", squashed" if do_squash else "")
        + (f", at bound: {', '.join(sorted(at_bound))}" if at_bound else "")
    )
    return MgpsPrior(
        alpha1=float(a1),
        beta1=float(b1),
        alpha2=float(a2),
        beta2=float(b2),
        p=float(p),
        loglik=-float(best.fun),
        converged=True,
        method=method,
        n_pairs=n_pairs,
        squashed=do_squash,
        n_points=int(pn.size),
        n_starts=len(starts),
        n_converged=len(good),
    )


def _posterior_cdf_pdf(x, n, e, prior: MgpsPrior, qn):
    s1, r1 = prior.alpha1 + n, prior.beta1 + e
    s2, r2 = prior.alpha2 + n, prior.beta2 + e
    cdf = qn * gammainc(s1, r1 * x) + (1 - qn) * gammainc(s2, r2 * x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lx = np.log(x)
        p1 = np.exp(s1 * np.log(r1) + (s1 - 1) * lx - r1 * x - gammaln(s1))
        p2 = np.exp(s2 * np.log(r2) + (s2 - 1) * lx - r2 * x - gammaln(s2))
    return cdf, qn * p1 + (1 - qn) * p2


def _posterior_quantile(q: float, n, e, prior: MgpsPrior, qn, tol: float = 1e-12):
    """Quantile of the posterior mixture: safeguarded Newton inside the bracket formed by the two
    components' own quantiles (the mixture quantile always lies between them)."""
    x1 = per_count(lambda v: gammaincinv(prior.alpha1 + v, q), n) / (prior.beta1 + e)
    x2 = per_count(lambda v: gammaincinv(prior.alpha2 + v, q), n) / (prior.beta2 + e)
    lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
    x = qn * x1 + (1 - qn) * x2
    active = hi - lo > tol * hi
    for _ in range(100):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        xi, loi, hii = x[idx], lo[idx], hi[idx]
        cdf, pdf = _posterior_cdf_pdf(xi, n[idx], e[idx], prior, qn[idx])
        f = cdf - q
        loi = np.where(f < 0, xi, loi)
        hii = np.where(f > 0, xi, hii)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = xi - f / pdf
        newton_ok = np.isfinite(step) & (step >= loi) & (step <= hii)
        xn = np.where(f == 0, xi, np.where(newton_ok, step, 0.5 * (loi + hii)))
        done = (np.abs(xn - xi) <= tol * np.abs(xn)) | (f == 0) | (hii - loi <= tol * hii)
        x[idx], lo[idx], hi[idx] = xn, loi, hii
        active[idx] = ~done
    return x


def mgps_scores(
    prior: MgpsPrior,
    n: Any,
    e: Any,
    quantiles: tuple[float, float] = (0.05, 0.95),
    points: DistinctPoints | None = None,
) -> MgpsScores:
    """EBGM, EB05, EB95 (the ``quantiles`` of the posterior) and Q_n for each pair.

    Works on the distinct (N, E) points and scatters back, so repeated tables cost nothing
    (``points``: the :func:`distinct_points` of ``n``, ``e`` when the caller has them already).
    Pairs with N = 0 are scored too (their posterior is shrunk towards the prior).
    """
    if points is None:
        points = distinct_points(n, e)
    if len(points) == 0:
        empty = np.array([], dtype=float)
        return MgpsScores(empty, empty, empty, empty)
    un, ue, inverse = points.n, points.e, points.inverse
    a1, b1, a2, b2, p = prior.theta

    def log_nb(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            n_log_e = np.where(un > 0, un * (np.log(ue) - np.log(b + ue)), 0.0)
            log_counts = per_count(lambda v: gammaln(a + v) - gammaln(a) - gammaln(v + 1), un)
            return log_counts - a * np.log1p(ue / b) + n_log_e

    t1 = np.log(p) + log_nb(a1, b1)
    t2 = np.log1p(-p) + log_nb(a2, b2)
    qn = np.exp(t1 - logsumexp(np.stack([t1, t2]), axis=0))
    psi1, psi2 = (per_count(lambda v, a=a: digamma(a + v), un) for a in (a1, a2))
    elog = qn * (psi1 - np.log(b1 + ue)) + (1 - qn) * (psi2 - np.log(b2 + ue))
    ebgm = np.exp(elog)
    lo = _posterior_quantile(quantiles[0], un, ue, prior, qn)
    hi = _posterior_quantile(quantiles[1], un, ue, prior, qn)
    return MgpsScores(ebgm[inverse], lo[inverse], hi[inverse], qn[inverse])
