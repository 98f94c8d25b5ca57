"""Renderers: records of :mod:`rxcompare.models` (and the study's JSON-ready documents) to text.

- :mod:`.terminal`, :mod:`.markdown`, :mod:`.json`, :mod:`.html`: a comparison in each format, with
  :mod:`.common` for what they share and :mod:`.charts` for the comparison's SVG charts;
- :mod:`.svg`: the :class:`~.svg.Chart` record, escaped SVG primitives and tick scales, for every chart;
- :mod:`.study` (the READUS-PV study report), :mod:`.sensitivity` (the deduplication sensitivity
  tables) and :mod:`.study_charts` (their charts);
- :mod:`.signal_text`: signal tables as terminal text; :mod:`.onset`: time-to-onset summaries as a
  terminal table and CSV; :mod:`.evaluation`: a method evaluation as a plain-text report;
- :mod:`.label`, :mod:`.trials`, :mod:`.pack`: what ``label show``, ``trials`` and the ``pack``
  commands print.

Render sees only models: it imports nothing of rxcompare but :mod:`rxcompare.models`, itself and
:mod:`rxcompare.errors` (tests/test_architecture.py). Rounding happens here, nowhere else.
"""
