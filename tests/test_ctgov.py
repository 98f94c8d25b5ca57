"""ClinicalTrials.gov API v2: the client against a real HTTP server on 127.0.0.1 serving the real
records of ../shared/data/real/ctgov (and failures), and the reading of those records arm by arm.

The helpers :class:`Registry` (a scripted API v2 server) and :func:`served` are shared with
tests/test_trials_compare.py.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import shared_path
from helpers import Registry, served

from rxcompare.errors import ConfigError, OnlineError
from rxcompare.models import Product
from rxcompare.sources.ctgov import (
    PHASE_FILTER,
    CtGovClient,
    RegistrySource,
    TrialsStore,
    check_nct,
    drug_names,
    fetch_registry,
    read_study,
    stored_registry,
)

REAL = ("NCT02278341", "NCT02210780", "NCT00763412", "NCT03630471")


def real_record(name: str) -> dict:
    return json.loads(shared_path("ctgov", f"{name}.json").read_text(encoding="utf-8"))


def client_for(base: str, tmp_path: Path, **kw) -> CtGovClient:
    return CtGovClient(base=base, cache_dir=tmp_path / "http", sleep=lambda s: None, **kw)


def served_real() -> Registry:
    """The four real records, each served under its file's name (as an id asked for)."""
    return Registry({name: real_record(name) for name in REAL})


# ---- the queries sent ---------------------------------------------------------------------


def test_search_pages_and_fetches_each_study_with_the_api_parameters(tmp_path):
    reg = served_real()
    reg.hits["certolizumab pegol"] = ["NCT02278341", "NCT02210780", "NCT00763412"]
    with served(reg) as base, client_for(base, tmp_path) as client:
        found, doc = fetch_registry("certolizumab pegol", client, ("certolizumab pegol", "cimzia"))
    searches = [p for path, p in reg.requests if path == "/studies"]
    assert searches[0] == {
        "query.intr": "certolizumab pegol",
        "filter.advanced": PHASE_FILTER,
        "fields": "NCTId,BriefTitle,Phase,HasResults",
        "pageSize": "100",
        "countTotal": "true",
        "format": "json",
    }
    assert searches[1] == {**searches[0], "pageToken": "2"} and len(searches) == 2
    assert [path for path, _ in reg.requests[2:]] == [
        f"/studies/{x}" for x in reg.hits["certolizumab pegol"]
    ]
    assert found.total == 3 and len(found.queries) == 5
    assert found.queries[0].startswith(base + "/studies?countTotal=true&fields=NCTId%2CBriefTitle")
    assert [t.nct_id for t in found.trials] == ["NCT02552212", "NCT02210780", "NCT00763412"]
    assert set(doc["records"]) == set(reg.hits["certolizumab pegol"])


def test_base_url_comes_from_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("RXCOMPARE_CTGOV_BASE", "http://127.0.0.1:9/api/v2/")
    assert CtGovClient(cache_dir=tmp_path).base == "http://127.0.0.1:9/api/v2"
    monkeypatch.setenv("RXCOMPARE_CTGOV_BASE", "clinicaltrials.gov")
    with pytest.raises(ConfigError, match="RXCOMPARE_CTGOV_BASE"):
        CtGovClient(cache_dir=tmp_path)


@pytest.mark.parametrize("bad", ["NCT123", "02792218", "NCT0279221X"])
def test_nct_ids_are_checked(bad):
    with pytest.raises(ConfigError, match="NCT followed by 8 digits"):
        check_nct([bad])
    assert check_nct(["nct02792218", "NCT02792218"]) == ("NCT02792218",)


# ---- the real records, arm by arm ---------------------------------------------------------


