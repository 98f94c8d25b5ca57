"""Registry trials in the comparison and the `trials` listing, end to end through the CLI, for two
FICTIONAL products (tests/fixtures/curated: Alphex, alphamab; Betanib) whose ClinicalTrials.gov API
v2 records (shaped like the real ones in ../shared/data/real/ctgov, counts made up) are served by
a real HTTP server on 127.0.0.1. No statement here is about a real medicine."""

from __future__ import annotations

import json

import pytest
from helpers import FIXTURES, Registry, served

from rxcompare.cli import main
from rxcompare.comparison import phrases as ph
from rxcompare.sources.pack import build_pack, write_pack
from rxcompare.stats.incidence import risk_difference_newcombe


def group(gid, title, description, serious, other, n):
    return {
        "id": gid,
        "title": title,
        "description": description,
        "deathsNumAffected": 0,
        "deathsNumAtRisk": n,
        "seriousNumAffected": serious,
        "seriousNumAtRisk": n,
        "otherNumAffected": other,
        "otherNumAtRisk": n,
    }


def event(term, soc, counts):
    return {
        "term": term,
        "organSystem": soc,
        "sourceVocabulary": "MedDRA 26.0",
        "assessmentType": "SYSTEMATIC_ASSESSMENT",
        "stats": [
            {"groupId": g, "numEvents": x, "numAffected": x, "numAtRisk": n}
            for g, (x, n) in counts.items()
        ],
    }


def record(nct, acronym, drug, comparator, condition, groups, serious, other, threshold="5"):
    """An API v2 study record of a fictional two-arm randomised phase 3 trial."""
    arms = [
        {
            "label": f"{drug.title()} 10 mg",
            "type": "EXPERIMENTAL",
            "description": f"{drug} 10 mg monthly.",
            "interventionNames": [f"Drug: {drug.title()}"],
        },
        {
            "label": comparator.title(),
            "type": "ACTIVE_COMPARATOR" if comparator != "placebo" else "PLACEBO_COMPARATOR",
            "description": f"{comparator} daily.",
            "interventionNames": [f"Drug: {comparator.title()}"],
        },
    ]
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct,
                "briefTitle": f"FICTIONAL trial {acronym}",
                "acronym": acronym,
            },
            "statusModule": {
                "resultsFirstPostDateStruct": {"date": "2024-03-01", "type": "ACTUAL"},
                "lastUpdatePostDateStruct": {"date": "2024-06-30", "type": "ACTUAL"},
            },
            "conditionsModule": {"conditions": [condition]},
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": ["PHASE3"],
                "designInfo": {"allocation": "RANDOMIZED", "interventionModel": "PARALLEL"},
            },
            "armsInterventionsModule": {
                "armGroups": arms,
                "interventions": [
                    {"type": "DRUG", "name": drug.title(), "armGroupLabels": [arms[0]["label"]]},
                    {
                        "type": "DRUG",
                        "name": comparator.title(),
                        "armGroupLabels": [arms[1]["label"]],
                    },
                ],
            },
        },
        "resultsSection": {
            "adverseEventsModule": {
                "frequencyThreshold": threshold,
                "timeFrame": "Up to Week 96",
                "eventGroups": groups,
                "seriousEvents": serious,
                "otherEvents": other,
            }
        },
        "hasResults": True,
    }


def alphamab_trial(nct, acronym, zoster, naso):
    groups = [
        group("EG000", "Alphamab 10 mg", "Alphamab monthly.", 10, 200, 400),
        group("EG001", "Placebo", "Matching placebo.", 8, 180, 400),
    ]
    return record(
        nct,
        acronym,
        "alphamab",
        "placebo",
        "Fictional Disease",
        groups,
        [
            event(
                "Herpes zoster",
                "Infections and infestations",
                {"EG000": (zoster, 400), "EG001": (2, 400)},
            )
        ],
        [
            event(
                "Nasopharyngitis",
                "Infections and infestations",
                {"EG000": (naso, 400), "EG001": (30, 400)},
            ),
            event(
                "Injection site reaction",
                "General disorders",
                {"EG000": (80, 400), "EG001": (20, 400)},
            ),
        ],
    )


def betanib_trial():
    groups = [
        group("EG000", "Betanib 10 mg", "Betanib weekly.", 20, 150, 300),
        group("EG001", "Comparatorol", "Comparatorol daily.", 15, 140, 300),
        group(
            "EG002",
            "Open-label Betanib extension",
            "Patients entering the open-label extension.",
            9,
            60,
            250,
        ),
    ]
    rec = record(
        "NCT09000003",
        "FICT-B",
        "betanib",
        "comparatorol",
        "Fictional Disease",
        groups,
        [
            event(
                "Pneumonia",
                "Infections and infestations",
                {"EG000": (6, 300), "EG001": (3, 300), "EG002": (5, 250)},
            )
        ],
        [
            event(
                "Headache",
                "Nervous system disorders",
                {"EG000": (40, 300), "EG001": (35, 300), "EG002": (12, 250)},
            )
        ],
        threshold="2",
    )
    return rec


