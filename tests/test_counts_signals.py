"""Signals on the FAERS warehouse (DuckDB): planted synthetic truth found, stratified MGPS,
cumulative scoring by quarter, and the `rxcompare signals` warehouse mode."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from rxcompare.cli import main
from rxcompare.errors import StatisticsError, UnknownDrugError
from rxcompare.models import COLUMNS
from rxcompare.signals.score import score_counts
from rxcompare.signals.warehouse import signals_by_quarter, signals_from_warehouse
from rxcompare.sources.faers.counts import CountQuery, count_cells, count_pairs, cumulate
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.stats.contingency import expected_count
from rxcompare.stats.mgps import fit_mgps_prior


@pytest.fixture(scope="module")
def synth(synthetic_warehouses):
    wh = synthetic_warehouses(reports=4000, quarters=4, seed=3, drugs=300, events=400)
    with (wh.path.parent / "q" / "truth.csv").open(encoding="utf-8", newline="") as fh:
        planted = list(csv.DictReader(fh))
    return wh, planted


@pytest.fixture(scope="module")
def tables(synth):
    t = connect_engine(synth[0].path)
    yield t
    t.close()


@pytest.fixture(scope="module")
def product_table(tables):
    return signals_from_warehouse(tables, query=CountQuery(level="product"))


def _flagged(table, pairs: set[tuple[str, str]]) -> dict[str, int]:
    cols = table.columns
    inside = np.array([(d, e) in pairs for d, e in zip(cols["drug"], cols["event"])], dtype=bool)
    return {
        rule: int(sum(rule in f.split("+") for f in cols["flags"][inside]))
        for rule in ("ror", "ebgm", "ic")
    }


def test_planted_associations_are_found_and_null_pairs_rarely(product_table, synth):
    _, planted = synth
    key = {(r["product"], r["event"].upper()): r for r in planted if r["product"]}
    anti_cd20 = {k for k, r in key.items() if k[0] in ("kesimpta", "arzerra", "ocrevus", "briumvi")}
    controls = {k for k, r in key.items() if r["planted"] == "false"}
    assert len(anti_cd20) == 4 and len(controls) == 10
    assert _flagged(product_table, anti_cd20) == {"ror": 4, "ebgm": 4, "ic": 4}
    assert _flagged(product_table, controls) == {"ror": 0, "ebgm": 0, "ic": 0}
    cols = product_table.columns
    null = np.array([(d, e) not in key for d, e in zip(cols["drug"], cols["event"])])
    share = {
        r: np.mean([r in f.split("+") for f in cols["flags"][null]]) for r in ("ror", "ebgm", "ic")
    }
    # drugs and events drawn independently: about the one-sided 2.5% error of the ROR bound at most
    assert share["ror"] < 0.05 and share["ic"] < share["ror"] and share["ebgm"] < 0.001


def test_prior_on_its_bound_is_used_and_named(product_table, tables):
    # drugs and events drawn independently: the likelihood's maximum lies on a parameter bound;
    # the constrained maximum is a converged fit, and its method says which parameters are bound
    counts = count_pairs(tables, CountQuery(level="product"))
    prior = fit_mgps_prior(counts.a, expected_count(counts.a, counts.b, counts.c, counts.d))
    assert prior.converged and "at bound:" in prior.method
    assert prior == product_table.prior


def test_stratified_expected_feeds_mgps_only(tables, product_table):
    crude = product_table
    strat = signals_from_warehouse(
        tables, query=CountQuery(level="product"), strata=("sex", "age_band")
    )
    _, expected = cumulate(count_cells(tables, CountQuery(level="product"), ("sex", "age_band")))
    np.testing.assert_array_equal(strat.columns["e"], expected)
    for k in ("drug", "event", "a", "b", "c", "d", "ror", "prr", "ic"):
        np.testing.assert_array_equal(strat.columns[k], crude.columns[k])
    assert not np.array_equal(strat.columns["ebgm"], crude.columns["ebgm"])
    assert "stratified by sex, age_band" in dict(strat.filters)["expected count"]


def test_expected_of_the_wrong_length_is_refused(tables):
    counts = count_pairs(tables, CountQuery(level="product"))
    with pytest.raises(StatisticsError, match="one E per pair"):
        score_counts(counts, expected=np.ones(3))


def test_by_quarter_is_cumulative_and_ends_with_the_full_table(tables, product_table):
    results = signals_by_quarter(tables, drug="Kesimpta", query=CountQuery(level="product"))
    assert [q for q, _ in results] == ["2023q1", "2023q2", "2023q3", "2023q4"]
    sizes = [t.n_reports for _, t in results]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    full = product_table.select(drugs=["kesimpta"])
    last = results[-1][1]
    for k in COLUMNS:
        np.testing.assert_array_equal(last.columns[k], full.columns[k])
    assert dict(results[0][1].filters)["received up to"] == "2023q1"


def test_unknown_drug_suggests_close_labels(tables):
    with pytest.raises(UnknownDrugError) as exc:
        signals_from_warehouse(tables, drug="kesimta", query=CountQuery(level="product"))
    assert "kesimpta" in exc.value.suggestions and "'kesimta'" in str(exc.value)


def test_cli_json_strata_and_head_to_head(capsys, synth, tables):
    wh = str(synth[0].path)
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            "kesimpta",
            "--level",
            "product",
            "--event",
            "Injection site reaction",
            "--strata",
            "sex,age_band",
            "--warehouse",
            wh,
            "--format",
            "json",
        )
    )
    assert doc["counting_unit"] == "deduplicated case" and len(doc["rows"]) == 1
    assert doc["filters"]["level"] == "product" and "stratified" in doc["filters"]["expected count"]
    assert doc["rows"][0]["flags"] == "ror+ebgm+ic"
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            "kesimpta",
            "--vs",
            "ocrevus",
            "--level",
            "product",
            "--indication",
            "multiple sclerosis",
            "--warehouse",
            wh,
            "--format",
            "json",
        )
    )
    assert doc["comparator"] == "ocrevus" and doc["prior"] is None
    assert doc["filters"]["indication contains"] == "MULTIPLE SCLEROSIS"
    row = next(r for r in doc["rows"] if r["event"] == "INJECTION SITE REACTION")
    assert row["ror_lower"] > 1


def test_cli_by_quarter_csv_and_parquet(capsys, synth, tmp_path):
    wh = str(synth[0].path)
    text = run_cli(
        capsys,
        "signals",
        "ocrelizumab",
        "--event",
        "infusion related reaction",
        "--by-quarter",
        "--quarters",
        "2023q3-2023q4",
        "--warehouse",
        wh,
        "--format",
        "csv",
    )
    lines = text.splitlines()
    assert lines[0].startswith("quarter,drug,event,a,") and len(lines) == 3
    assert [x.split(",")[0] for x in lines[1:]] == ["2023q3", "2023q4"]
    out = tmp_path / "all.parquet"
    run_cli(
        capsys,
        "signals",
        "--all-pairs",
        "--level",
        "product",
        "--quarters",
        "2023q2-2023q3",
        "--warehouse",
        wh,
        "--output",
        str(out),
    )
    t = pq.read_table(out)
    assert t.num_rows > 1000 and t.schema.metadata[b"counting_unit"] == b"deduplicated case"
    assert json.loads(t.schema.metadata[b"filters"])["quarters received"] == "2023q2-2023q3"


def test_cli_onset(capsys, synth, tables):
    wh = str(synth[0].path)
    doc = json.loads(
        run_cli(
            capsys,
            "signals",
            "kesimpta",
            "--level",
            "product",
            "--onset",
            "--warehouse",
            wh,
            "--format",
            "json",
        )
    )
    counts = count_pairs(tables, CountQuery(level="product"))
    keep = counts.drug == "kesimpta"
    assert [r["event"] for r in doc["rows"]] == counts.event[keep].tolist()
    assert [r["cases"] for r in doc["rows"]] == counts.a[keep].tolist()
    # synthetic therapy starts are written as YYYYMM: no onset in days can be given
    assert (
        sum(r["usable"] for r in doc["rows"]) == 0 and sum(r["too_coarse"] for r in doc["rows"]) > 0
    )
    assert doc["schema"] == "rxcompare/onset" and doc["counting_unit"] == "deduplicated case"
    text = run_cli(
        capsys, "signals", "kesimpta", "--level", "product", "--onset", "--warehouse", wh
    )
    assert "time to onset" in text and "never given invented days" in " ".join(text.split())


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        (["signals", "kesimta", "--level", "product"], 1, "close labels: kesimpta"),
        (
            ["signals", "kesimpta", "--spark-master", "local[2]"],
            2,
            "applies to --engine spark only",
        ),
        (["signals", "kesimpta", "--engine", "flink"], 2, "--engine 'flink'"),
        (["signals", "kesimpta", "--strata", "weight"], 2, "--strata weight"),
        (["signals", "kesimpta", "--quarters", "2024q1-2023q1"], 2, "comes after the last"),
        (["signals", "kesimpta", "--vs", "ocrevus", "--strata", "sex"], 2, "not stratified"),
        (["signals", "kesimpta", "--onset", "--by-quarter"], 2, "--onset"),
        (
            ["signals", "kesimpta", "--level", "product", "--vs", "nosuchdrug"],
            1,
            "no case names 'nosuchdrug'",
        ),
    ],
)
def test_cli_warehouse_errors(capsys, synth, args, status, fragment):
    # 1: the warehouse cannot answer (a name it does not hold); 2: an option that cannot be used
    with pytest.raises(SystemExit) as exc:
        main(args + ["--warehouse", str(synth[0].path)])
    assert exc.value.code == status
    assert fragment in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    "option", [["--level", "product"], ["--by-quarter"], ["--engine", "spark"], ["--onset"]]
)
def test_cli_warehouse_options_refused_with_reports(capsys, tmp_path, option):
    table = tmp_path / "r.csv"
    table.write_text("id,var1,var2\n1,A,X\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["signals", "A", "--reports", str(table)] + option)
    assert exc.value.code == 2 and "applies to the FAERS warehouse" in capsys.readouterr().err


def test_cli_missing_warehouse_says_how_to_fill_it(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["signals", "kesimpta", "--warehouse", str(tmp_path / "none")])
    err = " ".join(capsys.readouterr().err.split())
    assert "warehouse mode" in err and "faers ingest" in err and "--reports" in err


@pytest.mark.parametrize(
    "options",
    [
        ["--onset", "--by-quarter"],
        ["--evaluate", "omop", "--onset"],
        ["--by-quarter", "--dedup-sensitivity"],
        ["--evaluate", "omop", "--report", "study.html"],
    ],
)
def test_cli_one_mode_per_call(capsys, tmp_path, options):
    with pytest.raises(SystemExit) as exc:
        main(["signals", "a", "--warehouse", str(tmp_path / "none"), *options])
    err = " ".join(capsys.readouterr().err.split())
    assert exc.value.code == 2 and "two things at once" in err and "give one of" in err


@pytest.mark.parametrize(
    "kw, mode",
    [
        ({}, "warehouse"),
        ({"by_quarter": True}, "by-quarter"),
        ({"onset": True}, "onset"),
        ({"evaluate": "omop"}, "evaluate"),
        ({"dedup_sensitivity": True}, "study"),
        ({"report": Path("s.md")}, "study"),
        ({"dedup_sensitivity": True, "report": Path("s.md")}, "study"),
        ({"reports": Path("r.csv")}, "reports"),
    ],
)
def test_signals_mode_is_named_once(kw, mode):
    from rxcompare.cli.signals import signals_mode

    args = {
        "by_quarter": False,
        "onset": False,
        "evaluate": None,
        "dedup_sensitivity": False,
        "report": None,
        "reports": None,
        "warehouse_options": {"--sex": None},
        **kw,
    }
    assert signals_mode(**args) == mode