def test_per_arm_counts_equal_the_records_numbers():
    record = real_record("NCT02278341")
    trial = read_study(record, ("certolizumab pegol", "cimzia"), asked="NCT02278341")
    ae = record["resultsSection"]["adverseEventsModule"]
    mapped = {g.id for g in trial.groups if g.role in ("drug", "comparator")}
    expected = {
        (serious, e["term"], s["groupId"]): (s["numAffected"], s["numAtRisk"])
        for serious, key in ((True, "seriousEvents"), (False, "otherEvents"))
        for e in ae[key]
        for s in e["stats"]
        if s["groupId"] in mapped
    }
    got = {(i.serious, i.event, i.citation.section): (i.count, i.n) for i in trial.incidences}
    assert got == expected and len(got) == (36 + 9) * 3
    urti = next(
        i
        for i in trial.incidences
        if i.event == "Upper respiratory tract infection" and i.citation.section == "EG001"
    )
    assert (urti.count, urti.n, urti.serious, urti.organ_system) == (
        30,
        159,
        False,
        "Infections and infestations",
    )
    assert urti.vocabulary == "MedDRA19.0" and urti.assessment == "NON_SYSTEMATIC_ASSESSMENT"
    assert (
        urti.threshold == 5.0
        and "Week 156" in urti.time_frame
        and urti.intervention == "Certolizumab Pegol"
    )
    assert (
        urti.citation.kind == "trial"
        and urti.citation.url == "https://clinicaltrials.gov/study/NCT02552212"
    )
    detail = dict(urti.citation.detail)
    assert (
        detail["results_first_posted"] == "2020-08-17"
        and detail["last_update_posted"] == "2022-08-18"
    )
    assert detail["arm_group_ids"] == "EG001"


def test_placebo_controlled_trial_maps_drug_and_comparator():
    trial = read_study(real_record("NCT02210780"), ("dupilumab",), asked="NCT02210780")
    roles = {g.id: (g.role, g.intervention, bool(g.kept_apart)) for g in trial.groups}
    assert roles == {
        "EG000": ("comparator", "Placebo", False),
        "EG001": ("drug", "Dupilumab", False),
    }
    assert trial.usable and not trial.problems
    sq = [i for i in trial.incidences if i.event == "Squamous cell carcinoma"]
    assert {(i.is_comparator, i.count, i.n) for i in sq} == {(True, 0, 97), (False, 1, 97)}
    assert trial.groups[1].serious == (3, 97)


def test_open_label_extension_and_switch_groups_are_kept_out():
    from rxcompare.comparison.trials import registry_units

    trial = read_study(
        real_record("NCT02278341"), ("certolizumab pegol", "cimzia"), asked="NCT02278341"
    )
    apart = {g.id: g.kept_apart for g in trial.groups if g.kept_apart}
    assert set(apart) == {"EG002", "EG003", "EG004"}
    assert "open-label" in apart["EG004"] and "extension" in apart["EG004"]
    assert "switch" in apart["EG002"] and "switch" in apart["EG003"]
    (unit,) = registry_units([trial])
    assert unit.group_ids == ("NCT02552212:EG001", "NCT02552212:EG000")
    assert unit.any_serious == (8, 159, 4, 158)
    diarrhoea = next(r for r in unit.rows if r.term == "Diarrhoea" and not r.serious)
    assert (diarrhoea.x1, diarrhoea.n1, diarrhoea.x2, diarrhoea.n2) == (8, 159, 10, 158)


def test_a_record_of_another_study_than_asked_is_named():
    trial = read_study(real_record("NCT02278341"), ("certolizumab pegol",), asked="NCT02278341")
    assert trial.nct_id == "NCT02552212"
    assert (
        "asked for NCT02278341, the registry returned the record of NCT02552212" in trial.problems
    )


def test_empty_adverse_event_lists_are_named():
    trial = read_study(real_record("NCT00763412"), ("repaglinide",), asked="NCT00763412")
    assert not trial.incidences and trial.usable
    assert (
        "the adverse-events module lists no serious and no other events (empty lists)"
        in trial.problems
    )


def test_a_study_without_results_is_named():
    trial = read_study(real_record("NCT03630471"), ("pride",), asked="NCT03630471")
    assert "no results posted on ClinicalTrials.gov (hasResults false)" in trial.problems
    assert not trial.groups and not trial.usable


