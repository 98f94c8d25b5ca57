"""A Spark standalone cluster on loopback: one master and one worker, from PySpark's own launcher.

PySpark's wheel ships Spark's jars and its ``bin/spark-class`` (the script Spark's own
``start-master.sh`` and ``start-worker.sh`` call), so a real standalone cluster needs nothing but
Java::

    with StandaloneCluster(folder, cores=2, memory="6g").start() as cluster:
        ...  # connect a driver to cluster.master_url (spark://127.0.0.1:PORT)

Both daemons listen on 127.0.0.1 only, on ports found free, with their logs, configuration folder
and the worker's executor folders under ``folder``. :meth:`StandaloneCluster.start` returns once
the master's JSON status (``http://127.0.0.1:WEBUI/json/``) lists the worker as ``ALIVE``;
:meth:`StandaloneCluster.stop` ends both (SIGTERM, then SIGKILL of their process groups, which
hold the executors the worker started) and fails if any of their processes is left. Every failure
is a :class:`ClusterError` whose message ends with the tail of the daemons' logs.

Used by ``tests/test_spark_cluster.py`` (the ``spark`` fixture) and ``bench/bench_cluster.py``. It
is a tool for measuring and testing on one machine, not part of rxcompare: a real cluster is
started by its operators, and rxcompare only connects to it (``--spark-master URL``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ClusterError", "StandaloneCluster", "free_port", "spark_home"]

HOST = "127.0.0.1"
MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"


class ClusterError(RuntimeError):
    """The loopback cluster did not start, or did not stop cleanly."""


def spark_home() -> Path:
    """PySpark's installation folder: Spark's jars and ``bin/spark-class`` are in it."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ClusterError("PySpark is not installed: pip install 'rxcompare[spark]'")
    home = Path(spec.origin).parent
    if not (home / "bin" / "spark-class").exists() or not (home / "jars").is_dir():
        raise ClusterError(f"PySpark at {home} has no bin/spark-class or jars/: reinstall pyspark")
    return home


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"--- {path.name}: absent"
    return f"--- last {min(lines, len(text))} lines of {path.name}:\n" + "\n".join(text[-lines:])


def _pgrp_and_cwd(pid: str) -> tuple[int, str]:
    with open(f"/proc/{pid}/stat") as fh:
        pgrp = int(fh.read().rsplit(")", 1)[1].split()[2])
    return pgrp, os.readlink(f"/proc/{pid}/cwd")


@dataclass
class StandaloneCluster:
    """One Spark master and one worker on 127.0.0.1 (``cores`` and ``memory`` for executors)."""

    folder: Path
    cores: int = 1
    memory: str = "2g"
    timeout: float = 120.0
    daemon_memory: str = "512m"
    master_port: int = 0
    webui_port: int = 0
    worker_port: int = 0
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    @property
    def master_url(self) -> str:
        """The URL a driver connects to: ``spark://127.0.0.1:PORT``."""
        return f"spark://{HOST}:{self.master_port}"

    @property
    def status_url(self) -> str:
        """The master's JSON status (workers, running and completed applications)."""
        return f"http://{HOST}:{self.webui_port}/json/"

    def status(self) -> dict:
        """The master's JSON status now."""
        with urllib.request.urlopen(self.status_url, timeout=2) as resp:
            return json.loads(resp.read())

    def logs(self) -> str:
        """The tail of the master's and worker's logs, and of any executor's stderr."""
        parts = [_tail(self.folder / "master.log"), _tail(self.folder / "worker.log")]
        parts += [_tail(p, 10) for p in sorted((self.folder / "work").glob("app-*/*/stderr"))[-2:]]
        return "\n".join(parts)

    def _env(self) -> dict[str, str]:
        conf = self.folder / "conf"  # empty: no spark-defaults.conf or spark-env.sh from elsewhere
        conf.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "SPARK_HOME": str(spark_home()),
            "SPARK_CONF_DIR": str(conf),
            "SPARK_LOCAL_IP": HOST,
            "SPARK_LOG_DIR": str(self.folder),
            "SPARK_DAEMON_MEMORY": self.daemon_memory,
            "PYSPARK_PYTHON": sys.executable,
            # the REST submission server takes a fixed port (6066); nothing here submits through it
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        }

    def _launch(self, name: str, args: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        with log:  # the child keeps its own descriptor
            self._procs[name] = subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.folder,
                env=self._env(),
                start_new_session=True,
            )

    def _wait(self, ready, what: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise ClusterError(
                        f"the Spark {name} exited with code {proc.returncode} before {what}"
                    )
            try:
                if ready(self.status()):
                    return
            except (OSError, ValueError):  # not listening yet, or a partial answer
                pass
            time.sleep(0.25)
        raise ClusterError(f"no {what} within {self.timeout:.0f} s ({self.status_url})")

    def start(self) -> StandaloneCluster:
        """Start the master, then the worker; return when the worker is registered ``ALIVE``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.master_port = self.master_port or free_port()
        self.webui_port = self.webui_port or free_port()
        self.worker_port = self.worker_port or free_port()
        deadline = time.monotonic() + self.timeout
        worker_id = f"{HOST}-{self.worker_port}"
        try:
            self._launch(
                "master",
                [
                    MASTER,
                    "--host",
                    HOST,
                    "--port",
                    str(self.master_port),
                    "--webui-port",
                    str(self.webui_port),
                ],
            )
            self._wait(lambda s: s.get("status") == "ALIVE", "master status", deadline)
            self._launch(
                "worker",
                [
                    WORKER,
                    self.master_url,
                    "--host",
                    HOST,
                    "--port",
                    str(self.worker_port),
                    "--webui-port",
                    str(free_port()),
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--work-dir",
                    str(self.folder / "work"),
                ],
            )
            self._wait(
                lambda s: any(
                    w.get("state") == "ALIVE" and w.get("id", "").endswith(worker_id)
                    for w in s.get("workers", [])
                ),
                "worker registered ALIVE",
                deadline,
            )
        except BaseException as exc:
            logs = self.logs()
            try:
                self.stop()
            except ClusterError as stop_exc:
                logs = f"{stop_exc}\n{logs}"
            if isinstance(exc, ClusterError):
                raise ClusterError(f"{exc}\n{logs}") from None
            raise
        return self

    def leftovers(self) -> list[int]:
        """Processes still running from this cluster: in the daemons' process groups, or working
        in its folder (executors run in ``work/app-*/N``)."""
        groups = {p.pid for p in self._procs.values()}
        folder = str(self.folder.resolve())
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                pgrp, cwd = _pgrp_and_cwd(pid)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile, or not ours to read
            if pgrp in groups or cwd == folder or cwd.startswith(folder + os.sep):
                found.append(int(pid))
        return found

    def stop(self, grace: float = 15.0) -> None:
        """Stop the worker, then the master: SIGTERM (the worker kills its executors), and after
        ``grace`` seconds SIGKILL of the whole process group. Raises :class:`ClusterError` if any
        of the cluster's processes is left."""
        for name in ("worker", "master"):
            proc = self._procs.get(name)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group we created: executors, if any left
            except ProcessLookupError:
                pass
            proc.wait()
        deadline = time.monotonic() + 5
        while (left := self.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.2)
        if left:
            raise ClusterError(
                f"Spark processes left after stopping the cluster: {left}\n{self.logs()}"
            )

    def __enter__(self) -> StandaloneCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
