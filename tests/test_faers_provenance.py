"""The source of a warehouse count named in one place: system, quarters, unit, roles, indication,
window; and its one terminal line."""

from __future__ import annotations

import pytest

from rxcompare.render.signal_text import source_line
from rxcompare.sources.faers.counts import CountQuery
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.provenance import describe_source
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    src = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(src, reports=800, quarters=2, seed=3, drugs=40, events=40)
    wh = Warehouse(tmp_path_factory.mktemp("wh"))
    for q in truth.quarters:
        wh.ingest(
            src / f"faers_ascii_{q}.zip",
            synonyms=load_synonyms(src / "synonyms.csv", use_pack=False),
        )
    return wh, truth


def test_every_choice_is_named(warehouse):
    wh, truth = warehouse
    got = describe_source(wh.path)
    assert got == {
        "system": "FAERS quarterly data extract",
        "quarters": list(truth.quarters),
        "counting_unit": "deduplicated case",
        "roles": "PS+SS (primary suspect, secondary suspect)",
        "indication": None,
        "window": f"every quarter held ({truth.quarters[0]}-{truth.quarters[-1]})",
        "level": "ingredient",
    }
    q = CountQuery(
        roles=("PS",),
        indication="multiple sclerosis",
        quarters=(truth.quarters[1], truth.quarters[1]),
    )
    got = describe_source(wh.path, q)
    assert got["roles"] == "PS (primary suspect)" and got["indication"] == "MULTIPLE SCLEROSIS"
    assert got["window"] == f"quarters received {truth.quarters[1]}-{truth.quarters[1]}"
    assert source_line(got) == (
        f"source: FAERS quarterly data extract; quarters {truth.quarters[0]}-{truth.quarters[1]} (2); unit: deduplicated "
        f"case; roles: PS (primary suspect); indication: MULTIPLE SCLEROSIS; window: quarters received "
        f"{truth.quarters[1]}-{truth.quarters[1]}"
    )


def test_a_store_it_cannot_list():
    far = describe_source("s3://bucket/warehouse")
    assert (
        far["system"] == "FAERS warehouse (quarters not listed)"
        and far["window"] == "every quarter held (not listed)"
    )