def test_a_record_of_another_drug_is_named_and_not_counted():
    from rxcompare.comparison.trials import registry_units

    trial = read_study(real_record("NCT00763412"), ("dupilumab",), asked="NCT00763412")
    assert not trial.names_drug
    assert any(
        p.startswith("a record of another medicine: no intervention is named dupilumab")
        and "placebo, repaglinide" in p
        for p in trial.problems
    )
    assert not trial.usable and registry_units([trial]) == []


def test_numbers_at_risk_missing_or_zero_are_named_and_not_counted():
    record = copy.deepcopy(real_record("NCT02210780"))
    stats = record["resultsSection"]["adverseEventsModule"]["otherEvents"][0]["stats"]
    stats[0]["numAtRisk"] = 0
    del stats[1]["numAtRisk"]
    term = record["resultsSection"]["adverseEventsModule"]["otherEvents"][0]["term"]
    trial = read_study(record, ("dupilumab",), asked="NCT02210780")
    assert not [i for i in trial.incidences if i.event == term and i.serious is False]
    assert "1 event row(s) not counted: group EG000: number at risk zero" in trial.problems
    assert "1 event row(s) not counted: group EG001: number at risk missing" in trial.problems


def test_an_arm_that_cannot_be_mapped_is_named():
    record = copy.deepcopy(real_record("NCT02210780"))
    group = record["resultsSection"]["adverseEventsModule"]["eventGroups"][1]
    group["title"], group["description"] = "Arm B", "Second arm."
    trial = read_study(record, ("dupilumab",), asked="NCT02210780")
    assert any("group EG001 'Arm B' cannot be mapped" in p for p in trial.problems)
    assert not trial.usable and all(i.citation.section != "EG001" for i in trial.incidences)


def test_trial_is_counted_for_the_product_whose_indication_it_studies():
    record = real_record("NCT02210780")
    ad = Product(
        "fict-ad",
        "Fict AD",
        "dupilumab",
        routes=("subcutaneous",),
        indications=("atopic dermatitis",),
    )
    other = Product(
        "fict-x", "Fict X", "dupilumab", routes=("subcutaneous",), indications=("asthma",)
    )
    assert read_study(record, ("dupilumab",), (ad, other)).product == "fict-ad"
    trial = read_study(record, ("dupilumab",), (other,))
    assert trial.product == "" and any("name no indication" in p for p in trial.problems)


# ---- faults on the wire; nothing half-written ---------------------------------------------


def test_a_server_error_is_retried(tmp_path):
    reg = served_real()
    reg.faults["/studies/NCT02210780"] = [500, 500]
    with served(reg) as base, client_for(base, tmp_path) as client:
        found, _ = fetch_registry("dupilumab", client, ("dupilumab",), nct=["NCT02210780"])
    assert [p for p, _ in reg.requests] == ["/studies/NCT02210780"] * 3
    assert found.trials[0].usable


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (404, "has no study at"),
        ("truncated", "did not finish answering"),
        ("not json", "not a JSON object"),
        (500, "answered 500"),
    ],
)
def test_faults_are_named_and_nothing_is_stored(tmp_path, fault, message):
    reg = served_real()
    reg.faults["/studies/NCT02210780"] = [fault] * 6
    reg.hits["dupilumab"] = ["NCT00763412", "NCT02210780"]
    store = TrialsStore(tmp_path / "trials")
    with served(reg) as base, client_for(base, tmp_path, max_retries=1) as client:
        with pytest.raises(OnlineError, match=message):
            fetch_registry("dupilumab", client, ("dupilumab",), nct=["NCT00763412", "NCT02210780"])
        source = RegistrySource(online=True, client=client, store=store)
        got = source.for_drug("dupilumab", ())
    assert message in got.error and not got.trials
    assert not (tmp_path / "trials").exists()
    cached = [json.loads(p.read_text())["url"] for p in (tmp_path / "http").glob("*.json")]
    assert cached and not any("NCT02210780" in u for u in cached)  # the good answer only