RECORDS = {
    "NCT09000001": alphamab_trial("NCT09000001", "FICT-A1", 6, 50),
    "NCT09000002": alphamab_trial("NCT09000002", "FICT-A2", 4, 46),
    "NCT09000003": betanib_trial(),
    # an alphamab trial in the indication of the other alphamab product (Alphex IV)
    "NCT09000004": record(
        "NCT09000004",
        "FICT-L",
        "alphamab",
        "placebo",
        "Fictional Leukemia",
        [group("EG000", "Alphamab 10 mg", "", 1, 1, 50), group("EG001", "Placebo", "", 1, 1, 50)],
        [],
        [event("Fatigue", "General disorders", {"EG000": (5, 50), "EG001": (4, 50)})],
    ),
    # a loose search hit that is another medicine's trial
    "NCT09000005": record(
        "NCT09000005",
        "FICT-O",
        "gammazol",
        "placebo",
        "Fictional Disease",
        [group("EG000", "Gammazol 10 mg", "", 1, 1, 50), group("EG001", "Placebo", "", 1, 1, 50)],
        [],
        [],
    ),
}
HITS = {
    "alphamab": ["NCT09000001", "NCT09000002", "NCT09000004", "NCT09000005"],
    "betanib": ["NCT09000003"],
}


@pytest.fixture
def pack(tmp_path):
    groups = tmp_path / "groups.json"
    groups.write_text(
        json.dumps({"herpes infection": ["HERPES ZOSTER"], "pneumonia or sepsis": ["PNEUMONIA"]})
    )
    return write_pack(
        build_pack(curated=sorted((FIXTURES / "curated").glob("*.json")), event_groups=groups),
        tmp_path / "pack.json",
    )


def run(capsys, *args):
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    assert done.value.code in (0, None), captured.err
    return captured.out


