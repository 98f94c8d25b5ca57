"""What to count: :class:`CountQuery` (drug rows and case filters) and the Ibis expressions that
select the universe, the drug rows and the event rows of the warehouse -- the same for every engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rxcompare.errors import ConfigError
from rxcompare.sources.faers.dedup import AGE_BANDS
from rxcompare.sources.faers.engines import WarehouseTables
from rxcompare.sources.faers.layout import parse_quarter

__all__ = [
    "COUNTING_UNIT",
    "LEVELS",
    "ROLES",
    "STRATA",
    "SUSPECT",
    "DEFAULT_QUERY",
    "CountQuery",
    "drug_rows",
    "event_rows",
    "filtered_cases",
    "has_case_part",
    "labelled_drugs",
    "parse_quarters",
    "plain_events",
    "received_quarter",
    "universe_table",
]

COUNTING_UNIT = "deduplicated case"
SUSPECT = ("PS", "SS")
ROLES = ("PS", "SS", "C", "I")
LEVELS = ("ingredient", "product")
STRATA = ("sex", "age_band", "country")
SEXES = ("F", "M")
UNKNOWN = "unknown"
_SEP = "|"


def parse_quarters(text: str) -> tuple[str, str]:
    """``"2023q1-2024q4"`` (or one quarter, ``"2023q1"``) -> ``("2023q1", "2024q4")``."""
    parts = [p.strip() for p in str(text).split("-")]
    if len(parts) not in (1, 2) or not all(parts):
        raise ConfigError(
            f"--quarters {text!r}: write one quarter YYYYqN or a range, e.g. 2023q1-2024q4"
        )
    try:
        first, last = parse_quarter(parts[0]), parse_quarter(parts[-1])
    except Exception:
        raise ConfigError(
            f"--quarters {text!r}: quarters are written YYYYqN, e.g. 2023q1-2024q4"
        ) from None
    if first > last:
        raise ConfigError(f"--quarters {text!r}: the first quarter comes after the last; swap them")
    return first, last


@dataclass(frozen=True)
class CountQuery:
    """What to count: drug rows (roles, indication, level) and case filters (see the module doc)."""

    roles: tuple[str, ...] = SUSPECT
    level: str = "ingredient"
    indication: str | None = None
    quarters: tuple[str, str] | None = None
    country: str | None = None
    sex: str | None = None
    age_band: str | None = None
    serious: bool | None = None

    def __post_init__(self) -> None:
        roles = tuple(dict.fromkeys(str(r).strip().upper() for r in self.roles))
        bad = [r for r in roles if r not in ROLES]
        if not roles or bad:
            raise ConfigError(
                f"--role {', '.join(bad) or '(none)'}: roles are {', '.join(ROLES)} (PS primary suspect, "
                "SS secondary suspect, C concomitant, I interacting); the default is PS and SS"
            )
        object.__setattr__(self, "roles", roles)
        if self.level not in LEVELS:
            raise ConfigError(f"--level {self.level!r} is not one of {', '.join(LEVELS)}")
        if self.indication is not None:
            text = self.indication.strip().upper()
            if not text:
                raise ConfigError(
                    "--indication is empty; give words of the indication, e.g. 'multiple sclerosis'"
                )
            object.__setattr__(self, "indication", text)
        if self.quarters is not None:
            object.__setattr__(self, "quarters", parse_quarters("-".join(self.quarters)))
        if self.country is not None:
            object.__setattr__(self, "country", self.country.strip().upper())
        if self.sex is not None:
            sex = self.sex.strip().upper()[:1]
            if sex not in SEXES:
                raise ConfigError(f"--sex {self.sex!r}: use F or M")
            object.__setattr__(self, "sex", sex)
        bands = tuple(label for _, label in AGE_BANDS)
        if self.age_band is not None and self.age_band not in bands:
            raise ConfigError(f"--age-band {self.age_band!r} is not one of {', '.join(bands)}")

    def describe(self) -> tuple[tuple[str, str], ...]:
        """The query as (name, value) pairs, for citations and output headers."""
        out = [("roles", "+".join(self.roles)), ("level", self.level)]
        if self.indication:
            out.append(("indication contains", self.indication))
        if self.quarters:
            out.append(("quarters received", "-".join(self.quarters)))
        for name in ("country", "sex", "age_band"):
            if getattr(self, name) is not None:
                out.append((name, str(getattr(self, name))))
        if self.serious is not None:
            out.append(("serious", "yes" if self.serious else "no"))
        return tuple(out)


DEFAULT_QUERY = CountQuery()  # suspect rows (PS + SS), ingredient level, every case


def received_quarter(cases):
    """The quarter FDA first received a case (``init_fda_dt`` with a month), else its file's quarter."""
    import ibis

    d = cases.init_fda_dt
    month = d.substr(4, 2)
    q = ibis.cases(
        *[
            (month.isin([f"{m:02d}" for m in range(3 * k - 2, 3 * k + 1)]), f"q{k}")
            for k in range(1, 5)
        ],
        else_=None,
    )
    return ibis.cases((d.length() >= 6, d.substr(0, 4) + q), else_=cases.quarter)