def test_a_failed_refetch_keeps_the_stored_trials(tmp_path):
    reg = served_real()
    store = TrialsStore(tmp_path / "trials")
    with served(reg) as base:
        with client_for(base, tmp_path) as client:
            _, doc = fetch_registry("dupilumab", client, ("dupilumab",), nct=["NCT02210780"])
        store.save(doc)
        before = store.path("dupilumab").read_bytes()
        reg.hits["dupilumab"] = ["NCT02210780"]
        reg.faults["/studies"] = [500] * 6
        with client_for(base, tmp_path / "fresh", max_retries=1) as client:
            got = RegistrySource(online=True, client=client, store=store).for_drug("dupilumab", ())
    assert store.path("dupilumab").read_bytes() == before
    assert got.from_store and "answered 500" in got.error and got.trials[0].nct_id == "NCT02210780"


def test_stored_trials_are_read_offline_with_their_date(tmp_path):
    reg = served_real()
    store = TrialsStore(tmp_path / "trials")
    with served(reg) as base, client_for(base, tmp_path) as client:
        online = RegistrySource(online=True, client=client, store=store).for_drug("dupilumab", ())
    offline = RegistrySource(online=False, store=store).for_drug("dupilumab", ())
    assert offline.from_store and offline.fetched_at == online.fetched_at
    assert (
        [t.nct_id for t in offline.trials] == [t.nct_id for t in online.trials] == []
    )  # no hits served
    _, doc = None, store.load("dupilumab")
    assert doc["queries"][0].startswith(base + "/studies?")
    assert stored_registry(doc, drug_names("dupilumab", ())).total == 0


def test_a_damaged_store_file_is_named(tmp_path):
    store = TrialsStore(tmp_path)
    store.path("dupilumab").write_text('{"schema": "rxcompare/ctgov-trials", "recor')
    got = RegistrySource(online=False, store=store).for_drug("dupilumab", ())
    assert "cannot be read" in got.error and "--fetch" in got.error


def _edited(where: str, field: str, value) -> dict:
    record = copy.deepcopy(real_record("NCT02210780"))
    ae = record["resultsSection"]["adverseEventsModule"]
    target = ae["otherEvents"][0]["stats"][0] if where == "stats" else ae["eventGroups"][0]
    target[field] = value
    return record


@pytest.mark.parametrize(
    ("where", "field", "value", "words"),
    [
        ("stats", "numAffected", -3, "numAffected -3 is not a count of participants"),
        ("stats", "numAtRisk", -97, "numAtRisk -97 is not a count of participants"),
        ("stats", "numAffected", 500, "numAffected 500 is above numAtRisk"),
        ("stats", "numAffected", 2.5, "numAffected 2.5 is not a count"),
        ("stats", "numAffected", "-3", "numAffected '-3' is not a count"),
        ("stats", "numEvents", -1, "numEvents -1 is not a count"),
        ("group", "seriousNumAffected", -1, "seriousNumAffected -1 is not a count"),
        ("group", "otherNumAffected", 10_000, "otherNumAffected 10000 is above otherNumAtRisk"),
    ],
    ids=[
        "affected-negative",
        "at-risk-negative",
        "affected-above-at-risk",
        "fraction",
        "negative-text",
        "events-negative",
        "group-negative",
        "group-above",
    ],
)
def test_a_record_with_impossible_counts_is_refused_and_named(where, field, value, words):
    """A record whose counts cannot be counts (the issue's probe showed incidences of -3.09% and
    200%) is refused whole, named in the registry's notes, and none of its figures are shown."""
    from rxcompare.errors import SourceError
    from rxcompare.sources.ctgov.registry import registry_from_records

    record = _edited(where, field, value)
    with pytest.raises(SourceError, match=f"record NCT02210780 refused: .*{words}"):
        read_study(record, ("dupilumab",), asked="NCT02210780")
    reg = registry_from_records("dupilumab", {"NCT02210780": record}, ("dupilumab",))
    assert reg.trials == () and any("NCT02210780 refused" in n and words in n for n in reg.notes)
    assert read_study(
        real_record("NCT02210780"), ("dupilumab",), asked="NCT02210780"
    ).incidences  # the real one reads
