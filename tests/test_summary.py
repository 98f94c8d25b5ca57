"""The summary that opens every comparison: assembled from findings, in every format, with
citation refs that resolve; no comparison of two pack products contradicts itself."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from rxcompare.comparison import compare
from rxcompare.models import NOT_IN_PACK
from rxcompare.render.html import render_html
from rxcompare.render.json import render_json
from rxcompare.render.markdown import render_markdown
from rxcompare.render.terminal import render_terminal
from rxcompare.sources.labels.topics import TOPIC_MENTIONS, topic_family, topic_section
from rxcompare.sources.pack import load_pack

PACK = load_pack()
PRODUCTS = [p.id for p in PACK.products]
PAIRS = list(itertools.combinations(PRODUCTS, 2))


def _compare(a, b):
    from rxcompare.errors import QuestionError, UnknownDrugError

    try:
        return compare(a, b, pack=PACK)
    except (QuestionError, UnknownDrugError) as exc:  # a pair the resolver refuses
        pytest.skip(f"{a} vs {b}: {exc}")


@pytest.fixture(scope="module")
def km():
    return compare("kesimpta", "ocrevus", pack=PACK)


def test_shared_lines_name_a_topic_cited_for_both_drugs(km):
    """What both share: one line per warning topic, its name only (the documents are the
    citations, each drug's own), never a section number or a document's heading in the text."""
    assert km.summary.shared
    for line in km.summary.shared:
        assert not re.search(r"\d", line.text) and len(line.text) < 160, line.text
        ids = {c.set_id for c in line.citations}
        assert {km.a.product.set_id, km.b.product.set_id} <= ids, line.text


def test_summary_lines_come_from_findings_or_the_evidence(km):
    s = km.summary
    assert s.answer.text and "safer overall" in s.answer.text
    statements = {f.statement for f in km.findings}
    for line in s.differs:
        # a line of what differs is a finding's statement (never written here)
        assert line.text in statements or "trial figure" in line.text or line.topic == "more"
        assert line.citations
    assert s.shared and all(line.citations for line in s.shared)
    # one line per drug, or one for both when they miss the same sections; a record for each
    assert len({c.title for line in s.coverage for c in line.citations}) == 2 and all(
        c.kind == "pack" and not c.section
        for c in (x for line in s.coverage for x in line.citations)
    )


@pytest.mark.parametrize("render", ["terminal", "markdown", "html", "json"])
def test_summary_opens_every_format_and_its_refs_resolve(km, render):
    if render == "json":
        doc = json.loads(render_json(km))
        n = len(doc["citations"])
        s = doc["summary"]
        assert s["answer"]["text"] == km.summary.answer.text
        for key in ("differs", "shared", "cannot_tell", "coverage"):
            assert [x["text"] for x in s[key]] == [x.text for x in getattr(km.summary, key)]
            for x in s[key]:
                assert x["refs"] and all(1 <= r <= n for r in x["refs"])
        return
    text = {
        "terminal": lambda c: render_terminal(c, width=120, color=False, full=True),
        "markdown": lambda c: render_markdown(c, full=True),
        "html": render_html,
    }[render](km)
    answer = km.summary.answer.text
    first = text.find(answer[:40]) if render != "terminal" else text.find(answer[:30])
    assert first >= 0
    # the summary comes before the first dimension
    assert first < text.find('id="dim-mechanism"' if render == "html" else "Mechanism")
    refs = {int(r) for r in re.findall(r"\[(\d+)\]", text)}
    sources = text[text.rfind("Sources") :]
    for r in refs:
        assert f"[{r}]" in sources or f"{r}." in sources or f'id="ref-{r}"' in text


@pytest.mark.parametrize("render", ["terminal", "markdown"])
def test_compact_answer_refs_resolve_and_counts_match(km, render):
    """The default (compact) answer: every ref resolves to a source line, and the counts the
    bottom line states are the lengths of the lists shown."""
    text = {
        "terminal": lambda c: render_terminal(c, width=100, color=False),
        "markdown": render_markdown,
    }[render](km)
    sources = text[text.rfind("Sources") :]
    for r in {int(r) for r in re.findall(r"\[(\d+)\]", text[: text.rfind("Sources")])}:
        assert f"[{r}]" in sources or f"\n{r}. " in sources, r
    s = km.summary
    shown = [x for x in s.differs if x.topic != "more"]
    # a capped list says "the N differences (the K weightiest below)": K is what is shown
    said = re.sub(
        r"the \d+ differences \(the (\d+) weightiest below\)", r"\1 difference", s.answer.text
    )
    nums = [int(n) for n in re.findall(r"(\d+) (?:difference|warning topic|point)", said)]
    assert nums == [len(shown), len(s.shared), len(s.cannot_tell)], s.answer.text


def _says_nothing(text: str) -> bool:
    return "states nothing" in text or "No boxed warning" in text


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_no_comparison_contradicts_itself(pair):
    c = _compare(*pair)
    evidence = {c.a.product.id: c.a, c.b.product.id: c.b}
    for f in c.findings:
        if not f.topic or f.topic.startswith(
            ("trial", "burden", "factor", "convenience", "postmarketing")
        ):
            continue
        for side, drug in (("a", c.a), ("b", c.b)):
            facts = PACK.facts_for(drug.product.id)
            family = [x for x in facts if x.topic in topic_family(f.topic)]
            # an aligned warning is a warning the label carries, not a word in another statement
            # ("hepatic failure" in a hepatitis B sentence is no warning of liver injury)
            words = () if f.dimension == "other_warnings" else TOPIC_MENTIONS.get(f.topic, ())
            mentions = [x for x in facts if any(w in x.text.lower() for w in words)]
            cell = f.a_text if side == "a" else f.b_text
            if family or mentions:
                # a drug holding facts on the topic (or a narrower one, or naming it) is never
                # called silent or missing from the pack on it
                assert not _says_nothing(cell) and cell != NOT_IN_PACK, (pair, f.topic, side, cell)
            held = topic_section(f.topic) in PACK.coverage_of(drug.product.id)
            if _says_nothing(cell):
                assert held, (pair, f.topic, side, "silence claimed for a section not held")
            if cell == NOT_IN_PACK:
                assert not held, (pair, f.topic, side, "'not in pack' for a section held in full")
    assert evidence


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_silence_and_dose_counts_never_favour_without_full_sections(pair):
    c = _compare(*pair)
    for f in c.verdict.favours_a + c.verdict.favours_b:
        assert not f.topic.startswith("burden."), f.statement
        if "states nothing" in f.statement or "has none" in f.statement:
            for d in (c.a, c.b):
                assert topic_section(f.topic) in PACK.coverage_of(d.product.id), f.statement


def test_pairs_without_a_shared_indication_say_so_first():
    c = compare("kesimpta", "arzerra", pack=PACK)
    assert c.summary.notices and "share no indication" in c.summary.notices[0].text
    c2 = compare("kesimpta", "ocrevus", pack=PACK)
    assert not any("share no indication" in x.text for x in c2.summary.notices)


def test_resolution_by_context_is_said_aloud():
    c = compare("ofatumumab", "ocrevus", pack=PACK)
    assert c.a.product.id == "kesimpta"
    assert any("'ofatumumab' taken as KESIMPTA" in x.text for x in c.summary.notices)


def test_an_ingredient_that_is_also_the_other_product_is_ambiguous():
    from rxcompare.errors import AmbiguousDrugError

    with pytest.raises(AmbiguousDrugError, match="ambiguous here") as exc:
        compare("ofatumumab", "arzerra", pack=PACK)
    assert "KESIMPTA" in str(exc.value) and "ARZERRA" in str(exc.value)


def test_terminal_row_labels_never_split_at_80_columns(km):
    text = render_terminal(km, width=80, color=False)
    for line in text.splitlines():
        assert len(line) <= 80
    for broken in ("indicatio\n", "administr\n"):
        assert broken not in text


def test_row_labels_fit_their_column_and_are_never_cut_silently():
    from rxcompare.render.common import ROW_LABEL_WIDTH, ROW_LABELS, row_label
    from rxcompare.sources.labels.topics import TOPICS

    assert all(len(v) <= ROW_LABEL_WIDTH for v in ROW_LABELS.values()), ROW_LABELS
    for topic in [*TOPICS, "x.premedication", "x.contraception", "x.a_very_long_topic_name"]:
        label = row_label(topic)
        assert len(label) <= ROW_LABEL_WIDTH
        whole = topic.split(".")[-1].replace("_", " ")
        assert label in ROW_LABELS.values() or label == whole or label.endswith("."), (topic, label)


def _sentences(text: str) -> list[str]:
    flat = re.sub(r"[│╭╮╰╯─┃┏┓┗┛━┡┩╇┳┻╋┼|]", " ", text)
    flat = re.sub(r"\s+", " ", flat)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", flat) if len(s.strip()) > 40]


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_counts_of_the_bottom_line_are_its_lists(pair):
    """Issue 25: the counts the answer states are the lengths of the lists shown (or, where only
    the weightiest differences are shown, their number and the number in all)."""
    s = _compare(*pair).summary
    shown = [x for x in s.differs if x.topic != "more"]
    more = [int(re.match(r"(\d+)", x.text).group(1)) for x in s.differs if x.topic == "more"]
    m = re.search(r"the (\d+) differences \(the (\d+) weightiest below\)", s.answer.text)
    if m:
        assert (int(m.group(1)), int(m.group(2))) == (len(shown) + sum(more), len(shown)), (
            s.answer.text
        )
    else:
        assert not more and re.search(rf"the {len(shown)} differences? below", s.answer.text), (
            s.answer.text
        )
    assert re.search(rf"\b{len(s.shared)} warning topics?\b", s.answer.text), s.answer.text
    assert re.search(rf"\b{len(s.cannot_tell)} points? cannot", s.answer.text), s.answer.text


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_the_default_answer_is_short(pair):
    """Issue 25 item 2, lengths not timings, over every pair of the pack: at 100 columns at most
    150 lines, the Markdown answer at most 1,800 words, `ask` at most 100 lines at 80 columns; the
    seed pair (kesimpta/ocrevus) at most 1,500 words at 100 columns, every other pair at most
    1,600 (measured: 1,469 for the seed pair, at most 1,548 over the others)."""
    c = _compare(*pair)
    text = render_terminal(c, width=100, color=False)
    lines, words = text.count("\n"), len(text.split())
    limit = 1500 if set(pair) == {"kesimpta", "ocrevus"} else 1600
    assert lines <= 150 and words <= limit, (pair, lines, words)
    assert len(render_markdown(c).split()) <= 1800, pair
    p = compare(*pair, pack=PACK, audience="patient")
    n = render_terminal(p, width=80, color=False).count("\n")
    assert n <= 100, (pair, n)


def _html_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S))


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_every_format_says_every_sentence_once(pair):
    """Issue 25: in every format a person reads -- the default and --full answers in the
    terminal and in Markdown, the HTML report, the patient's answer -- no sentence of more than 40
    characters is said twice (a statement refers to what the summary or a table cell already
    showed)."""
    c = _compare(*pair)
    p = compare(*pair, pack=PACK, audience="patient")
    texts = {
        "terminal": render_terminal(c, width=100, color=False),
        "terminal --full": render_terminal(c, width=120, color=False, full=True),
        "markdown": render_markdown(c),
        "markdown --full": render_markdown(c, full=True),
        "html": _html_text(render_html(c)),
        "ask": render_terminal(p, width=80, color=False),
        "patient html": _html_text(render_html(p)),
    }
    for name, text in texts.items():
        seen: set[str] = set()
        for s in _sentences(text):
            assert s not in seen, (pair, name, s)
            seen.add(s)


def test_a_trial_against_the_other_drugs_ingredient_is_head_to_head():
    """KESIMPTA's trials compared it with teriflunomide, AUBAGIO's active ingredient: a
    head-to-head comparison, said so; and 'no head-to-head trial' is then not said."""
    c = compare("kesimpta", "aubagio", pack=PACK)
    h2h = [x for x in c.summary.figures if x.topic.startswith("h2h.")]
    assert h2h and all("AUBAGIO's active ingredient" in x.text for x in h2h)
    assert not any(x.topic == "trial.no_head_to_head" for x in c.summary.cannot_tell)
    km = compare("kesimpta", "ocrevus", pack=PACK)
    assert not any(x.topic.startswith("h2h.") for x in km.summary.figures)
    assert any(x.topic == "trial.no_head_to_head" for x in km.summary.cannot_tell)


def test_no_silence_claimed_for_a_section_read_only_in_part():
    """Issue 24: 'the label states nothing' only where the pack turns the whole section into facts
    (boxed warning, contraindications, W&P). Lipitor's dosing and mechanism sections are held in
    full but read only in part: never 'states nothing' on its dose or target."""
    c = compare("humira", "lipitor", pack=PACK)
    for f in c.findings:
        if f.topic.startswith(
            ("admin.", "mechanism.", "pregnancy.", "lactation", "monitoring", "vaccination.")
        ):
            assert "states nothing" not in f.statement and "states nothing" not in f.b_text, (
                f.statement
            )
    maint = next(f for f in c.findings if f.topic == "admin.dose.maintenance")
    assert "no statement extracted" in maint.statement


def test_facts_of_several_label_versions_are_flagged_once(km):
    """Issue 25 item 5: the OCREVUS entry holds facts read from its DailyMed version and from a
    copy of the 8/2025 revision; the answer says so once, among the notices."""
    lines = [x for x in km.summary.notices if x.topic == "version"]
    assert len(lines) == 1 and lines[0].text.startswith("OCREVUS") and "8/2025" in lines[0].text


def test_a_counselling_subsection_is_no_warning():
    """Issue 24: Viagra's 'offers no protection against sexually transmitted diseases' (5.9) is
    counselling, not an infections warning, so it is no point of difference with Lipitor."""
    from rxcompare.comparison.align import align
    from rxcompare.comparison.evidence import gather

    c = compare("viagra", "lipitor", pack=PACK)
    keys = {t.key for t in align(gather(c.a, PACK), gather(c.b, PACK))}
    assert not any("infection" in k for k in keys), keys
    assert not any("infection" in x.text.lower() for x in c.summary.differs)


@pytest.mark.parametrize("pair", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_a_patients_answer_speaks_to_the_person_who_asked(pair):
    """Issue 25 item 7: the patient's summary names no command, no pack and no "held in full",
    and spells each abbreviation out the first time (in square brackets inside a quotation)."""
    p = compare(*pair, pack=PACK, audience="patient")
    text = render_terminal(p, width=80, color=False)
    said = " ".join(text[: text.rfind("Sources")].split())
    for word in ("rxcompare ", "--", "the pack", "knowledge pack", "held in full"):
        assert word not in said, (pair, word)
    for abbr, meaning in (("PML", "progressive multifocal"), ("RMS", "relapsing multiple")):
        if re.search(rf"\b{abbr}\b", said):
            assert said.lower().count(meaning) >= 1, (pair, abbr)
            first = re.search(rf"\b{abbr}\b", said).start()
            near = said[max(0, first - 60) : first + 80].lower()
            assert meaning in near, (pair, abbr, near)