def _stratum(cases, strata: Sequence[str]):
    key = None
    for s in strata:
        part = cases[s].fill_null(UNKNOWN)
        key = part if key is None else key + _SEP + part
    return key


def has_case_part(query: CountQuery, strata: Sequence[str] = (), by_quarter: bool = False) -> bool:
    """Whether ``cases`` must be read: a case filter, strata or quarters (every drug row's case is
    in ``cases``: the warehouse keeps drug rows of kept cases only)."""
    filters = (query.quarters, query.country, query.sex, query.age_band, query.serious)
    return bool(strata) or by_quarter or any(f is not None for f in filters)


def filtered_cases(
    t: WarehouseTables, query: CountQuery, strata: Sequence[str] = (), by_quarter: bool = False
):
    """Filtered cases with their cell columns ``rq`` (quarter received) and ``stratum``."""
    c = t["cases"]
    rq = received_quarter(c)
    preds = []
    if query.quarters:
        preds.append(rq.between(*query.quarters))
    for name in ("country", "sex", "age_band"):
        value = getattr(query, name)
        if value is not None:
            preds.append(c[name] == value)
    if query.serious is not None:
        preds.append(c.serious == query.serious)
    cols = {"primaryid": c.primaryid}
    if by_quarter:
        cols["rq"] = rq
    if strata:
        cols["stratum"] = _stratum(c, strata)
    return (c.filter(*preds) if preds else c).select(**cols)


def drug_rows(t: WarehouseTables, query: CountQuery):
    """Rows of ``case_drugs`` in the query's roles (and, with an indication, given for it)."""
    d = t["case_drugs"]
    d = d.filter(d.role_cod.isin(list(query.roles)))
    if query.indication:
        i = t["case_indications"]
        i = i.filter(i.indi_pt.contains(query.indication))
        d = d.semi_join(i, [d.primaryid == i.primaryid, d.drug_seq == i.drug_seq])
    return d


def universe_table(t: WarehouseTables, query: CountQuery, strata=(), by_quarter=False):
    """Ibis table of the universe: filtered cases with a selected drug row, with cell columns."""
    u = drug_rows(t, query).select("primaryid").distinct()
    if has_case_part(query, strata, by_quarter):
        u = u.join(filtered_cases(t, query, strata, by_quarter), "primaryid")
    return u


def labelled_drugs(t: WarehouseTables, query: CountQuery, strata=(), by_quarter=False):
    """Distinct (primaryid, drug) at the query's level, in the universe, with cell columns."""
    d = drug_rows(t, query)
    label = d[query.level]
    rows = d.filter(label.notnull()).select(primaryid=d.primaryid, drug=label).distinct()
    if has_case_part(query, strata, by_quarter):
        rows = rows.join(filtered_cases(t, query, strata, by_quarter), "primaryid")
    return rows


def event_rows(t: WarehouseTables, universe):
    """Ibis table of distinct (primaryid, event) in ``universe``, with its cell columns."""
    r = t["case_reactions"]
    return (
        r.filter(r.pt.notnull())
        .select(primaryid=r.primaryid, event=r.pt)
        .distinct()
        .join(universe, "primaryid")
    )


def plain_events(t: WarehouseTables):
    r = t["case_reactions"]
    return r.filter(r.pt.notnull()).select(primaryid=r.primaryid, event=r.pt).distinct()
