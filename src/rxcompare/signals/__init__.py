"""The pharmacovigilance wing: from counted 2x2 tables to scored signals, their files, the study
report and the evaluation of the signal rules.

In the order of the data flow:

- :mod:`.score`: every statistic for every pair of a :class:`~rxcompare.models.PairCounts`
  (ROR, PRR, chi-square, IC, MGPS), the threshold flags, and the selection of the pairs asked for;
- :mod:`.report_table`: a user's long table of reports (CSV or Parquet) counted by DuckDB, and
  :func:`signals_from_reports`;
- :mod:`.warehouse`: the FAERS warehouse counted on any engine, :func:`signals_from_warehouse`
  and :func:`signals_by_quarter` (cumulative scoring by quarter received);
- :mod:`.files`: a scored table as the ``rxcompare/signals`` JSON envelope, CSV or Parquet;
- :mod:`.onset`: time to onset per pair; :mod:`.sensitivity`: the deduplication levels;
  :mod:`.study`: the READUS-PV study document; :mod:`.reference_sets` and :mod:`.evaluate`:
  the rules scored on a reference set of known positive and negative controls.

The records are :mod:`rxcompare.models`' (:class:`~rxcompare.models.SignalTable` and the others);
the wing reads the FAERS stream and the statistics, and never the comparison wing
(tests/test_architecture.py). The entry points load lazily, so that scoring a report table never
imports the warehouse's engines.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {  # entry point -> the module that defines it, imported on first use
    "signals_by_quarter": "rxcompare.signals.warehouse",
    "signals_from_reports": "rxcompare.signals.report_table",
    "signals_from_warehouse": "rxcompare.signals.warehouse",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'rxcompare.signals' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = sorted(_LAZY)
