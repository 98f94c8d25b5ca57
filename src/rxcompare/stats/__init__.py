"""Statistics as pure functions on numbers and arrays, no I/O: the 2x2 table (:mod:`.contingency`),
ROR and PRR (:mod:`.ror_prr`), BCPNN (:mod:`.bcpnn`), MGPS (:mod:`.mgps`), trial incidences
(:mod:`.incidence`), the signal thresholds (:mod:`.thresholds`) and the minimum detectable
relative risk (:mod:`.mdrr`).

Stats imports no source and nothing above it: only :mod:`rxcompare.errors` (tests/test_architecture.py).
Results keep full precision with their interval and method; renderers round.
"""
