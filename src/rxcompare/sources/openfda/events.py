"""Post-marketing counts from openFDA ``drug/event.json``: head-to-head 2x2 tables, no download.

:class:`OpenFdaEvents` implements :class:`~rxcompare.comparison.postmarketing.PostMarketingSource` with
count queries (``search=...&limit=1`` and its ``meta.results.total``; ``count=receivedate`` for the
reports per year). For drugs A and B and one group of MedDRA preferred terms, among reports that name
A or B but not both::

    a = reports naming A (not B) with any term of the group    b = reports naming A (not B) - a
    c = reports naming B (not A) with any term of the group    d = reports naming B (not A) - c

The tables carry no statistics: the comparison computes the head-to-head ROR
(:func:`rxcompare.comparison.head_to_head.with_ror`), as sources never import stats.

What openFDA can and cannot do (each limit is stated in the result's caveats and filters):

- **The counting unit is the safety report**, not the deduplicated case: openFDA serves one record
  per report, so several reports (versions, duplicates) of one case may each count. A local FAERS
  warehouse deduplicates cases; this source cannot.
- **A drug is matched by openFDA's harmonised names** (``patient.drug.openfda``), by brand when the
  ingredient has several products (``brand_name.exact:"KESIMPTA"``) and by generic name otherwise
  (``generic_name.exact:"OFATUMUMAB"``). Reports whose product openFDA could not harmonise are missed,
  and a report naming only the ingredient may carry the brands of all its products.
- The per-group ``extra`` holds ``serious_a``/``serious_b`` (reports of the group marked
  ``serious:1``) and their shares of ``a``/``c``.
- **Drug role and indication are per report, not per drug.** openFDA does not index the drugs of a
  report as nested records (FDA/open.fda.gov issue #204), so ``patient.drug.drugcharacterization:1``
  means "some drug of the report is suspect" and ``patient.drug.drugindication`` "some drug of the
  report has this indication". With ``suspect_only`` the first is added as it is, and says so; the
  indication is free text matched as a phrase.
- A group term ``"@outcome:XX"`` (FAERS outcome code) stands for the report's seriousness flag:
  ``@outcome:DE`` is ``seriousnessdeath:1`` (death), and likewise LT, HO, DS, CA, OT.

**A count has one of three states, and only one of them is a number** (:class:`OnlineCount`):
``zero``/``counted`` (openFDA answered; its 404 ``NOT_FOUND`` is a zero only when the names in the
search are known to its index: the drug's own reports and the group's terms alone each match
something), ``unresolved`` (``NOT_FOUND`` where the drug or the terms alone match nothing: openFDA
does not know the name, so "no report" cannot be told from "not indexed") and ``failed`` (rate
limited after the retries, a timeout, a server error). A group whose count is unresolved or failed
gets no table: it is listed in the result's caveats and ``provenance`` (``failed_counts``) with
why, never turned into a 0 cell. A drug whose own count is unresolved gives no table at all (said
the same way); one whose count failed raises :class:`~rxcompare.errors.OnlineError` as before. The serious-report counts of a group, when not numbers, are ``None`` with
``serious_state`` saying why.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rxcompare.errors import ConfigError, OnlineError
from rxcompare.models import Citation, Contingency, Drug, PostMarketing, Product, Signal
from rxcompare.sources.http import Fetched
from rxcompare.sources.openfda.client import OpenFdaClient

__all__ = [
    "CAVEATS",
    "COUNTING_UNIT",
    "COUNT_STATES",
    "FIELDS",
    "OUTCOME_FIELDS",
    "OnlineCount",
    "OpenFdaEvents",
    "drug_clause",
    "event_clause",
    "quote",
]

ENDPOINT = "drug/event.json"
COUNTING_UNIT = "report (openFDA counts safety reports, not deduplicated cases)"

#: The drug/event fields the queries use (checked against openFDA's schema by the tests).
FIELDS = {
    "brand": "patient.drug.openfda.brand_name.exact",
    "generic": "patient.drug.openfda.generic_name.exact",
    "reaction": "patient.reaction.reactionmeddrapt.exact",
    "indication": "patient.drug.drugindication",
    "role": "patient.drug.drugcharacterization",
    "serious": "serious",
    "received": "receivedate",
}

#: FAERS outcome codes (OUTC ``outc_cod``) -> openFDA seriousness flags. RI (required intervention)
#: has no flag in openFDA and is refused.
OUTCOME_FIELDS = {
    "DE": "seriousnessdeath",
    "LT": "seriousnesslifethreatening",
    "HO": "seriousnesshospitalization",
    "DS": "seriousnessdisabling",
    "CA": "seriousnesscongenitalanomali",
    "OT": "seriousnessother",
}

CAVEATS = (
    "Spontaneous reports show what was reported, not how often it happens: reporting is not incidence.",
    (
        "Market size and time on the market differ between the two medicines, so report counts are "
        "not rates and cannot be compared as such."
    ),
    "Reporting rises after label changes, safety communications and publicity (stimulated reporting).",
    "openFDA counts safety reports, not deduplicated cases: several reports of one case may each count.",
    "Duplicate reports are not removed by openFDA.",
    (
        "openFDA cannot tie a drug's role (suspect or concomitant) or its indication to one drug of "
        "a report: a report counts for a medicine when it names it in any role."
    ),
    "Reports that name both medicines are left out of the head-to-head tables.",
)
_INDICATION_CAVEAT = (
    "The indication filter matches the free text reporters gave for any drug of the report."
)

# openFDA accepts only these characters in a search (FDA/openfda api/faers/elasticsearch_query.js,
# SUPPORTED_QUERY_RE); inside a quoted phrase the double quote itself cannot appear.
_PHRASE_OK = re.compile(r"^[0-9A-Za-z@%/',._:()\[\]{}\-+<>= ]+$")


def quote(value: str, what: str = "name") -> str:
    """``value`` as an openFDA phrase (``"MULTIPLE SCLEROSIS"``), or :class:`ConfigError` saying why not."""
    text = " ".join(str(value).split())
    if not text or not _PHRASE_OK.match(text):
        raise ConfigError(
            f"{what} {value!r} cannot be sent to openFDA: it must be non-empty and use only letters, "
            "digits, spaces and . , ' / - ( ) % @ _ : (no double quotes or accents); spell it that way"
        )
    return f'"{text}"'


def uses_brand(drug: Drug, products: Iterable[Product] = ()) -> bool:
    """Whether the drug's ingredient has several products (then reports are matched by brand)."""
    same = {p.id for p in drug.products if p.ingredient == drug.product.ingredient}
    same |= {p.id for p in products if p.ingredient == drug.product.ingredient}
    return len(same) > 1


