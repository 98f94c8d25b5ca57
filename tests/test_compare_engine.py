"""The comparison engine on FICTIONAL fixture products: dimensions, trials, burden, factors, verdict."""

from __future__ import annotations

import json

import pytest
from helpers import fixture_pack_file

from rxcompare.comparison import compare, names_in_question
from rxcompare.errors import ConfigError, QuestionError
from rxcompare.models import NOT_IN_PACK, Favours, Grade
from rxcompare.render.json import render_json
from rxcompare.sources.pack import load_pack
from rxcompare.stats.incidence import risk_difference_newcombe


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return load_pack(fixture_pack_file(tmp_path_factory.mktemp("pack")))


@pytest.fixture(scope="module")
def comparison(pack):
    return compare("alphex", "betanib", pack=pack)


def _one(comparison, topic):
    found = [f for f in comparison.findings if f.topic == topic]
    assert len(found) == 1, [f.topic for f in comparison.findings]
    return found[0]


def test_dimensions_in_order_and_only_with_evidence(comparison):
    """Dimensions come in their order; one on which neither fixture label holds anything
    (mechanism, malignancy, immunoglobulins, monitoring) is left out rather than filled with
    'not in pack' for both."""
    keys = [d.key for d in comparison.dimensions]
    assert keys == [
        "administration",
        "administration_reactions",
        "infections",
        "vaccinations",
        "pregnancy",
        "other_warnings",
        "trial_reactions",
        "postmarketing",
        "convenience",
    ]
    assert all(d.findings for d in comparison.dimensions)
    assert all(d.findings for d in comparison.dimensions)


def test_every_finding_cites_evidence(comparison):
    for f in comparison.findings:
        assert f.citations, f


def test_burden_is_counted_from_the_schedule(comparison):
    # Alphex: days 1, 8, 15 then every 28 days from day 29 -> 3 + 13 in year 1, 13 in year 2.
    # Betanib: days 1, 15, then every 182 days from day 183 -> 1, 15, 183, 365 in year 1; 547, 729.
    f = _one(comparison, "burden.administrations")
    assert f.a_text == "16 in year 1, 13 in year 2"
    assert f.b_text == "4 in year 1, 2 in year 2"
    # subcutaneous vs intravenous: dose counts describe, they do not favour
    assert f.favours is Favours.NONE and any("routes differ" in c for c in f.caveats)
    v = _one(comparison, "burden.visits")
    assert v.a_text == "0 in year 1, 0 in year 2" and v.b_text == "4 in year 1, 2 in year 2"
    # how often a medicine is given is burden, never a safety point (issue: doses never favour)
    assert v.favours is Favours.NONE and v.kind == "differs"


def test_head_to_head_trial_is_recognised_and_oriented(comparison):
    f = _one(comparison, "trial.injection_reactions")
    rd, lo, hi = risk_difference_newcombe(100, 500, 50, 500)
    est = f.estimates[0]
    assert (est.value, est.lower, est.upper) == pytest.approx((rd, lo, hi))
    assert f.grade is Grade.TRIAL and f.favours is Favours.B  # fewer reactions with the comparator
    assert "Head-to-head in TRIAL-A" in f.statement
    # the head-to-head trial means no "no head-to-head" finding in that dimension
    topics = [x.topic for x in comparison.findings if x.dimension == "administration_reactions"]
    assert "trial.no_head_to_head" not in topics


def test_trial_difference_without_significance_favours_neither(comparison):
    f = _one(comparison, "trial.headache")  # 12% vs 11% of 500: CI includes zero
    assert f.favours is Favours.NONE


def test_numbers_set_side_by_side_in_one_unit_favour_neither(comparison):
    """Weeks before vaccination and months of contraception are shown side by side; a shorter
    window is planning, not safety, so it favours neither drug (issue 25: the verdict column)."""
    live = _one(comparison, "vaccination.live")
    assert (
        live.favours is Favours.NONE and "4 weeks" in live.statement and "6 weeks" in live.statement
    )
    contraception = _one(comparison, "pregnancy.contraception")
    assert contraception.favours is Favours.NONE and contraception.kind == "differs"


def test_one_sided_warning_has_the_silence_caveat(comparison):
    pml = _one(comparison, "warning.pml")
    assert pml.favours is Favours.B
    assert any("silence" in c for c in pml.caveats)
    boxed = _one(comparison, "boxed_warning")
    assert boxed.favours is Favours.A and len(boxed.caveats) == 2


