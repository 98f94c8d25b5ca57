"""Shared fixtures: where ../shared/data/real is, and skips with a clear reason when it is absent."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a user pack written by `rxcompare pack update` must not change what the tests see (they and the
# commands they run read the embedded pack or the pack file they name; tests of the user pack unset it)
os.environ.setdefault("RXCOMPARE_EMBEDDED_PACK", "1")
# no test reaches the internet: RxNav, asked when openFDA has no label for a name, is asked at a
# loopback port nothing listens on (refused at once) unless a test points it at its own server
os.environ.setdefault("RXCOMPARE_RXNAV_BASE", "http://127.0.0.1:9")
# likewise the literature indexes a comparison with --online asks (PubMed, or a Europe PMC client)
os.environ.setdefault("RXCOMPARE_PUBMED_BASE", "http://127.0.0.1:9/entrez/eutils")
os.environ.setdefault("RXCOMPARE_EUROPEPMC_BASE", "http://127.0.0.1:9/europepmc/webservices/rest")
SHARED = ROOT.parent / "shared" / "data" / "real"


@functools.lru_cache(maxsize=1)
def _internet() -> bool:
    """Whether api.fda.gov answers a TCP connection within 5 seconds (asked once a run)."""
    try:
        socket.create_connection(("api.fda.gov", 443), timeout=5).close()
    except OSError:
        return False
    return True


def pytest_runtest_setup(item):
    """A test marked ``network`` (deselected by default; selected by any ``-m`` that does not
    exclude it) skips, saying why, on a machine that cannot reach the internet."""
    if item.get_closest_marker("network") and not _internet():
        pytest.skip("needs the internet (api.fda.gov could not be reached from this machine)")


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data/real, or skip the test saying why."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(
            f"needs the real samples at ../shared/data/real/{'/'.join(parts)} (absent in a fresh clone)"
        )
    return p


@pytest.fixture
def real_dir():
    return shared_path


@pytest.fixture(scope="session")
def synthetic_warehouses(tmp_path_factory):
    """``synthetic_warehouses(layers=False, **synth)``: :func:`helpers.synthetic_warehouse` built
    once per session for each set of arguments, for modules that only read their warehouse (a
    module that changes its warehouse builds its own with ``helpers.synthetic_warehouse``)."""
    from helpers import synthetic_warehouse  # helpers imports this module: not at its top

    built = {}

    def get(layers: bool = False, **synth):
        key = (layers, tuple(sorted(synth.items())))
        if key not in built:
            built[key] = synthetic_warehouse(
                tmp_path_factory.mktemp("synth"), layers=layers, **synth
            )
        return built[key]

    return get
