"""DuckDB and Spark (local mode) give identical counts and statistics on the same warehouse.

One small synthetic warehouse and one Spark session for the module; every array is compared exactly
(float columns too: the engines return integers, the statistics are computed from them alike).
Skipped, saying why, when PySpark or Java is missing; CI installs both (`.ci/run`).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_cli

from rxcompare.errors import ConfigError
from rxcompare.models import COLUMNS
from rxcompare.signals.onset import time_to_onset
from rxcompare.signals.warehouse import signals_by_quarter, signals_from_warehouse
from rxcompare.sources.faers.counts import CountQuery, count_cells, head_to_head
from rxcompare.sources.faers.engines import connect_engine, spark_available

pytestmark = pytest.mark.spark

CELL_FIELDS = (
    "cell_quarter",
    "cell_stratum",
    "cell_n",
    "drugs",
    "events",
    "dm_drug",
    "dm_cell",
    "dm_n",
    "em_event",
    "em_cell",
    "em_n",
    "pc_drug",
    "pc_event",
    "pc_cell",
    "pc_a",
)


@pytest.fixture(scope="module")
def engines(synthetic_warehouses):
    ok, why = spark_available()
    if not ok:
        pytest.skip(f"Spark tests need PySpark and Java: {why}")
    wh = synthetic_warehouses(reports=3000, quarters=3, seed=2, drugs=250, events=300)
    duck = connect_engine(wh.path)
    spark = connect_engine(wh.path, "spark", spark_master="local[2]")
    yield wh, duck, spark
    duck.close()
    spark.close()


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    if x.dtype == object or y.dtype == object:
        return x.shape == y.shape and x.tolist() == y.tolist()
    return np.array_equal(x, y, equal_nan=True)


def test_cells_are_identical(engines):
    _, duck, spark = engines
    for query, strata, by_quarter in [
        (CountQuery(), ("sex", "age_band"), True),
        (
            CountQuery(
                level="product",
                roles=("PS",),
                country="US",
                serious=True,
                quarters=("2023q2", "2023q3"),
                indication="multiple sclerosis",
            ),
            ("country",),
            False,
        ),
    ]:
        a, b = (
            count_cells(duck, query, strata, by_quarter),
            count_cells(spark, query, strata, by_quarter),
        )
        for f in CELL_FIELDS:
            assert _same(getattr(a, f), getattr(b, f)), f
        assert a.pc_a.sum() > 0 and a.engine == "duckdb" and b.engine == "spark"


def test_statistics_are_identical_quarter_by_quarter(engines):
    _, duck, spark = engines
    kw = {"query": CountQuery(level="product"), "strata": ("sex",)}
    a, b = signals_by_quarter(duck, **kw), signals_by_quarter(spark, **kw)
    assert [q for q, _ in a] == [q for q, _ in b] == ["2023q1", "2023q2", "2023q3"]
    for (_, ta), (_, tb) in zip(a, b):
        assert ta.prior == tb.prior and ta.n_reports == tb.n_reports and ta.filters == tb.filters
        for k in COLUMNS:
            assert _same(ta.columns[k], tb.columns[k]), k


def test_head_to_head_and_onset_are_identical(engines):
    _, duck, spark = engines
    q = CountQuery(indication="multiple sclerosis", sex="F")
    ha, hb = (
        head_to_head(duck, "ofatumumab", "ocrelizumab", q),
        head_to_head(spark, "ofatumumab", "ocrelizumab", q),
    )
    assert len(ha) > 10 and ha.filters == hb.filters and ha.n_reports == hb.n_reports
    for k in ("drug", "event", "a", "b", "c", "d"):
        assert _same(getattr(ha, k), getattr(hb, k)), k
    oa, ob = time_to_onset(duck, drugs=["ocrelizumab"]), time_to_onset(spark, drugs=["ocrelizumab"])
    assert len(oa) > 10 and len(oa) == len(ob)
    for x, y in zip(oa, ob):
        for k, va in vars(x).items():
            vb = getattr(y, k)
            assert va == vb or (va != va and vb != vb), (x.drug, x.event, k)


def test_cli_engine_spark_writes_the_same_json(engines, capsys):
    wh, duck, _ = engines
    args = [
        "signals",
        "ocrevus",
        "--level",
        "product",
        "--event",
        "infusion related reaction",
        "--warehouse",
        str(wh.path),
        "--format",
        "json",
    ]
    on_duck = json.loads(run_cli(capsys, *args))
    on_spark = json.loads(run_cli(capsys, *args, "--engine", "spark"))  # reuses the running session
    assert (
        on_duck["source"]["description"].endswith("on DuckDB")
        and "on Spark" in on_spark["source"]["description"]
    )
    on_duck.pop("source"), on_spark.pop("source")
    assert on_duck == on_spark and on_duck["rows"][0]["a"] > 0
    table = signals_from_warehouse(
        duck,
        drug="ocrevus",
        events=["infusion related reaction"],
        query=CountQuery(level="product"),
    )
    assert on_duck["rows"][0]["ebgm"] == table.columns["ebgm"][0]


def test_another_master_is_refused_while_a_session_runs(engines):
    """One process holds one Spark session: asking for another master is an error, not a silent
    run on the session already there."""
    wh, _, spark = engines
    assert spark.session.sparkContext.master == "local[2]"
    with pytest.raises(ConfigError, match=r"already runs a Spark session on 'local\[2\]'"):
        connect_engine(wh.path, "spark", spark_master="spark://127.0.0.1:7077")
    again = connect_engine(wh.path, "spark", spark_master="local[2]")  # the same master: reused
    assert again.session is spark.session


def test_comparison_counts_are_identical(engines):
    from rxcompare.comparison.resolve import resolve_pair
    from rxcompare.sources.faers.postmarketing import WarehouseSource
    from rxcompare.sources.pack import load_pack

    wh, _, _ = engines
    pack = load_pack()
    a, b = resolve_pair("kesimpta", "ocrevus", pack)
    groups = dict(pack.event_groups)
    on_duck = WarehouseSource(wh.path).head_to_head(a, b, groups, "multiple sclerosis")
    on_spark = WarehouseSource(wh.path, engine="spark").head_to_head(
        a, b, groups, "multiple sclerosis"
    )
    assert on_duck == on_spark and sum(s.table.a + s.table.c for s in on_duck.signals) > 0
