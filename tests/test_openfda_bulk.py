"""openFDA bulk drug/event files into the warehouse: built from openFDA's real record shape
(../shared/data/real/openfda-event), a few hundred made-up reports written both as bulk parts and as
a quarterly ASCII zip in FDA's layout count the same, table by table and pair by pair."""

from __future__ import annotations

import copy
import json
import random
import zipfile

import pytest
from conftest import shared_path

from rxcompare.errors import FaersError
from rxcompare.sources.faers.openfda_bulk import (
    bulk_quarter,
    ingest_bulk,
    is_bulk_file,
    iter_records,
    stage_bulk_quarter,
)
from rxcompare.sources.faers.provenance import describe_source
from rxcompare.sources.faers.warehouse import Warehouse

DRUGS = ["OCREVUS", "KESIMPTA", "ALPHAMAB", "BETANIB", "GAMMAZOLE", "DELTAPRIL"]
EVENTS = [
    "HEADACHE",
    "NAUSEA",
    "HERPES ZOSTER",
    "INFUSION RELATED REACTION",
    "PNEUMONIA",
    "FATIGUE",
    "RASH",
]
HEADERS = {
    "DEMO": "primaryid$caseid$caseversion$i_f_code$event_dt$mfr_dt$init_fda_dt$fda_dt$rept_cod$auth_num$mfr_num$"
    "mfr_sndr$lit_ref$age$age_cod$age_grp$sex$e_sub$wt$wt_cod$rept_dt$to_mfr$occp_cod$reporter_country$"
    "occr_country",
    "DRUG": "primaryid$caseid$drug_seq$role_cod$drugname$prod_ai$val_vbm$route$dose_vbm$cum_dose_chr$cum_dose_unit$"
    "dechal$rechal$lot_num$exp_dt$nda_num$dose_amt$dose_unit$dose_form$dose_freq",
    "REAC": "primaryid$caseid$pt$drug_rec_act",
    "OUTC": "primaryid$caseid$outc_cod",
    "RPSR": "primaryid$caseid$rpsr_cod",
    "THER": "primaryid$caseid$dsg_drug_seq$start_dt$end_dt$dur$dur_cod",
    "INDI": "primaryid$caseid$indi_drug_seq$indi_pt",
}


def _reports(n: int, seed: int = 7) -> list[dict]:
    """Made-up reports; some cases come twice (an older and a newer version)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        case = 20000000 + i
        versions = [1, 2] if i % 9 == 0 else [1]
        for v in versions:
            k = rng.randint(1, 3)
            drugs = [(d, rng.choice(["1", "1", "2", "3"])) for d in rng.sample(DRUGS, k)]
            out.append(
                {
                    "case": case,
                    "version": v,
                    "received": f"202301{1 + i % 28:02d}",
                    "receipt": f"20230{1 + v}15",
                    "drugs": drugs,
                    "events": rng.sample(EVENTS, rng.randint(1, 3)),
                    "sex": rng.choice(["1", "2", "0"]),
                    "death": i % 11 == 0,
                    "indication": "MULTIPLE SCLEROSIS" if i % 2 else None,
                    "start": rng.choice(["20221105", "202211", "2022", None]),
                }
            )
    return out


def _record(template: dict, r: dict) -> dict:
    """One report in openFDA's record shape: the real record with its values replaced."""
    rec = copy.deepcopy(template)
    for k in [k for k in rec if k.startswith("seriousness")]:
        del rec[k]
    rec.update(
        safetyreportid=str(r["case"]),
        safetyreportversion=str(r["version"]),
        receivedate=r["received"],
        receiptdate=r["receipt"],
        serious="1" if r["death"] else "2",
    )
    if r["death"]:
        rec["seriousnessdeath"] = "1"
    drug_template = template["patient"]["drug"][0]
    drugs = []
    for name, role in r["drugs"]:
        d = {
            k: v
            for k, v in drug_template.items()
            if k not in ("drugindication", "drugstartdate", "drugenddate")
        }
        d.update(medicinalproduct=name, drugcharacterization=role)
        if r["indication"]:
            d["drugindication"] = r["indication"]
        if r["start"]:
            d["drugstartdate"] = r["start"]
        drugs.append(d)
    rec["patient"] = {
        **template["patient"],
        "drug": drugs,
        "patientsex": r["sex"],
        "reaction": [{"reactionmeddrapt": e} for e in r["events"]],
    }
    return rec


