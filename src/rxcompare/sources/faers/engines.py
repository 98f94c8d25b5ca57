"""Connect an engine to the FAERS warehouse through Ibis: DuckDB (embedded, the default) or Spark.

Both engines read the warehouse's derived Parquet files as they are (``cases``, ``case_drugs``,
``case_reactions``, ``case_indications``, ``case_therapies``; see
:mod:`rxcompare.sources.faers.warehouse`). The counting layer (:mod:`rxcompare.sources.faers.counts`)
builds one Ibis expression and hands it to :meth:`WarehouseTables.fetch`, which compiles it for the
engine and returns an Arrow table. Spark runs in local mode (``local[*]``) unless a cluster URL is
given; on a cluster the warehouse folder must be readable by every executor under the same path
(a shared file system, or a URL such as ``hdfs://...``/``s3a://...``). A master on this machine's
loopback (``spark://127.0.0.1:PORT``) gets a driver on loopback too (``spark.driver.host``).

Two third-party notices are silenced here, narrowly, by message: the DuckDB 2 deprecation of
``fetch_arrow_table`` that Ibis still calls while reading table schemas, and PySpark's notice that it
"does not yet fully support pandas >= 3" (results are fetched as Arrow, not through pandas).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rxcompare import settings
from rxcompare.errors import ConfigError, FaersError
from rxcompare.sources.faers import store
from rxcompare.sources.faers.store import DERIVED

__all__ = ["ENGINES", "SPARK_DEFAULTS", "WarehouseTables", "connect_engine", "spark_available"]

ENGINES = ("duckdb", "spark")
SPARK_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}
LOCAL_SHUFFLE_PARTITIONS = "4"  # local mode: a few cores, so few shuffle partitions
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")

_QUIET = (
    (r"fetch_arrow_table\(\) is deprecated", DeprecationWarning),
    (r"PySpark does not yet fully support pandas", FutureWarning),
)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        for message, category in _QUIET:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


def _is_url(path: str) -> bool:
    return "://" in path


@dataclass
class WarehouseTables:
    """An Ibis backend with the warehouse's derived tables, and how to fetch a result from it.

    ``tables`` maps each derived table name to its Ibis table. Close it with :meth:`close` (or use
    it as a context manager); a Spark session is stopped only when this object started it.
    """

    engine: str
    backend: Any
    tables: dict[str, Any]
    location: str
    description: str
    session: Any = None
    _owns_session: bool = field(default=False, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.tables[name]

    def fetch(self, expr: Any):
        """Run an Ibis expression on this engine and return a ``pyarrow.Table``."""
        with _quiet():
            if self.engine == "spark":
                frame = self.session.sql(str(self.backend.compile(expr)))
                if hasattr(frame, "toArrow"):  # PySpark >= 4
                    return frame.toArrow()
                return self.backend.to_pyarrow(expr)  # pragma: no cover - PySpark 3.5
            return self.backend.to_pyarrow(expr)

    def close(self) -> None:
        """Release the engine (the DuckDB connection; the Spark session if this object started it)."""
        with _quiet():
            if self.engine == "duckdb":
                self.backend.disconnect()
            elif self._owns_session and self.session is not None:
                self.session.stop()

    def __enter__(self) -> WarehouseTables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spark_available() -> tuple[bool, str]:
    """Whether Spark can run here, and why not: PySpark importable and a ``java`` found."""
    try:
        with _quiet():
            import pyspark  # noqa: F401
    except ImportError:
        return False, "PySpark is not installed: pip install 'rxcompare[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return True, ""
    if shutil.which("java"):
        return True, ""
    return (
        False,
        "no Java runtime found: install one (Debian: default-jre-headless) or set JAVA_HOME",
    )


def _on_loopback(master: str) -> bool:
    """Whether every host of a ``spark://host:port[,host:port]`` URL is this machine's loopback."""
    if not master.startswith("spark://"):
        return False
    hosts = [h.rsplit(":", 1)[0] for h in master[len("spark://") :].split(",")]
    return all(h in LOOPBACK or h.startswith("127.") for h in hosts)


def _location(path: str | os.PathLike[str] | None) -> tuple[str, list[str] | None]:
    """The warehouse's location (a folder or URL), checked, and its derived tables' layers (None
    for a URL this machine cannot open: the engine reads its dedup.json)."""
    raw = settings.WAREHOUSE.get(path) or ""
    if _is_url(
        raw
    ):  # checked where this machine can open it; its quarters are not there to compare
        url = raw.rstrip("/")
        problems, _, doc = store.remote_problems(url)
        if problems:
            raise FaersError(
                f"warehouse {url}: {'; '.join(problems)}; copy the case tables, their updates/ folder and "
                "dedup.json of a current local warehouse there again (`rxcompare faers status` shows its state)"
            )
        return url, store.derived_layers(doc) if doc is not None else None
    root = Path(raw)
    missing = [n for n in DERIVED if not (root / f"{n}.parquet").exists()]
    if missing:
        raise FaersError(
            f"warehouse {root} has no {', '.join(missing)} table; ingest quarters with "
            "`rxcompare faers ingest PATH` (or run `rxcompare faers dedup` after ingesting with --no-dedup)"
        )
    store.require_current(root)  # damaged or stale case tables are refused, never counted
    return str(root.resolve()), store.local_layers(root)