def test_absent_postmarketing_says_how_to_add_it(comparison):
    f = _one(comparison, "postmarketing.absent")
    # the statement says what is missing; the command that adds it is advice, apart, so that a
    # web page can leave it out
    assert f.grade is Grade.ABSENT and "rxcompare faers ingest" in f.advice
    assert "rxcompare" not in f.statement


def test_verdict_counts_match_findings(comparison):
    v = comparison.verdict
    assert len(v.favours_a) == sum(f.favours is Favours.A for f in comparison.findings)
    assert len(v.favours_b) == sum(f.favours is Favours.B for f in comparison.findings)
    assert "does not show either medicine to be safer overall" in v.summary
    assert v.summary == comparison.summary.answer.text


def test_factors_add_findings_and_emphasis_not_facts(pack, comparison):
    c = compare(
        "alphex", "betanib", pack=pack, factors=("prior_immunosuppressant", "needle_averse")
    )
    assert c.dimensions[0].key == "patient_factors"
    added = c.dimensions[0].findings[0]
    assert "immunosuppressants" in added.a_text and added.emphasis
    # the facts do not change: same findings outside the factor dimension, same verdict counts
    plain = {(f.topic, f.statement) for f in comparison.findings}
    assert {(f.topic, f.statement) for f in c.findings if f.dimension != "patient_factors"} == plain
    assert [d.key for d in c.dimensions][1] in (
        "administration",
        "administration_reactions",
        "convenience",
    )


def test_audience_changes_titles_not_findings(pack, comparison):
    p = compare("alphex", "betanib", pack=pack, audience="patient")
    assert [f.topic for f in p.findings] == [f.topic for f in comparison.findings]
    # the same statements, but no tool command is put to a patient (issue 25 item 7)
    same = [
        (f.statement, g.statement)
        for f, g in zip(p.findings, comparison.findings)
        if f.topic != "postmarketing.absent"
    ]
    assert all(x == y for x, y in same)
    absent = next(f for f in p.findings if f.topic == "postmarketing.absent")
    assert not absent.advice and "rxcompare" not in absent.statement
    assert all(
        "rxcompare " not in line.text and "--" not in line.text and not line.advice
        for line in p.summary.lines
    )
    assert p.dimensions[0].title != comparison.dimensions[0].title


@pytest.mark.parametrize("kw", [{"audience": "martian"}, {"factors": ("left_handed",)}])
def test_bad_options(pack, kw):
    with pytest.raises(ConfigError):
        compare("alphex", "betanib", pack=pack, **kw)


@pytest.mark.parametrize(
    "question, error",
    [
        ("Is Alphex safe?", "names one"),
        ("Alphex vs Betanib vs Alphex IV?", "names 3"),
        ("Is water wet?", "no medicine"),
        ("", "empty"),
    ],
)
def test_questions_that_cannot_be_answered(pack, question, error):
    with pytest.raises(QuestionError, match=error):
        names_in_question(question, pack)


def test_json_envelope_walk_every_finding_has_citations(comparison):
    doc = json.loads(render_json(comparison))
    assert doc["schema"] == "rxcompare/comparison" and doc["version"] == 1
    n = 0
    for d in doc["dimensions"]:
        for f in d["findings"]:
            n += 1
            assert f["citations"] and f["refs"], f
            for ref in f["refs"]:
                assert doc["citations"][ref - 1]["ref"] == ref
    assert n == len(comparison.findings)


def test_silence_outside_curated_sections_is_not_evidence(pack):
    # Alphex IV's entry declares no section read in full: its lack of a PML fact proves nothing.
    c = compare("alphex", "alphex iv", pack=pack)
    pml = _one(c, "warning.pml")
    assert pml.favours is Favours.UNCLEAR
    # its boxed warning is on PML, so it is a PML warning (never silence), and favours neither
    assert pml.kind == "shared" and "boxed warning on PML" in pml.b_text
    assert "states nothing" not in pml.statement and pml.b_text != NOT_IN_PACK
    # neither holds anything on herpes: no finding at all, rather than two 'not in pack' cells
    assert not [f for f in c.findings if f.topic == "warning.herpes"]
    # ... while a section read in full (Betanib's 5) makes silence count, with its caveat
    c2 = compare("alphex", "betanib", pack=pack)
    assert _one(c2, "warning.pml").favours is Favours.B
