"""Post-marketing findings from a real (synthetic) FAERS warehouse, checked against an independent count."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from rxcompare.comparison import compare
from rxcompare.comparison.postmarketing import pick_source
from rxcompare.models import Favours, Grade
from rxcompare.render.json import comparison_document
from rxcompare.sources.faers.postmarketing import WarehouseSource
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse
from rxcompare.sources.pack import load_pack


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("pm")
    synth_quarters(root / "q", reports=6000, quarters=2, seed=7)
    wh = Warehouse(root / "wh")
    zips = sorted((root / "q").glob("*.zip"))
    for i, z in enumerate(zips):
        wh.ingest(z, rebuild=i == len(zips) - 1)
    return wh


def _sets(wh: Warehouse, product: str, indication: str):
    """Independent count with pyarrow and Python sets: suspect cases naming the product for the
    indication, excluding cases that name the other product at all."""
    drugs = pq.read_table(wh.path / "case_drugs.parquet").to_pylist()
    indi = pq.read_table(wh.path / "case_indications.parquet").to_pylist()
    with_ind = {
        (r["primaryid"], r["drug_seq"]) for r in indi if indication.upper() in (r["indi_pt"] or "")
    }
    suspect = {
        r["primaryid"]
        for r in drugs
        if r["product"] == product
        and r["role_cod"] in ("PS", "SS")
        and (r["primaryid"], r["drug_seq"]) in with_ind
    }
    anyrole = {r["primaryid"] for r in drugs if r["product"] == product}
    return suspect, anyrole


def test_head_to_head_counts_match_an_independent_count(warehouse):
    pack = load_pack()
    c = compare("kesimpta", "ocrevus", pack=pack, postmarketing=WarehouseSource(warehouse.path))
    findings = [f for f in c.findings if f.dimension == "postmarketing"]
    assert (
        findings[0].topic == "postmarketing.scope" and "multiple sclerosis" in findings[0].statement
    )
    sa, alla = _sets(warehouse, "kesimpta", "multiple sclerosis")
    sb, allb = _sets(warehouse, "ocrevus", "multiple sclerosis")
    arm_a, arm_b = sa - allb, sb - alla
    reac = pq.read_table(warehouse.path / "case_reactions.parquet").to_pylist()
    groups = dict(pack.event_groups)
    terms = set(groups["infusion or injection reaction"])
    with_event = {r["primaryid"] for r in reac if r["pt"] in terms}
    a, c_ = len(arm_a & with_event), len(arm_b & with_event)
    f = next(x for x in findings if x.topic == "postmarketing.infusion_or_injection_reaction")
    assert f"{a} of {len(arm_a)} cases" in f.statement and f"{c_} of {len(arm_b)}" in f.statement
    assert f.grade is Grade.POSTMARKETING and f.citations[0].kind == "faers"
    detail = dict(f.citations[0].detail)
    assert detail["counting_unit"] == "deduplicated case"
    assert detail["counts"] == f"a={a}, b={len(arm_a) - a}, c={c_}, d={len(arm_b) - c_}"


def test_postmarketing_direction_needs_enough_cases(warehouse):
    c = compare("kesimpta", "ocrevus", postmarketing=WarehouseSource(warehouse.path))
    for f in c.findings:
        if f.dimension == "postmarketing" and "too few" in f.statement:
            assert f.favours is Favours.UNCLEAR
        if f.favours in (Favours.A, Favours.B) and f.dimension == "postmarketing":
            est = f.estimates[0]
            assert est.lower > 1 or est.upper < 1


def test_per_year_and_json_citations(warehouse):
    c = compare("kesimpta", "ocrevus", postmarketing=WarehouseSource(warehouse.path))
    per_year = next(f for f in c.findings if f.topic == "postmarketing.per_year")
    assert any(e.method.startswith("reports_per_year:kesimpta:") for e in per_year.estimates)
    doc = comparison_document(c)
    for d in doc["dimensions"]:
        for finding in d["findings"]:
            assert finding["citations"], finding


def test_pick_source(tmp_path, warehouse):
    assert pick_source(tmp_path / "empty", online=False)[0] is None
    assert "holds no deduplicated cases" in pick_source(tmp_path / "empty", online=False)[1]
    source, why = pick_source(warehouse.path, online=False)
    assert isinstance(source, WarehouseSource) and why == ""


@pytest.mark.parametrize(
    ("a", "b", "asked", "not_asked"),
    [
        (
            "kesimpta",
            "ocrevus",
            {
                "progressive multifocal leukoencephalopathy",
                "hepatitis B reactivation",
                "infusion or injection reaction",
                "death",
            },
            {"bleeding", "hypoglycaemia"},
        ),
        (
            "humira",
            "lipitor",
            {"hepatitis B reactivation", "heart failure", "rhabdomyolysis or myopathy", "death"},
            {
                "progressive multifocal leukoencephalopathy",
                "infusion or injection reaction",
                "hypoglycaemia",
            },
        ),
    ],
)
def test_post_marketing_events_follow_the_two_labels(a, b, asked, not_asked):
    """Issue 24 item 6: the events asked of FAERS/openFDA are those the two labels warn of (and
    deaths), not one fixed list: a statin and a TNF blocker are never asked about PML."""
    from rxcompare.comparison import compare
    from rxcompare.comparison.align import align
    from rxcompare.comparison.events import groups_for
    from rxcompare.comparison.evidence import gather
    from rxcompare.sources.pack import load_pack

    pack = load_pack()
    c = compare(a, b, pack=pack)
    groups = set(groups_for(align(gather(c.a, pack), gather(c.b, pack)), dict(pack.event_groups)))
    assert asked <= groups and not (not_asked & groups), groups