def _bulk_part(path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "meta": {
            "disclaimer": "made up for a test",
            "last_updated": "2023-07-01",
            "results": {"skip": 0, "limit": len(records), "total": len(records)},
        },
        "results": records,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(path.name.removesuffix(".zip"), json.dumps(doc, indent=1))


def _quarterly_zip(path, reports: list[dict]) -> None:
    """The same reports as FDA's quarterly ASCII files (suspect drugs as SS, as openFDA cannot say PS)."""
    lines = {t: [h] for t, h in HEADERS.items()}
    sex = {"1": "M", "2": "F"}
    for r in reports:
        pid, case = f"{r['case']}{r['version']}", str(r["case"])
        demo = dict.fromkeys(HEADERS["DEMO"].split("$"), "")
        demo.update(
            primaryid=pid,
            caseid=case,
            caseversion=str(r["version"]),
            init_fda_dt=r["received"],
            fda_dt=r["receipt"],
            sex=sex.get(r["sex"], ""),
            occp_cod="MD",
        )
        lines["DEMO"].append("$".join(demo.values()))
        for seq, (name, role) in enumerate(r["drugs"], 1):
            code = {"1": "SS", "2": "C", "3": "I"}[role]
            lines["DRUG"].append(f"{pid}${case}${seq}${code}${name}$$$048$$$$$$$$$$$$")
            if r["indication"]:
                lines["INDI"].append(f"{pid}${case}${seq}${r['indication']}")
            if r["start"]:
                lines["THER"].append(f"{pid}${case}${seq}${r['start']}$$$")
        lines["REAC"] += [f"{pid}${case}${e}$" for e in r["events"]]
        if r["death"]:
            lines["OUTC"].append(f"{pid}${case}$DE")
    with zipfile.ZipFile(path, "w") as zf:
        for t, rows in lines.items():
            zf.writestr(f"ASCII/{t}23Q1.txt", "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    template = json.loads(
        shared_path("openfda-event", "event.postannotation.json").read_text(encoding="utf-8")
    )
    reports = _reports(300)
    tmp = tmp_path_factory.mktemp("bulk")
    older = [r for r in reports if r["version"] == 1]
    newer = [r for r in reports if r["version"] == 2]
    # part 1 holds every case's first version; part 2 the newer versions of some (a report seen twice)
    parts = [
        tmp / "2023q1" / "drug-event-0001-of-0002.json.zip",
        tmp / "2023q1" / "drug-event-0002-of-0002.json.zip",
    ]
    _bulk_part(parts[0], [_record(template, r) for r in older])
    _bulk_part(parts[1], [_record(template, r) for r in newer])
    _quarterly_zip(tmp / "faers_ascii_2023q1.zip", reports)
    return tmp, parts, reports


def _table(wh: Warehouse, sql: str) -> list[tuple]:
    con = wh.connect()
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_bulk_files_count_as_the_same_reports_in_fdas_layout(built, tmp_path):
    tmp, parts, reports = built
    bulk, quarterly = Warehouse(tmp_path / "bulk"), Warehouse(tmp_path / "qde")
    result, stage = ingest_bulk(parts, bulk.path)
    quarterly.ingest(tmp / "faers_ascii_2023q1.zip")
    cases = len({r["case"] for r in reports})
    assert (stage.records, stage.reports, stage.duplicates) == (
        len(reports),
        cases,
        len(reports) - cases,
    )
    assert result.quarter == "2023q1"
    for sql in (
        "SELECT count(*), count(DISTINCT caseid) FROM cases",
        "SELECT caseid, caseversion, fda_dt, init_fda_dt, sex, serious, outcomes FROM cases ORDER BY ALL",
        "SELECT caseid, drug_seq, role_cod, drugname, ingredient FROM case_drugs ORDER BY ALL",
        "SELECT caseid, pt FROM case_reactions ORDER BY ALL",
        "SELECT caseid, drug_seq, indi_pt FROM case_indications ORDER BY ALL",
        "SELECT caseid, drug_seq, start_dt FROM case_therapies ORDER BY ALL",
    ):
        assert _table(bulk, sql) == _table(quarterly, sql), sql
    assert _table(bulk, "SELECT count(*) FROM cases")[0][0] == cases
    # the pairs counted for signals are equal too
    from rxcompare.signals.warehouse import signals_from_warehouse
    from rxcompare.sources.faers.engines import connect_engine

    def rows(where):
        with connect_engine(where) as t:
            return sorted(
                (r["drug"], r["event"], r["a"], r["b"], r["c"], r["d"])
                for r in signals_from_warehouse(t).rows()
            )

    assert rows(bulk.path) == rows(quarterly.path) and len(rows(bulk.path)) > 20
    source = describe_source(bulk.path)
    assert source["system"] == "openFDA bulk drug/event" and source["snapshot"] == "2023-07-01"
    # the same files again change nothing
    again, _ = ingest_bulk(parts, bulk.path)
    assert again.skipped


def test_mixing_systems_in_one_warehouse_is_refused(built, tmp_path):
    tmp, parts, _ = built
    wh = Warehouse(tmp_path / "wh")
    ingest_bulk(parts, wh.path)
    synth_q2 = tmp / "faers_ascii_2023q2.zip"
    with (
        zipfile.ZipFile(tmp / "faers_ascii_2023q1.zip") as src,
        zipfile.ZipFile(synth_q2, "w") as dst,
    ):
        for item in src.infolist():
            dst.writestr(item.filename.replace("23Q1", "23Q2"), src.read(item))
    with pytest.raises(FaersError, match="one warehouse holds one system's quarters"):
        wh.ingest(synth_q2)
    assert [q.quarter for q in wh.status().quarters] == ["2023q1"]


def test_streaming_reader_and_names(built, tmp_path):
    tmp, parts, reports = built
    meta: dict = {}
    got = list(iter_records(parts[0], meta))
    assert (
        len(got) == sum(r["version"] == 1 for r in reports) and meta["last_updated"] == "2023-07-01"
    )
    assert is_bulk_file(parts[0]) and not is_bulk_file(tmp / "faers_ascii_2023q1.zip")
    assert (
        bulk_quarter(parts[0]) == "2023q1"
        and bulk_quarter(tmp_path / "drug-event-0001-of-0001.json.zip") is None
    )
    with pytest.raises(FaersError, match="cannot tell the quarter"):
        stage_bulk_quarter([tmp_path / "drug-event-0001-of-0001.json.zip"], tmp_path / "x")
    cut = tmp_path / "2023q1" / "drug-event-0001-of-0001.json.zip"
    cut.parent.mkdir()
    with zipfile.ZipFile(parts[0]) as zf:
        text = zf.read(zf.namelist()[0])
    with zipfile.ZipFile(cut, "w") as zf:
        zf.writestr("drug-event-0001-of-0001.json", text[: len(text) // 2])
    with pytest.raises(FaersError, match="cut short"):
        list(iter_records(cut))
    legacy = json.loads(
        shared_path("openfda-event", "event.postannotation.json").read_text(encoding="utf-8")
    )
    assert legacy["safetyreportid"] == "4562564-7"  # a legacy id with its check digit
    one = tmp_path / "2004q1" / "drug-event-0001-of-0001.json.zip"
    _bulk_part(one, [legacy])
    stage = stage_bulk_quarter([one], tmp_path / "legacy")
    demo = (stage.folder / "ASCII" / "DEMO04Q1.txt").read_text(encoding="utf-8").splitlines()
    assert demo[1].startswith("45625641$4562564$1$")


def test_cli_ingest_reads_bulk_files_by_quarter(built, tmp_path):
    from typer.testing import CliRunner

    from rxcompare.cli import app

    _, parts, reports = built
    r = CliRunner().invoke(
        app, ["faers", "ingest", *map(str, parts), "--warehouse", str(tmp_path / "w")]
    )
    assert r.exit_code == 0, r.output
    assert _table(Warehouse(tmp_path / "w"), "SELECT count(*) FROM cases")[0][0] == len(
        {x["case"] for x in reports}
    )