def trial_findings(doc):
    (dim,) = [d for d in doc["dimensions"] if d["key"] == "trial_reactions"]
    return dim["findings"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
    registry = Registry(RECORDS, HITS)
    with served(registry) as base:
        monkeypatch.setenv("RXCOMPARE_CTGOV_BASE", base)
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        yield registry, base


def test_compare_online_uses_registry_trials_against_their_own_comparators(env, pack, capsys):
    registry, base = env
    doc = json.loads(
        run(capsys, "compare", "alphex", "betanib", "--pack", str(pack), "--online", "-f", "json")
    )
    findings = trial_findings(doc)
    by_topic = {}
    for f in findings:
        by_topic.setdefault(f["topic"], []).append(f)
    # the two drugs' comparators differ, and that is said first; nothing across trials is scored
    first = [f for f in findings if f["topic"].startswith("trial.registry")][0]
    assert first["topic"] == "trial.registry.comparators"
    assert first["statement"] == ph.REG_COMPARATORS_DIFFER.format(
        a="Alphex", ca="Placebo", b="Betanib", cb="Comparatorol"
    )
    registry_findings = [
        f for f in findings if any("clinicaltrials.gov" in (c["url"] or "") for c in f["citations"])
    ]
    assert len(registry_findings) > 10 and all(f["favours"] == "unclear" for f in registry_findings)
    # alphamab's two trials of one design are pooled, and which ones is said
    (source_a, source_b) = by_topic["trial.registry.source"]
    assert "NCT09000001 (FICT-A1) + NCT09000002 (FICT-A2)" in source_a["statement"]
    (zoster,) = [f for f in by_topic["trial.herpes_infection_herpes_zoster_serious"]]
    assert "Alphamab 10 mg 10 of 800 (1.2%) vs Placebo 4 of 800 (0.5%)" in zoster["statement"]
    assert any(
        "Pooled by adding the counts of NCT09000001 (FICT-A1) + NCT09000002 (FICT-A2)" in c
        for c in zoster["caveats"]
    )
    assert {c["url"] for c in zoster["citations"]} == {
        "https://clinicaltrials.gov/study/NCT09000001",
        "https://clinicaltrials.gov/study/NCT09000002",
    }
    # serious apart from other; other events carry the frequency-threshold caveat
    naso = [f for f in findings if "Nasopharyngitis" in f["statement"]]
    assert len(naso) == 1 and "(other, not serious)" in naso[0]["statement"]
    assert ph.REG_THRESHOLD.format(threshold="5") in naso[0]["caveats"]
    assert "96 of 800 (12.0%) vs Placebo 60 of 800 (7.5%)" in naso[0]["statement"]
    assert "Infections and infestations: Nasopharyngitis" in naso[0]["statement"]
    isr = next(f for f in findings if "Injection site reaction" in f["statement"])
    assert isr["statement"].startswith(
        "NCT09000001 (FICT-A1) + NCT09000002 (FICT-A2): Injection- or infusion-related reactions:"
    )
    est = isr["estimates"][0]
    assert est["method"] == "rd_newcombe" and est["value"] == pytest.approx(0.15)
    assert (est["value"], est["lower"], est["upper"]) == risk_difference_newcombe(160, 800, 40, 800)
    # the trial of the other alphamab product and the loose search hit are named, not counted
    (excluded_a,) = [
        f for f in by_topic["trial.registry.excluded"] if "NCT09000005" in f["statement"]
    ]
    assert "a record of another medicine" in excluded_a["statement"]
    assert "NCT09000004" not in json.dumps([f for f in findings if f["estimates"]])
    # betanib: its own comparator, its open-label extension kept apart
    pneu = next(f for f in findings if "Pneumonia" in f["statement"])
    assert (
        pneu["b_text"]
        and "Betanib 10 mg 6 of 300 (2.0%) vs Comparatorol 3 of 300 (1.0%)" in pneu["statement"]
    )
    (apart,) = by_topic["trial.registry.kept_apart"]
    assert "EG002 Open-label Betanib extension (open-label, extension)" in apart["statement"]
    anyser = [f for f in by_topic["trial.any_serious_adverse_event"]]
    assert [f["statement"].split(": ", 1)[0] for f in anyser] == [
        "NCT09000001 (FICT-A1) + NCT09000002 (FICT-A2)",
        "NCT09000003 (FICT-B)",
    ]
    assert (
        "Alphamab 10 mg 20 of 800" in anyser[0]["statement"]
        and "Placebo 16 of 800" in anyser[0]["statement"]
    )
    assert any(k.endswith("trials") and "fetched" in v for k, v in doc["provenance"].items())


def test_offline_compare_reads_the_trials_cache_and_says_its_date(env, pack, capsys, monkeypatch):
    registry, base = env
    listing = run(capsys, "trials", "alphex", "betanib", "--pack", str(pack), "--fetch")
    assert f"{base}/studies?countTotal=true" in listing

    def registry_requests():
        return [r for r in registry.raw if r.startswith("/studies")]

    asked = len(registry_requests())
    monkeypatch.setenv("RXCOMPARE_CTGOV_BASE", "http://127.0.0.1:9")  # nothing listens there
    doc = json.loads(run(capsys, "compare", "alphex", "betanib", "--pack", str(pack), "-f", "json"))
    assert len(registry_requests()) == asked  # no registry request
    (source_a, _b) = [f for f in trial_findings(doc) if f["topic"] == "trial.registry.source"]
    assert "read from the trials cache, fetched 20" in source_a["statement"]
    assert any("Herpes zoster" in f["statement"] for f in trial_findings(doc))


def test_compare_without_cache_or_network_works_as_before(tmp_path, pack, capsys, monkeypatch):
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "empty-cache"))
    doc = json.loads(run(capsys, "compare", "alphex", "betanib", "--pack", str(pack), "-f", "json"))
    assert not [f for f in trial_findings(doc) if f["topic"].startswith("trial.registry")]
    assert not any(k.endswith("trials") for k in doc["provenance"])


def test_trials_lists_trials_arms_and_what_is_not_counted(env, pack, capsys):
    registry, base = env
    out = run(capsys, "trials", "alphex", "--pack", str(pack), "--fetch")
    assert out.startswith("alphamab (products: Alphex, Alphex IV): ClinicalTrials.gov, fetched 20")
    assert "NCT09000001 (FICT-A1): FICTIONAL trial FICT-A1" in out
    assert (
        "  EG000 Alphamab 10 mg: drug (Alphamab), title matches arm 'Alphamab 10 mg'; randomised comparison; serious 10 of 400"
        in out
    )
    assert "  EG001 Placebo: comparator (Placebo), title matches arm 'Placebo'" in out
    assert "counted for: Alphex IV" in out  # the leukemia trial, for the other product
    assert "  ! a record of another medicine: no intervention is named alphamab or Alphex" in out
    assert "frequency threshold 5% (other events are listed only above it)" in out
    searches = [p for path, p in registry.requests if path == "/studies"]
    assert searches[0]["query.intr"] == "alphamab" and searches[1]["pageToken"] == "2"
    # offline, the same listing from the cache, saying so
    again = run(capsys, "trials", "alphex", "--pack", str(pack), "--nct", "NCT09000003")
    assert again.startswith(
        "alphamab (products: Alphex, Alphex IV): ClinicalTrials.gov, read from the trials cache"
    )
    assert "\nno trials" in again  # NCT09000003 is not among alphamab's stored trials


