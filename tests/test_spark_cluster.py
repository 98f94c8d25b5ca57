"""A real Spark standalone cluster on loopback gives DuckDB's all-pairs table, number for number.

The fixture starts one master and one worker (1 core, 2 GB) from PySpark's own launcher
(``bench/spark_cluster.py``: ``bin/spark-class`` and Spark's jars, as the PySpark wheel ships
them) on ports found free, waits until the master lists the worker ``ALIVE``, and at the end stops
both and fails if any of their processes (executors included) is left. The command runs in this
process as a user would type it (``rxcompare signals --all-pairs --engine spark --spark-master
spark://127.0.0.1:PORT``): a driver JVM that earlier Spark tests started is reused, which saves its
start. Skipped, saying why, without PySpark or Java (CI installs both).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from rxcompare.cli import main
from rxcompare.sources.faers import store
from rxcompare.sources.faers.engines import spark_available

pytestmark = pytest.mark.spark

LAUNCHER = Path(__file__).resolve().parents[1] / "bench" / "spark_cluster.py"


def _launcher():
    """bench/spark_cluster.py, loaded by path (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("rxcompare_bench_spark_cluster", LAUNCHER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ok, why = spark_available()
    if not ok:
        pytest.skip(f"the Spark cluster test needs PySpark and Java: {why}")
    launcher = _launcher()
    running = launcher.StandaloneCluster(tmp_path_factory.mktemp("cluster"), cores=1, memory="2g")
    try:
        running.start()
    except launcher.ClusterError as exc:
        pytest.fail(f"the loopback Spark cluster did not start: {exc}", pytrace=False)
    yield running
    running.stop()  # raises, with the daemons' logs, if any of the cluster's processes is left


@pytest.fixture(scope="module")
def warehouse(synthetic_warehouses):
    """Three quarters, the first built and the two others added as update layers: the executors
    read every layer and the case ids each retires."""
    wh = synthetic_warehouses(reports=3000, quarters=3, seed=2, drugs=250, events=300, layers=True)
    assert len(store.local_layers(wh.path)) == 3
    return wh


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    if x.dtype == object or y.dtype == object:
        return x.shape == y.shape and x.tolist() == y.tolist()
    return x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)


def _finished_apps(cluster, wait: float = 20.0) -> list[dict]:
    """The master's completed applications (an application is listed once its driver has stopped)."""
    deadline = time.monotonic() + wait
    while True:
        apps = cluster.status()["completedapps"]
        if apps or time.monotonic() > deadline:
            return apps
        time.sleep(0.25)


def test_all_pairs_on_the_cluster_equal_duckdb(cluster, warehouse, tmp_path, capsys, monkeypatch):
    on_duck, on_spark = tmp_path / "duckdb.parquet", tmp_path / "spark.parquet"
    # the executors' Python (PySpark reads it when the context starts): none exists, so the job
    # passes only if no task needs a Python worker -- the workers need no rxcompare and no Python
    monkeypatch.setenv("PYSPARK_PYTHON", str(tmp_path / "no-python-here"))
    common = ["signals", "--all-pairs", "--warehouse", str(warehouse.path)]
    run_cli(capsys, *common, "--output", str(on_duck))
    with pytest.raises(SystemExit) as exc:
        main(
            [
                *common,
                "--engine",
                "spark",
                "--spark-master",
                cluster.master_url,
                "--output",
                str(on_spark),
            ]
        )
    assert exc.value.code in (0, None), f"{capsys.readouterr().err[-3000:]}\n{cluster.logs()}"

    a, b = pq.read_table(on_duck), pq.read_table(on_spark)
    meta_a, meta_b = dict(a.schema.metadata), dict(b.schema.metadata)
    assert meta_a.pop(b"source").endswith(b" on DuckDB")
    assert meta_b.pop(b"source").endswith(f" on Spark ({cluster.master_url})".encode())
    origin_a, origin_b = json.loads(meta_a.pop(b"origin")), json.loads(meta_b.pop(b"origin"))
    assert origin_a.pop("description").endswith(" on DuckDB") and " on Spark" in origin_b.pop(
        "description"
    )
    assert origin_a == origin_b  # system, quarters, unit, roles, indication, window
    assert meta_a == meta_b and a.schema.equals(
        b.schema
    )  # columns, counting unit, prior, filters, rules
    assert a.num_rows == b.num_rows > 1000
    for name in a.column_names:  # counts exactly; statistics equal to the last bit (nan where nan)
        x, y = (t[name].to_numpy(zero_copy_only=False) for t in (a, b))
        assert _same(x, y), name
    assert int(np.sum(a["a"].to_numpy())) > 0

    # the job ran on the cluster: one finished application, its executor launched by our worker with
    # the driver on loopback (engines.py sets spark.driver.host for a master on 127.0.0.1)
    apps = _finished_apps(cluster)
    assert [(app["name"], app["state"], app["cores"]) for app in apps] == [
        ("rxcompare", "FINISHED", 1)
    ]
    launches = sorted((cluster.folder / "work").glob(f"{apps[0]['id']}/*/stderr"))
    assert launches, f"no executor folder for {apps[0]['id']}:\n{cluster.logs()}"
    assert "CoarseGrainedScheduler@127.0.0.1:" in launches[0].read_text(errors="replace")
