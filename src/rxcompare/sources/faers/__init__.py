"""The FAERS stream: FDA's quarterly adverse-event files to counts of deduplicated cases.

In the order of the data flow: download (:mod:`.download`) and the file layout (:mod:`.layout`);
ingest of one quarter into Parquet files (:mod:`.ingest` and the modules it reads files with), with
drug names normalised (:mod:`.normalise`); deduplication (:mod:`.dedup`, FDA's rule, and
:mod:`.match`, the demographic match); the warehouse that holds them (:mod:`.warehouse`), with its
folders, lock and commits at the bottom (:mod:`.store`), below both stages; engines that read it
(:mod:`.engines`: DuckDB or Spark through Ibis); the counting layer (:mod:`.counts`: query, cells,
arms), and the comparison's post-marketing source on it (:mod:`.postmarketing`). What scores the
counts is the signals wing's (:mod:`rxcompare.signals`). Synthetic quarters in the real layout
(:mod:`.synth`) serve tests and benchmarks. The SQL quoting (:mod:`.sql`) is the one way a value
reaches DuckDB's SQL text here and in the signals wing's report table; it imports nothing, so the
wing reads it without loading the warehouse.

The stream imports models, errors, settings and the atomic write, and the pack's product names for
drug-name synonyms; no other stream (tests/test_architecture.py).
"""
