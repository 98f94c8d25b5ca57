"""Time to onset per drug-event pair: event date minus therapy start, where the dates allow.

For each case counted for drug D and event E (the cases of cell a, see
:mod:`rxcompare.sources.faers.counts`), the event date is ``cases.event_dt`` and the therapy start is
the earliest ``case_therapies.start_dt`` among the case's selected drug rows of D (same ``drug_seq``).
Dates keep the precision FDA received (``YYYY``, ``YYYYMM`` or ``YYYYMMDD``); days are never
invented, so each case falls in exactly one class:

- ``usable``: both dates are full ``YYYYMMDD`` and the event is on or after the start; onset days =
  event date - start date (day 0 = same day);
- ``negative``: both full, but the event is dated before the start (left out of the summary);
- ``invalid``: a full date that is not a calendar date (such as 20230231);
- ``too_coarse``: both dates present, at least one without a day (``YYYY`` or ``YYYYMM``);
- ``missing``: no event date, or no start date for the drug.

The median and quartiles of the usable onsets use linear interpolation between order statistics
(numpy's default, Hyndman & Fan 1996 type 7). The engine returns one row per case; the classes and
the summary are computed here, so every engine gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from rxcompare.models import ONSET_COLUMNS, OnsetSummary, envelope, json_value
from rxcompare.sources.faers.counts import (
    COUNTING_UNIT,
    CountQuery,
    drug_rows,
    event_rows,
    universe_table,
)
from rxcompare.sources.faers.engines import WarehouseTables

__all__ = [
    "CLASSES",
    "OnsetSummary",
    "onset_json",
    "onset_rows",
    "summarise_onset",
    "time_to_onset",
]

CLASSES = ("usable", "negative", "invalid", "too_coarse", "missing")


def onset_rows(
    t: WarehouseTables,
    query: CountQuery | None = None,
    drugs: Sequence[str] = (),
    events: Sequence[str] = (),
):
    """The engine pass: one row per (case, drug, event) of the universe with ``event_dt``, the
    earliest full start date of the drug in the case (``start_full``) and whether the drug had any
    start date (``starts``: count of dated therapy rows). ``drugs``/``events`` restrict the pairs."""
    query = CountQuery() if query is None else query
    u = universe_table(t, query)
    d = drug_rows(t, query)
    d = d.filter(d[query.level].notnull()).select(
        primaryid=d.primaryid, drug=d[query.level], drug_seq=d.drug_seq
    )
    if drugs:
        d = d.filter(d.drug.isin([x.strip().lower() for x in drugs]))
    d = d.semi_join(u, "primaryid")
    th = t["case_therapies"]
    dated = th.filter(th.start_dt.notnull())
    starts = d.join(dated, [d.primaryid == dated.primaryid, d.drug_seq == dated.drug_seq])
    starts = starts.group_by(["primaryid", "drug"]).agg(
        start_full=starts.start_dt.min(where=starts.start_dt.length() == 8),
        starts=starts.count(),
    )
    pairs = d.select("primaryid", "drug").distinct()
    ev = event_rows(t, u).select("primaryid", "event")
    if events:
        ev = ev.filter(ev.event.isin([e.strip().upper() for e in events]))
    c = t["cases"].select("primaryid", "event_dt")
    rows = pairs.join(ev, "primaryid").join(c, "primaryid").left_join(starts, ["primaryid", "drug"])
    return rows.select("primaryid", "drug", "event", "event_dt", "start_full", "starts")


def _parse(values: Sequence[str]) -> dict[str, int | None]:
    """Full YYYYMMDD strings -> proleptic day numbers (None for a non-calendar date)."""
    out: dict[str, int | None] = {}
    for v in set(values):
        try:
            out[v] = date(int(v[:4]), int(v[4:6]), int(v[6:8])).toordinal()
        except ValueError:
            out[v] = None
    return out


def summarise_onset(
    drug: Sequence[str],
    event: Sequence[str],
    event_dt: Sequence[str | None],
    start_full: Sequence[str | None],
    starts: Sequence[int | None],
    filters: tuple[tuple[str, str], ...] = (),
) -> tuple[OnsetSummary, ...]:
    """Classify each case row and summarise per (drug, event), sorted by drug then event."""
    n = len(drug)
    ev = ["" if x is None else x for x in event_dt]
    st = ["" if x is None else x for x in start_full]
    has_start = np.array([bool(x) for x in starts], dtype=bool) if n else np.zeros(0, bool)
    days_of = _parse([x for x in ev + st if len(x) == 8])
    cls = np.empty(n, dtype=object)
    days = np.full(n, np.nan)
    for i in range(n):
        if not ev[i] or not has_start[i]:
            cls[i] = "missing"
        elif len(ev[i]) < 8 or not st[i]:
            cls[i] = "too_coarse"
        elif days_of[ev[i]] is None or days_of[st[i]] is None:
            cls[i] = "invalid"
        else:
            days[i] = days_of[ev[i]] - days_of[st[i]]
            cls[i] = "usable" if days[i] >= 0 else "negative"
    keys = sorted(set(zip(drug, event)))
    index = {k: j for j, k in enumerate(keys)}
    group = np.array([index[k] for k in zip(drug, event)], dtype=np.int64)
    out = []
    for j, (d, e) in enumerate(keys):
        sel = group == j
        c = cls[sel]
        counts = {k: int(np.sum(c == k)) for k in CLASSES}
        x = days[sel][c == "usable"]
        stats = (
            np.percentile(x, [50, 25, 75]).tolist() + [float(x.min()), float(x.max())]
            if x.size
            else [float("nan")] * 5
        )
        out.append(
            OnsetSummary(
                d,
                e,
                int(sel.sum()),
                *counts.values(),
                *stats,
                counting_unit=COUNTING_UNIT,
                filters=filters,
            )
        )
    return tuple(out)


def time_to_onset(
    t: WarehouseTables,
    query: CountQuery | None = None,
    drugs: Sequence[str] = (),
    events: Sequence[str] = (),
) -> tuple[OnsetSummary, ...]:
    """Time-to-onset summaries of the drug-event pairs of ``drugs`` (all when empty) and
    ``events`` (all when empty), on ``t``'s engine; see the module doc for the rules."""
    query = CountQuery() if query is None else query
    got = t.fetch(onset_rows(t, query, drugs, events))
    cols = {
        k: got.column(k).to_pylist() for k in ("drug", "event", "event_dt", "start_full", "starts")
    }
    return summarise_onset(
        cols["drug"],
        cols["event"],
        cols["event_dt"],
        cols["start_full"],
        cols["starts"],
        filters=query.describe(),
    )


def onset_json(summaries: Sequence[OnsetSummary], source: str = "") -> dict:
    """The versioned JSON envelope of time-to-onset summaries (full precision; nan as null)."""
    filters = dict(summaries[0].filters) if summaries else {}
    return envelope(
        "rxcompare/onset",
        source=source,
        counting_unit=COUNTING_UNIT,
        filters=filters,
        rules=dict(_RULES),
        rows=[{k: json_value(getattr(s, k)) for k in ONSET_COLUMNS} for s in summaries],
    )


_RULES = {
    "onset": "event_dt - earliest full start_dt of the drug's therapy rows in the case, in days",
    "usable": "both dates full YYYYMMDD and event on or after start",
    "too_coarse": "a date given only as YYYY or YYYYMM: no days are invented",
    "quartiles": "linear interpolation (Hyndman-Fan type 7)",
}
