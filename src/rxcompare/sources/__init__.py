"""Where evidence comes from, one room per stream; each turns its input into :mod:`rxcompare.models`.

- :mod:`.labels`: FDA labels read whole -- SPL XML (:mod:`.labels.spl`), openFDA's label JSON
  (:mod:`.labels.openfda_json`), DailyMed's current versions (:mod:`.labels.dailymed`), and the facts
  drawn from a label's sections (:mod:`.labels.facts`, with the LOINC and topic tables).
- :mod:`.openfda`: the openFDA API -- its client (:mod:`.openfda.client`), adverse-event counts
  (:mod:`.openfda.events`) and labels fetched by name (:mod:`.openfda.labels`).
- :mod:`.faers`: FDA's quarterly FAERS files -- download, ingest, deduplication, the counting layer
  (:mod:`.faers.counts`: query, cells, arms) on DuckDB or Spark, and the warehouse's post-marketing
  source for the comparison (:mod:`.faers.postmarketing`); the quoting of the SQL DuckDB runs
  (:mod:`.faers.sql`), which the signals wing's report table uses too.
- :mod:`.ctgov`: ClinicalTrials.gov results, arm by arm (client, records, mapping, read, store, registry,
  listing).
- :mod:`.literature`: published case reports and studies found for a drug and an event.
- :mod:`.pack` (record, read, curated, build, update): the knowledge pack that holds the labels'
  output, and its update from DailyMed and openFDA (:mod:`.pack.update`).
- :mod:`.rxnorm`: RxNav's RxNorm concepts of a name.
- :mod:`.http`: the neutral cached HTTP client the online streams share (cache, retries, bounded
  answers, clear errors); openFDA, DailyMed, ClinicalTrials.gov, RxNav, PubMed and Europe PMC
  subclass it.
- :mod:`.atomic`: the atomic JSON write of the caches, the trials store and the pack.

Streams meet only through :mod:`rxcompare.models`: each imports models, errors, settings, the plumbing
(:mod:`.http`, :mod:`.atomic`) and its own room, except that :mod:`.openfda.labels` parses what it
fetches with :mod:`.labels` and FAERS maps drug names with the pack's product names; the pack sits
above them (tests/test_architecture.py). What is built on the streams lives in the two wings,
:mod:`rxcompare.comparison` and :mod:`rxcompare.signals`.
"""