def drug_clause(drug: Drug, by_brand: bool) -> str:
    """The search clause for reports naming the drug: by brand or by generic (ingredient) name."""
    p = drug.product
    if by_brand:
        return f"{FIELDS['brand']}:{quote(p.brand.upper(), 'brand name')}"
    return f"{FIELDS['generic']}:{quote(p.ingredient.upper(), 'generic name')}"


def event_clause(terms: Iterable[str]) -> str:
    """Reports with any of the terms: MedDRA PTs (upper-cased) or ``@outcome:XX`` seriousness flags."""
    pts: list[str] = []
    flags: list[str] = []
    for term in terms:
        if term.startswith("@outcome:"):
            code = term.split(":", 1)[1].strip().upper()
            if code not in OUTCOME_FIELDS:
                raise ConfigError(
                    f"event term {term!r}: openFDA has a seriousness flag only for outcomes "
                    f"{', '.join(OUTCOME_FIELDS)}; use one of those or MedDRA preferred terms"
                )
            flags.append(f"{OUTCOME_FIELDS[code]}:1")
        else:
            pts.append(quote(term.upper(), "MedDRA term"))
    if not pts and not flags:
        raise ConfigError(
            "an event group needs at least one MedDRA preferred term or @outcome code"
        )
    parts = ([f"{FIELDS['reaction']}:({' OR '.join(pts)})"] if pts else []) + flags
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _and(*clauses: str) -> str:
    """Clauses joined by AND (each clause is a field term, a grouped term or ``NOT`` a field term)."""
    return " AND ".join(c for c in clauses if c)


