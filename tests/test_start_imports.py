"""What a command imports: the heavy libraries load only in the commands that use them.

Each case runs the command in a fresh interpreter (``import rxcompare.cli``, then the command) and
reads ``sys.modules`` at its end. This is a behaviour test, not a timed one: the start-up times
are measured by ``bench/bench_start.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Reply, serve_loopback, tac_label_answer, tac_openfda_results

# imports every offline `compare` on the pack goes without (the FAERS warehouse, the web and
# numerical stacks, the HTML templates, pydantic: typer 0.29 coerces options through it)
HEAVY = (
    "duckdb",
    "pyarrow",
    "ibis",
    "httpx",
    "numpy",
    "scipy",
    "pandas",
    "jinja2",
    "pyspark",
    "pydantic",
    "rxcompare.sources.faers",
)

_CHILD = """
import json, sys
import rxcompare.cli
code = 0
try:
    rxcompare.cli.main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code or 0
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict, str]:
    report = tmp_path / "modules.json"
    env = dict(os.environ, RXCOMPARE_EMBEDDED_PACK="1", COLUMNS="100", **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(report), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(report.read_text())
    assert result["code"] == 0, proc.stderr
    return result, proc.stdout


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "json"])
def test_compare_on_the_pack_imports_no_heavy_library(tmp_path, fmt):
    result, out = _run(tmp_path, "compare", "kesimpta", "ocrevus", "-f", fmt)
    assert "Kesimpta" in out or "KESIMPTA" in out  # the comparison was made and written
    assert _loaded(result["modules"], HEAVY) == []
    assert "rxcompare.comparison" in result["modules"]


def test_help_imports_no_heavy_library(tmp_path):
    result, out = _run(tmp_path, "--help")
    assert "compare" in out
    assert _loaded(result["modules"], HEAVY + ("rxcompare.comparison",)) == []


def test_signals_on_a_report_table_loads_its_engine_only(tmp_path):
    table = tmp_path / "reports.csv"
    rows = ["id,var1,var2"] + [f"{i},D{i % 7},E{i % 5}" for i in range(200)]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result, out = _run(tmp_path, "signals", "--all-pairs", "--reports", str(table), "-f", "json")
    assert json.loads(out)["schema"] == "rxcompare/signals"
    loaded = result["modules"]
    assert _loaded(loaded, ("duckdb", "numpy", "scipy")) == ["duckdb", "numpy", "scipy"]
    # no Arrow or pandas step on the way to the JSON, no HTTP
    assert _loaded(loaded, ("pyarrow", "pandas", "ibis", "httpx", "jinja2")) == []
    # no warehouse: of the FAERS room, only the SQL quoting (which imports nothing) is read
    faers = sorted(m for m in loaded if _loaded([m], ("rxcompare.sources.faers",)))
    assert faers == ["rxcompare.sources.faers", "rxcompare.sources.faers.sql"]


def test_compare_online_from_the_cache_imports_neither_httpx_nor_numpy(tmp_path):
    """Two labels the pack does not hold (TAC 2017 labels served in openFDA's shape on loopback):
    the first run fetches them (httpx); the second answers from the cache without loading httpx
    or numpy, with no request, and says the same."""
    tac_openfda_results()  # skips when ../shared is absent
    requests: list[str] = []

    def answer(target: str) -> Reply:
        requests.append(target)
        path = target.partition("?")[0]
        if path == "/studies":
            return Reply(200, b'{"studies": [], "totalCount": 0}')
        if path == "/entrez/eutils/esearch.fcgi":  # PubMed finds no study of the pair
            return Reply(200, b'{"esearchresult": {"count": "0", "idlist": []}}')
        return tac_label_answer(target)

    with serve_loopback(answer) as base:
        env = {
            "RXCOMPARE_OPENFDA_BASE": base,
            "RXCOMPARE_DAILYMED_BASE": base,
            "RXCOMPARE_CTGOV_BASE": base,
            "RXCOMPARE_PUBMED_BASE": base + "/entrez/eutils",
            "RXCOMPARE_CACHE": str(tmp_path / "cache"),
        }
        args = ("compare", "Trulicity", "Tanzeum", "--online", "-f", "json")
        first, out_first = _run(tmp_path, *args, env=env)
        asked = len(requests)
        second, out_second = _run(tmp_path, *args, env=env)
    assert asked > 0 and len(requests) == asked  # the second run asked nothing
    assert "httpx" in first["modules"]
    assert _loaded(second["modules"], ("httpx", "numpy")) == []
    assert json.loads(out_second) == json.loads(out_first)
