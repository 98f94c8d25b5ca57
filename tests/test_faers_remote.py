"""A warehouse given as a URL (the case tables copied to storage a cluster reads) is checked against
the dedup.json copied with them, as a local warehouse is: damaged or missing files are refused."""

from __future__ import annotations

import shutil

import pytest

from rxcompare.errors import FaersError
from rxcompare.sources.faers import engines, store
from rxcompare.sources.faers.store import DERIVED


@pytest.fixture(scope="module")
def local(synthetic_warehouses):
    return synthetic_warehouses(reports=800, quarters=1, seed=5, drugs=80, events=60)


@pytest.fixture
def remote(local, tmp_path):
    """The case tables and dedup.json copied to another folder, named by its file:// URL."""
    copy = tmp_path / "store"
    copy.mkdir()
    for name in [*(f"{n}.parquet" for n in DERIVED), "dedup.json"]:
        shutil.copy(local.path / name, copy / name)
    return copy


def test_an_intact_copy_is_used(remote):
    url = remote.as_uri()
    problems, why, doc = store.remote_problems(url)
    assert (problems, why) == ([], None) and doc["after"] > 0
    assert engines._location(url + "/") == (url, [""])


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (
            lambda d: (d / "case_drugs.parquet").write_bytes(
                (d / "case_drugs.parquet").read_bytes()[:-100]
            ),
            r"case_drugs.parquet has [\d,]+ bytes, [\d,]+ were written",
        ),
        (lambda d: (d / "case_reactions.parquet").unlink(), "case_reactions.parquet is missing"),
        (lambda d: (d / "dedup.json").unlink(), "no dedup.json beside the case tables"),
        (lambda d: (d / "dedup.json").write_text("{"), "dedup.json cannot be read"),
    ],
    ids=["truncated", "missing-table", "no-dedup-json", "bad-dedup-json"],
)
def test_a_damaged_copy_is_refused(remote, damage, fragment):
    damage(remote)
    with pytest.raises(FaersError, match=fragment):
        engines.connect_engine(remote.as_uri(), "duckdb")


def test_a_store_this_machine_cannot_open_is_left_to_the_cluster():
    problems, why, _ = store.remote_problems("nosuchscheme://bucket/warehouse")
    assert problems == [] and why
    assert engines._location("nosuchscheme://bucket/warehouse") == (
        "nosuchscheme://bucket/warehouse",
        None,
    )
