"""Issue 24 item 2: a label read whole. The pack keeps the whole text of every label it parsed in
full, section by section; a curated entry holds excerpts. Statements of absence, and what a label
names outside its warnings, come from that document alone."""

from __future__ import annotations

import json

from rxcompare.comparison import compare
from rxcompare.models import Favours
from rxcompare.sources.pack import load_pack, pack_from_dict

PACK = load_pack()


def test_a_label_parsed_in_full_is_held_whole_section_by_section():
    doc = PACK.document_of("lipitor")
    numbers = [s.number for s in doc.sections]
    for n in ("1", "2", "4", "5.1", "6.1", "6.2", "8.1", "12.1"):
        assert n in numbers, n
    assert doc.held("5") == "full" and doc.held("6") == "full"
    # the whole text, not the pack's facts: section 6.2's post-marketing list is there
    post = next(s for s in doc.sections if s.number == "6.2")
    assert "anaphylaxis" in post.text.lower()
    # listedness reads only the safety sections of the same text
    assert {s.section.split(".")[0] for s in PACK.safety_text_of("lipitor")} <= {"BW", "5", "6"}


def test_a_curated_entry_is_held_in_part_as_the_excerpts_it_quotes():
    doc = PACK.document_of("kesimpta")
    assert doc.sections and all(s.held == "part" for s in doc.sections)
    assert doc.held("5") == "part" and doc.held("16") == "none"
    quoted = {f.text for f in PACK.facts_for("kesimpta")}
    assert all(any(line in quoted for line in s.text.split("\n")) for s in doc.sections)


def test_a_pack_written_before_the_whole_label_was_kept_still_reads(tmp_path):
    """Packs written by earlier versions name the text "safety_text" and hold only BW/5/6."""
    from rxcompare.sources.pack.build import pack_to_dict

    doc = pack_to_dict(PACK)
    doc["safety_text"] = {
        k: [s for s in v if s["section"].split(".")[0] in ("BW", "5", "6")]
        for k, v in doc.pop("label_text").items()
    }
    old = pack_from_dict(json.loads(json.dumps(doc)), "old-pack.json")
    assert old.safety_text_of("viagra") == PACK.safety_text_of("viagra")
    assert old.document_of("viagra").held("5") == "full"


def test_a_one_sided_warning_says_where_the_other_label_names_events_of_its_kind():
    """Humira's warnings carry no administration-reaction warning, but its section 6.1 (read
    whole) names injection site reactions: the difference is said with that section cited, and
    it favours neither drug (a difference of labelling, not of safety)."""
    c = compare("humira", "kesimpta", pack=PACK)
    f = next(x for x in c.findings if x.topic == "warning.administration_reactions")
    assert "Only the KESIMPTA label warns of" in f.statement
    assert "events of this kind are named in its section" in f.statement and "6.1" in f.statement
    assert f.favours is Favours.NONE
    assert any(cit.section == "6.1" and "Humira" in cit.title for cit in f.citations)
    assert "under section 6.1" in f.a_text


def test_nothing_is_said_to_be_named_outside_the_warnings_of_a_label_held_in_part():
    """A curated entry holds excerpts: where its label names something outside its warnings
    cannot be read, so it is never said."""
    for a, b in (("kesimpta", "lipitor"), ("ocrevus", "humira"), ("aubagio", "viagra")):
        c = compare(a, b, pack=PACK)
        for f in c.findings:
            if "events of this kind are named in its" in f.statement:
                assert f.statement.split(";")[0].startswith(f"Only the {c.a.name}"), f.statement


def test_tables_that_could_not_be_read_are_named_in_the_answer(tmp_path, monkeypatch):
    """Issue 24, bad input: ELIQUIS's bleeding tables (TAC 2017, flattened by openFDA) cannot be
    read unambiguously; fetched through the online route from a loopback openFDA, the answer
    names them among what to read first, never as an absence of bleeding figures."""
    from helpers import serve_loopback, tac_label_answer, tac_openfda_results

    tac_openfda_results()  # skips without ../shared
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
    with serve_loopback(tac_label_answer) as base:
        monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", base)
        monkeypatch.setenv("RXCOMPARE_DAILYMED_BASE", base)
        c = compare("ELIQUIS", "Pradaxa", pack=PACK, online=True)
    notes = [x for x in c.summary.notices if x.topic == "unread_tables"]
    assert len(notes) == 1 and notes[0].text.startswith("ELIQUIS: 4 adverse-reaction table(s)")
    assert "Table 1: Bleeding Events" in notes[0].text and notes[0].citations
    assert not any(x.text.startswith("Pradaxa:") for x in notes)