def _spark_layers(session: Any, location: str) -> list[str]:
    """The layers recorded in the dedup.json of a warehouse read through Spark's own file system."""
    try:
        text = session.read.text(f"{location}/dedup.json", wholetext=True).first()[0]
        return store.derived_layers(json.loads(text))
    except Exception as exc:  # Spark raises its own AnalysisException; a bad file, ValueError
        raise FaersError(
            f"warehouse {location}: its dedup.json cannot be read through Spark "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}); "
            "copy it with the case tables"
        ) from None


def _live_tables(backend: Any, location: str, layers: list[str], tag: str) -> dict[str, Any]:
    """The derived tables as Ibis tables: each layer's rows whose case id no later layer retires (as
    :func:`dedup.live_sql`: one anti-join against the last layer retiring each case id)."""
    import ibis

    def read(folder: str, file: str, name: str) -> Any:
        return backend.read_parquet(store.layer_file(location, folder, file), table_name=name)

    if len(layers) == 1:
        return {t: read(layers[0], f"{t}.parquet", f"rx_{t}_{tag}") for t in DERIVED}
    retired = [
        read(f, store.RETIRED, f"rx_retired_{tag}_{i}").mutate(layer=ibis.literal(i))
        for i, f in enumerate(layers[1:], 1)
    ]
    last = retired[0].union(*retired[1:]) if len(retired) > 1 else retired[0]
    last = last.group_by("caseid").aggregate(upto=last.layer.max())
    tables = {}
    for table in DERIVED:
        parts = [
            read(f, f"{table}.parquet", f"rx_{table}_{tag}_{i}").mutate(_layer=ibis.literal(i))
            for i, f in enumerate(layers)
        ]
        rows = parts[0].union(*parts[1:])
        tables[table] = rows.anti_join(
            last, [rows.caseid == last.caseid, last.upto > rows._layer]
        ).drop("_layer")
    return tables


def _spark_session(master: str, conf: Mapping[str, str], asked: bool = False):
    """(session, started here?): the process's active session, or a new one on ``master``. An
    active session on another master than one ``asked`` for is refused, not silently used."""
    ok, why = spark_available()
    if not ok:
        raise ConfigError(f"--engine spark cannot start: {why}")
    with _quiet():
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            running = active.sparkContext.master
            if asked and running != master:
                raise ConfigError(
                    f"--spark-master {master!r}: this process already runs a Spark session on {running!r}, "
                    "and one process holds one; leave out --spark-master to use it, or stop it first"
                )
            return active, False
        builder = SparkSession.builder.master(master).appName("rxcompare")
        options = dict(SPARK_DEFAULTS)
        if master.startswith("local"):
            options["spark.sql.shuffle.partitions"] = LOCAL_SHUFFLE_PARTITIONS
        elif _on_loopback(master):  # a cluster on this machine: its executors reach the driver here
            options["spark.driver.host"] = options["spark.driver.bindAddress"] = "127.0.0.1"
        options.update(conf)
        for key, value in options.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM failed to start or the master is unreachable
            raise ConfigError(
                f"--spark-master {master!r}: Spark did not start ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); check the URL and the Java runtime"
            ) from None
        session.sparkContext.setLogLevel("ERROR")
        return session, True


def connect_engine(
    warehouse: str | os.PathLike[str] | None = None,
    engine: str = "duckdb",
    *,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | None = None,
    session: Any = None,
) -> WarehouseTables:
    """Open the warehouse's derived Parquet tables on ``engine`` (``duckdb`` or ``spark``).

    Spark: ``session`` reuses a running SparkSession (the caller keeps it); otherwise an active one
    is reused, or one is started on ``spark_master`` (default ``local[*]``) with ``spark_conf`` over
    :data:`SPARK_DEFAULTS`. Raises :class:`FaersError` when the derived tables are missing and
    :class:`ConfigError` for an unknown engine or a Spark that cannot start.
    """
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r} is not one of {', '.join(ENGINES)}")
    if engine == "duckdb" and (spark_master or spark_conf):
        raise ConfigError(
            f"--spark-master {spark_master!r} applies to --engine spark only; add --engine spark"
        )
    location, layers = _location(warehouse)
    name = location.rstrip("/").rsplit("/", 1)[-1]
    import ibis

    with _quiet():
        if engine == "duckdb":
            backend = ibis.duckdb.connect()
            backend.raw_sql("SET enable_progress_bar = false")
            owns, master = False, ""
        else:
            master = spark_master or "local[*]"
            owns = False
            if session is None:
                session, owns = _spark_session(
                    master, spark_conf or {}, asked=spark_master is not None
                )
            backend = ibis.pyspark.connect(session)
        if layers is None:  # a URL this machine cannot open: DuckDB will say why when it reads
            layers = _spark_layers(session, location) if engine == "spark" else [""]
        tag = hashlib.sha1(location.encode()).hexdigest()[:10]  # one set of names per warehouse
        tables = _live_tables(backend, location, layers, tag)
    label = "DuckDB" if engine == "duckdb" else f"Spark ({session.sparkContext.master})"
    return WarehouseTables(
        engine=engine,
        backend=backend,
        tables=tables,
        location=location,
        description=f"FAERS warehouse {name} on {label}",
        session=session,
        _owns_session=owns,
    )
