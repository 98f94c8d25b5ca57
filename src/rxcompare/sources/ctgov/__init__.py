"""ClinicalTrials.gov API v2: a medicine's trials with posted results, arm by arm.

What it asks (``RXCOMPARE_CTGOV_BASE``, default ``https://clinicaltrials.gov/api/v2``):

1. ``GET /studies`` with ``query.intr=<name>`` (the intervention search area: intervention names,
   other names, arm groups), ``filter.advanced=AREA[Phase]PHASE3 AND AREA[HasResults]true``
   (phase 3; a phase 2/3 study lists both PHASE2 and PHASE3, so it matches; results posted),
   ``fields=NCTId,BriefTitle,Phase,HasResults``, ``pageSize=100``, ``countTotal=true``; the next
   page is asked with the answer's ``nextPageToken`` as ``pageToken`` until there is none.
2. ``GET /studies/{nctId}`` for each study found (or each ``--nct`` given).

Requests go through :class:`CtGovClient`, the shared client's cache, retries and errors
(:mod:`rxcompare.sources.http`) pointed at ClinicalTrials.gov.

What it reads (:func:`read_study`): ``armsInterventionsModule`` (arms, interventions, other
names), ``designModule`` (phases, allocation, intervention model), ``conditionsModule``, the
status dates, and ``resultsSection.adverseEventsModule``: each event group (the arms as the
adverse-event tables report them), mapped to the medicine or a comparator, and each serious and
other event term as one :class:`~rxcompare.models.Incidence` per group. Nothing is guessed: a group
that cannot be mapped, a number at risk that is missing or zero, a study without results, a record
of another medicine, are each named in the trial's ``problems``. Open-label, extension, switch and
cross-over groups (and all groups of a trial that is not randomised in parallel) keep the reason in
``kept_apart`` and stay out of the randomised comparison.

:class:`TrialsStore` keeps what one fetch returned (the raw records, the query URLs and the date)
in one file per searched name, written atomically once every record has arrived; offline, the
comparison reads it from there and says the date.

The room, in the order of the data flow: :mod:`.client` (asking: the client, the search, the
records), :mod:`.records` (``Group``, ``Trial``, ``Registry``), :mod:`.mapping` (event groups to
arms, the trial to a product), :mod:`.read` (one record as a ``Trial``), :mod:`.store` (the
fetched records on disk), :mod:`.registry` (fetch or read, and :class:`RegistrySource` for the
comparison) and :mod:`.listing` (``rxcompare trials`` as JSON; its text is rendered in
:mod:`rxcompare.render.trials`). It imports no other stream: only models, errors, settings and the
plumbing under every stream (the HTTP client :mod:`rxcompare.sources.http`, the atomic write
:mod:`rxcompare.sources.atomic`).
"""

from rxcompare.sources.ctgov.client import (
    MAX_PAGES,
    PAGE_SIZE,
    PHASE_FILTER,
    SEARCH_FIELDS,
    CtGovClient,
    check_nct,
    fetch_records,
    search_studies,
)
from rxcompare.sources.ctgov.listing import trials_json
from rxcompare.sources.ctgov.read import read_study
from rxcompare.sources.ctgov.records import STUDY_URL, Group, Registry, Trial
from rxcompare.sources.ctgov.registry import (
    RegistrySource,
    drug_names,
    fetch_registry,
    registry_from_records,
    stored_registry,
)
from rxcompare.sources.ctgov.store import STORE_SCHEMA, TrialsStore

__all__ = [
    "MAX_PAGES",
    "PAGE_SIZE",
    "PHASE_FILTER",
    "SEARCH_FIELDS",
    "STORE_SCHEMA",
    "STUDY_URL",
    "CtGovClient",
    "Group",
    "Registry",
    "RegistrySource",
    "Trial",
    "TrialsStore",
    "check_nct",
    "drug_names",
    "fetch_records",
    "fetch_registry",
    "read_study",
    "registry_from_records",
    "search_studies",
    "stored_registry",
    "trials_json",
]
