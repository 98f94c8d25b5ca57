"""The counting layer on the FAERS warehouse, written once in Ibis, run by DuckDB or Spark.

The unit is the deduplicated case (one row of ``cases``). A :class:`CountQuery` selects:

- the **case filters** -- quarter received, country, sex, age band, seriousness -- on ``cases``;
- the **drug rows** -- roles (suspect = PS + SS by default), optionally only the rows whose own
  indication (``case_indications`` with the same ``drug_seq``) contains a text -- labelled at the
  ingredient or the product level (``case_drugs.ingredient`` / ``.product``).

The *universe* is the cases passing the case filters that have at least one selected drug row, at
either level (so n does not depend on the level; a drug row without a product is simply not counted
as a product). For drug D and event E, over the universe::

    a = cases with D and E       b = cases with D - a
    c = cases with E - a         d = n - a - b - c

as in :mod:`rxcompare.signals.report_table` (so E = (a+b)(a+c)/n). A case's *quarter received* is the
quarter of ``init_fda_dt`` (the date FDA first received the case) when that date has a month, else the
quarter of the file holding its kept version.

One engine job (:func:`count_cells`: four aggregates of the same expressions -- cases, drug margins,
event margins, pairs) returns integer counts per *cell* -- a combination of the
quarter received (``by_quarter``) and the stratum values (``strata``, unknown values form their own
level) -- and everything else is numpy on those integers, so both engines give identical numbers:
:func:`cumulate` sums the cells up to a quarter into the 2x2 tables (:class:`PairCounts`) and, with
strata, the Mantel-Haenszel-style stratified expected counts of DuMouchel (1999, Am Stat 53:177-190)::

    E_ij = sum over strata s of  n_s(drug i) * n_s(event j) / n_s

Head-to-head tables (:func:`head_to_head`) compare drug A with drug B among cases of either and not
both (a case naming the other drug in any role is left out), as the comparison does.

The room: :mod:`.query` (what to count, as Ibis expressions), :mod:`.cells` (the engine pass and
the 2x2 tables from its cells) and :mod:`.arms` (two drugs' arms, head to head).
"""

from rxcompare.sources.faers.counts.arms import (
    arm_sizes_by_year,
    arms_table,
    group_counts,
    head_to_head,
)
from rxcompare.sources.faers.counts.cells import CellCounts, count_cells, count_pairs, cumulate
from rxcompare.sources.faers.counts.query import (
    COUNTING_UNIT,
    LEVELS,
    ROLES,
    STRATA,
    SUSPECT,
    CountQuery,
    drug_rows,
    event_rows,
    parse_quarters,
    received_quarter,
    universe_table,
)

__all__ = [
    "COUNTING_UNIT",
    "LEVELS",
    "ROLES",
    "STRATA",
    "SUSPECT",
    "CellCounts",
    "CountQuery",
    "arm_sizes_by_year",
    "arms_table",
    "count_cells",
    "count_pairs",
    "cumulate",
    "drug_rows",
    "event_rows",
    "group_counts",
    "head_to_head",
    "parse_quarters",
    "received_quarter",
    "universe_table",
]