def test_trials_with_nct_fetches_only_those(env, pack, capsys):
    registry, _ = env
    out = run(capsys, "trials", "betanib", "--pack", str(pack), "--fetch", "--nct", "NCT09000003")
    assert [p for p, _ in registry.requests] == ["/studies/NCT09000003"]
    assert (
        "EG002 Open-label Betanib extension: drug (Betanib)" in out
        and "kept apart (open-label, extension)" in out
    )


def test_trials_without_cache_says_what_to_run(tmp_path, pack, capsys, monkeypatch):
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "none"))
    with pytest.raises(SystemExit) as done:
        main(["trials", "alphex", "--pack", str(pack)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "the trials cache holds nothing for 'alphamab'" in err and "--fetch" in err


def test_a_double_dummy_trial_is_counted_for_the_product_of_the_route_given():
    from rxcompare.models import Product
    from rxcompare.sources.ctgov import read_study

    rec = record(
        "NCT09000006",
        "FICT-DD",
        "alphamab",
        "comparatorol",
        "Fictional Disease",
        [
            group("EG000", "Alphamab 10 mg", "", 1, 1, 50),
            group("EG001", "Comparatorol", "", 1, 1, 50),
        ],
        [],
        [],
    )
    ivs = rec["protocolSection"]["armsInterventionsModule"]
    ivs["interventions"][0]["description"] = "Alphamab by intravenous infusion."
    ivs["armGroups"][0]["description"] = "Alphamab infusion and a subcutaneous placebo injection."
    sc = Product(
        "fict-sc",
        "Fict SC",
        "alphamab",
        routes=("subcutaneous",),
        indications=("fictional disease",),
    )
    iv = Product(
        "fict-iv",
        "Fict IV",
        "alphamab",
        routes=("intravenous",),
        indications=("fictional disease",),
    )
    assert read_study(rec, ("alphamab",), (sc, iv)).product == "fict-iv"
    ivs["interventions"][0]["description"] = "Alphamab."
    ivs["armGroups"][0]["description"] = "Alphamab given subcutaneously or by intravenous infusion."
    trial = read_study(rec, ("alphamab",), (sc, iv))
    assert trial.product == "" and any(
        "do not tell them apart by route" in p for p in trial.problems
    )


def test_compare_online_with_the_registry_unreachable_names_it(env, pack, capsys, monkeypatch):
    monkeypatch.setenv("RXCOMPARE_CTGOV_BASE", "http://127.0.0.1:9")  # nothing listens there
    doc = json.loads(
        run(capsys, "compare", "alphex", "betanib", "--pack", str(pack), "--online", "-f", "json")
    )
    errors = [f for f in trial_findings(doc) if f["topic"] == "trial.registry.error"]
    assert len(errors) == 2 and all(
        "ClinicalTrials.gov at http://127.0.0.1:9 is unreachable" in f["statement"] for f in errors
    )
    assert not [f for f in trial_findings(doc) if f["topic"] == "trial.registry.source"]


def test_web_app_shows_the_same_registry_trials_as_the_cli(
    env, pack, capsys, monkeypatch, tmp_path
):
    """The web app's comparison reads the trials cache as `rxcompare compare` does: one comparison,
    whichever door it is asked through."""
    from helpers import get

    from rxcompare.sources.pack import load_pack
    from rxcompare.web import create_app

    run(capsys, "trials", "alphex", "betanib", "--pack", str(pack), "--fetch")
    monkeypatch.setenv("RXCOMPARE_CTGOV_BASE", "http://127.0.0.1:9")  # offline from here on
    cli = json.loads(run(capsys, "compare", "alphex", "betanib", "--pack", str(pack), "-f", "json"))
    app = create_app(load_pack(pack), warehouse=tmp_path / "no-warehouse")
    web = get(app, "/api/compare?a=alphex&b=betanib").json()
    statements = [f["statement"] for f in trial_findings(cli)]
    assert any("Herpes zoster" in s for s in statements)
    assert [f["statement"] for f in trial_findings(web)] == statements


def test_registry_footnotes_say_what_was_read(env, pack, capsys):
    from rxcompare.render.common import SOURCE_CLASS_NOTES

    md = run(
        capsys,
        "compare",
        "alphex",
        "betanib",
        "--pack",
        str(pack),
        "--online",
        "-f",
        "markdown",
        "--full",
    )
    notes = [
        line
        for line in md.splitlines()
        if "clinicaltrials.gov/study/" in line and line[:1].isdigit()
    ]
    assert notes and all(SOURCE_CLASS_NOTES["registry"] in line for line in notes)