COUNT_STATES = ("counted", "zero", "unresolved", "failed")


@dataclass(frozen=True)
class OnlineCount:
    """One openFDA count in one of the states of :data:`COUNT_STATES` (see the module doc):
    ``value`` is a number only for ``counted`` and ``zero``; ``why`` says what happened otherwise."""

    state: str
    value: int | None
    url: str
    why: str = ""
    fetched: Fetched | None = None

    @property
    def is_number(self) -> bool:
        return self.state in ("counted", "zero")


@dataclass(frozen=True)
class _Arm:
    """Reports naming one drug and not the other, with the filters."""

    product: Product
    search: str
    total: Fetched


class OpenFdaEvents:
    """Head-to-head reporting odds ratios from openFDA ``drug/event.json`` counts.

    ``products`` are the products rxcompare knows (the pack's): they decide whether an ingredient
    has several products, in which case reports are matched by brand. ``suspect_only`` adds
    ``patient.drug.drugcharacterization:1`` (some drug of the report is suspect; see the module
    docstring for why openFDA cannot say which).
    """

    description = "openFDA drug/event (online; counts reports, not deduplicated cases)"

    def __init__(
        self, client: OpenFdaClient, products: Iterable[Product] = (), *, suspect_only: bool = False
    ):
        self.client = client
        self.products = tuple(products)
        self.suspect_only = suspect_only

    def total(self, search: str) -> int:
        """Reports matching ``search`` (``meta.results.total`` of ``limit=1``; 0 when none match)."""
        return _total(self._fetch_total(search))

    def head_to_head(
        self,
        a: Drug,
        b: Drug,
        groups: dict[str, tuple[str, ...]],
        indication: str | None,
        product_level: tuple[bool, bool] | None = None,
    ) -> PostMarketing:
        """One head-to-head :class:`Signal` per event group, reports per year, caveats, citation.

        ``product_level`` (from the comparison, which knows the pack) says for A and B whether the
        ingredient has several products, so reports are matched by brand; without it, the
        ``products`` given to the constructor decide. Two products of one ingredient are always
        matched by brand. With a = 0 the ROR is nan and has no interval (rxcompare.stats policy).
        """
        by_brand = product_level or (uses_brand(a, self.products), uses_brand(b, self.products))
        if a.product.ingredient == b.product.ingredient:
            by_brand = (True, True)
        clause_a = drug_clause(a, by_brand[0])
        clause_b = drug_clause(b, by_brand[1])
        filters = self._filters(indication)
        extra = [f for _, f, _ in filters]
        arm_a = self._arm(a.product, _and(clause_a, f"NOT {clause_b}", *extra))
        arm_b = self._arm(b.product, _and(clause_b, f"NOT {clause_a}", *extra))
        fetched = [arm_a.total, arm_b.total]
        unknown = [arm for arm in (arm_a, arm_b) if arm.total.not_found]
        if unknown:  # no table can be made: the drug's own count is unresolved, not 0
            why = "; ".join(
                f"openFDA answered NOT_FOUND for reports naming {arm.product.brand} ({arm.total.url}): it does not "
                "know the name as searched, so no report cannot be told from not indexed"
                for arm in unknown
            )
            citation = self._citation(
                f"{self.client.base}/{ENDPOINT}",
                fetched,
                (("drug_a", clause_a), ("drug_b", clause_b)),
            )
            return PostMarketing(
                (),
                (),
                CAVEATS + (f"No head-to-head table: {why}; the counts are unresolved, never 0.",),
                citation,
                (("failed_counts", f"all groups: unresolved: {why}"),),
            )
        signals = []
        failed: list[tuple[str, str]] = []
        for name, terms in groups.items():
            signal, used, fault = self._signal(name, tuple(terms), arm_a, arm_b, filters)
            if signal is not None:
                signals.append(signal)
            if fault is not None:
                failed.append(fault)
            fetched += used
        per_year, used = self._per_year(arm_a, arm_b)
        fetched += used
        caveats = (
            CAVEATS
            + ((_INDICATION_CAVEAT,) if indication else ())
            + tuple(
                f"openFDA's count for {name!r} is not a number ({why}); the group has no table, and is never "
                "counted as 0"
                for name, why in failed
            )
        )
        citation = self._citation(
            f"{self.client.base}/{ENDPOINT}",
            fetched,
            (("drug_a", clause_a), ("drug_b", clause_b)) + tuple((k, v) for k, _, v in filters),
        )
        about = (
            f"openFDA drug/event at {self.client.base}, data last updated "
            f"{_last_updated(fetched) or 'unknown'}, queried {_queried(fetched)}"
        )
        provenance = (("openfda", about),) + (
            (("failed_counts", "; ".join(f"{name}: {why}" for name, why in failed)),)
            if failed
            else ()
        )
        return PostMarketing(tuple(signals), per_year, caveats, citation, provenance)

    # --- parts -------------------------------------------------------------------------------

    def _filters(self, indication: str | None) -> list[tuple[str, str, str]]:
        """(key, search clause, description) of each filter."""
        out = []
        if indication:
            out.append(
                (
                    "indication",
                    f"{FIELDS['indication']}:{quote(indication, 'indication')}",
                    f"{indication} (free text of any drug of the report)",
                )
            )
        if self.suspect_only:
            out.append(
                (
                    "drug_role",
                    f"{FIELDS['role']}:1",
                    "some drug of the report is suspect (openFDA cannot say which)",
                )
            )
        return out

    def _fetch_total(self, search: str) -> Fetched:
        return self.client.fetch(ENDPOINT, {"search": search, "limit": 1})

    def count(self, search: str, known: tuple[str, ...] = ()) -> OnlineCount:
        """The reports matching ``search`` as an :class:`OnlineCount`. ``known`` are searches that
        must each match something for a ``NOT_FOUND`` answer to be a zero (the drug's arm, the
        event terms alone); when one of them matches nothing the count is ``unresolved``. A rate
        limit, a timeout or a server error after the client's retries is ``failed``."""
        url = self.client.url(ENDPOINT, {"search": search, "limit": 1})
        try:
            fetched = self._fetch_total(search)
        except OnlineError as exc:
            return OnlineCount("failed", None, url, str(exc))
        if not fetched.not_found:
            n = _total(fetched)
            return OnlineCount("counted" if n else "zero", n, url, fetched=fetched)
        for other in known:
            try:
                seen = self._fetch_total(other)
            except OnlineError as exc:
                return OnlineCount(
                    "failed",
                    None,
                    url,
                    f"openFDA answered NOT_FOUND, and checking that it "
                    f"knows the names failed: {exc}",
                )
            if seen.not_found or _total(seen) == 0:
                return OnlineCount(
                    "unresolved",
                    None,
                    url,
                    f"openFDA answered NOT_FOUND and matches nothing "
                    f"for {other!r} alone either: it does not know the name, so no report "
                    "cannot be told from not indexed",
                )
        return OnlineCount("zero", 0, url, fetched=fetched)

    def _arm(self, product: Product, search: str) -> _Arm:
        return _Arm(product, search, self._fetch_total(search))  # a failure raises OnlineError

    def _signal(
        self,
        name: str,
        terms: tuple[str, ...],
        arm_a: _Arm,
        arm_b: _Arm,
        filters: list[tuple[str, str, str]],
    ) -> tuple[Signal | None, list[Fetched], tuple[str, str] | None]:
        """The group's head-to-head table, the answers used, and (group, why) when a count of a
        or c is not a number (then no table)."""
        events = event_clause(terms)
        serious = f"{FIELDS['serious']}:1"
        hit_a = self.count(_and(arm_a.search, events), (events,))
        hit_c = self.count(_and(arm_b.search, events), (events,))
        used = [arm_a.total, arm_b.total] + [
            x.fetched for x in (hit_a, hit_c) if x.fetched is not None
        ]
        bad = [x for x in (hit_a, hit_c) if not x.is_number]
        if bad:
            return None, used, (name, "; ".join(f"{x.state}: {x.why} ({x.url})" for x in bad))
        ser_a = self.count(_and(arm_a.search, events, serious), (events,))
        ser_c = self.count(_and(arm_b.search, events, serious), (events,))
        used += [x.fetched for x in (ser_a, ser_c) if x.fetched is not None]
        n_a, n_b = _total(arm_a.total), _total(arm_b.total)
        a, c = int(hit_a.value or 0), int(hit_c.value or 0)
        if a > n_a or c > n_b:
            raise OnlineError(
                f"openFDA counted more reports with {name!r} ({a}, {c}) than reports of the drugs "
                f"({n_a}, {n_b}); its index may be updating: clear the cache and try again later"
            )
        table = Contingency(a, n_a - a, c, n_b - c)
        citation = self._citation(
            hit_a.url,
            used,
            (
                ("query_a", hit_a.url),
                ("query_c", hit_c.url),
                ("query_a_plus_b", arm_a.total.url),
                ("query_c_plus_d", arm_b.total.url),
            ),
        )
        extra: list[tuple[str, Any]] = [
            ("serious_a", ser_a.value),
            ("serious_b", ser_c.value),
            ("serious_share_a", _share(ser_a.value, a)),
            ("serious_share_b", _share(ser_c.value, c)),
        ]
        if not (ser_a.is_number and ser_c.is_number):
            extra.append(
                (
                    "serious_state",
                    "; ".join(f"{x.state}: {x.why}" for x in (ser_a, ser_c) if not x.is_number),
                )
            )
        signal = Signal(
            drug=arm_a.product.brand,
            event=name,
            table=table,
            estimates=(),
            citation=citation,
            counting_unit="report",
            comparator=arm_b.product.brand,
            terms=tuple(t if t.startswith("@outcome:") else t.upper() for t in terms),
            filters=tuple((k, desc) for k, _, desc in filters),
            extra=tuple(extra),
        )
        return signal, used, None

    def _per_year(
        self, arm_a: _Arm, arm_b: _Arm
    ) -> tuple[tuple[tuple[str, int, int], ...], list[Fetched]]:
        """Reports per year received by FDA (``count=receivedate``, daily counts summed by year)."""
        rows: list[tuple[str, int, int]] = []
        used = []
        for arm in (arm_a, arm_b):
            fetched = self.client.fetch(
                ENDPOINT, {"search": arm.search, "count": FIELDS["received"]}
            )
            used.append(fetched)
            years: dict[int, int] = defaultdict(int)
            for item in fetched.data.get("results") or []:
                day = str(item.get("time") or item.get("term") or "")
                if len(day) < 4 or not day[:4].isdigit():
                    raise OnlineError(
                        f"openFDA answered {fetched.url} with a date {day!r} that is not YYYYMMDD; "
                        "clear the cache and try again"
                    )
                years[int(day[:4])] += int(item.get("count") or 0)
            rows += [(arm.product.id, y, n) for y, n in sorted(years.items())]
        return tuple(rows), used

    def _citation(
        self, url: str, fetched: list[Fetched], detail: tuple[tuple[str, str], ...]
    ) -> Citation:
        base = (
            ("counting_unit", COUNTING_UNIT),
            ("queried", _queried(fetched)),
            ("last_updated", _last_updated(fetched) or "unknown"),
        )
        return Citation(kind="openfda", title="openFDA drug/event", url=url, detail=base + detail)


def _total(fetched: Fetched) -> int:
    data: dict[str, Any] = fetched.data
    try:
        return int(data["meta"]["results"]["total"])
    except (KeyError, TypeError, ValueError):
        raise OnlineError(
            f"openFDA answered {fetched.url} without meta.results.total; clear the cache and try again"
        ) from None


def _num(x: float) -> float | None:
    """A bound, or None when there is none (nan: a = 0)."""
    return None if math.isnan(float(x)) else float(x)


def _share(part: int | None, whole: int) -> float | None:
    return part / whole if whole and part is not None else None


def _queried(fetched: list[Fetched]) -> str:
    """The date of the oldest answer used (a cached answer keeps the date it was fetched)."""
    return min(f.fetched_at for f in fetched).date().isoformat()


def _last_updated(fetched: list[Fetched]) -> str | None:
    dates = {
        str(f.data.get("meta", {}).get("last_updated"))
        for f in fetched
        if f.data.get("meta", {}).get("last_updated")
    }
    return ", ".join(sorted(dates)) or None
