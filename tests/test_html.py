"""The HTML report: self-contained, escaped, with charts drawn from the comparison's records.

Comparisons are of the FICTIONAL fixture products (tests/fixtures/curated). Post-marketing findings
are added by :func:`with_postmarketing` in the shape the signals engine gives them (topic
``postmarketing.<group>`` with ``Estimate("ror_h2h", ...)``, and ``postmarketing.per_year`` with
``Estimate("reports_per_year:<product id>:<year>", count)``); their numbers are fictional too.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import replace

import lxml.html
import pytest
from helpers import FAERS, PER_YEAR, RORS, fixture_pack_file, with_postmarketing

from rxcompare.cli import main
from rxcompare.comparison import compare
from rxcompare.errors import PackError
from rxcompare.models import Citation, Dimension, Drug, Estimate, Favours, Finding, Grade
from rxcompare.render.charts import (
    burden_chart,
    charts_for,
    forest_chart,
    linear_ticks,
    log_ticks,
    per_year_chart,
)
from rxcompare.render.html import render_html, render_page, report_csp
from rxcompare.sources.pack import load_pack
from rxcompare.stats.incidence import risk_difference_newcombe


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory):
    return fixture_pack_file(tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def comparison(pack_file):
    return compare("alphex", "betanib", pack=load_pack(pack_file))


@pytest.fixture(scope="module")
def full(comparison):
    return with_postmarketing(comparison)


def doc(text: str):
    return lxml.html.document_fromstring(text)


def chart(tree, key: str):
    found = tree.xpath(f'//figure[@id="chart-{key}"]')
    assert len(found) == 1, [f.get("id") for f in tree.xpath("//figure")]
    return found[0]


def table_rows(figure) -> list[list[str]]:
    return [
        [td.text_content() for td in tr.xpath("td")] for tr in figure.xpath(".//table/tbody/tr")
    ]


def _sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


# --- self-contained -----------------------------------------------------------------------------


def test_report_is_self_contained(full):
    html = render_html(full)
    tree = doc(html)
    assert html.startswith("<!doctype html>")
    assert not tree.xpath(
        "//script | //link[@rel='stylesheet'] | //iframe | //img | //object | //embed"
    )
    for el in tree.xpath("//*[@src]"):
        pytest.fail(f"element with src: {lxml.html.tostring(el)[:80]!r}")
    for href in tree.xpath("//@href"):
        assert href.startswith("#") or href == "data:,", href
    assert not re.search(r"url\(|@import|https?://", tree.xpath("//style")[0].text)
    # The policy allows exactly this style sheet and nothing from anywhere.
    csp = tree.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert csp == report_csp() and csp.startswith("default-src 'none'")
    assert f"'sha256-{_sha(tree.xpath('//style')[0].text)}'" in csp
    assert tree.xpath("//meta[@name='viewport']/@content") == [
        "width=device-width, initial-scale=1"
    ]
    assert "@media print" in html and "@media (max-width: 40rem)" in html


def test_every_finding_and_source_is_in_the_report(comparison):
    tree = doc(render_html(comparison))
    text = " ".join(tree.text_content().split())
    for f in comparison.findings:
        assert " ".join(f.statement.split()) in text
    sources = tree.xpath("//ol[@class='sources']/li")
    numbers = {int(li.get("id").removeprefix("ref-")) for li in sources}
    cited = {
        int(a.get("href").removeprefix("#ref-")) for a in tree.xpath("//span[@class='refs']/a")
    }
    assert cited and cited <= numbers == set(range(1, len(sources) + 1))
    # each dimension a collapsed section (issue 25: the answer first, the rest one step away)
    assert [h.text_content() for h in tree.xpath("//details[@class='dimension']/summary/h3")] == [
        d.title for d in comparison.dimensions
    ]
    assert len(tree.xpath("//details[@class='dimension'][@open]")) == len(comparison.dimensions)
    # on the web page the dimensions are collapsed: the answer first, the rest one step away
    page = doc(render_page(comparison, a="alphex", b="betanib"))
    assert page.xpath("//details[@class='dimension']") and not page.xpath("//details[@open]")


# --- charts --------------------------------------------------------------------------------------


def test_burden_chart_draws_the_schedule_counts(comparison):
    figure = chart(doc(render_html(comparison)), "burden")
    # Fixture schedules (test_compare_engine): Alphex 16 and 13 doses, Betanib 4 and 2; visits 0/0 and 4/2.
    assert table_rows(figure) == [
        ["Doses, year 1", "16", "4"],
        ["Doses, year 2", "13", "2"],
        ["Clinic visits, year 1", "0", "4"],
        ["Clinic visits, year 2", "0", "2"],
    ]
    widths = [
        float(r.get("width")) for r in figure.xpath(".//*[local-name()='rect'][@class='bar']")
    ]
    assert widths[0] / widths[1] == pytest.approx(16 / 4, rel=0.02)  # bars proportional to counts
    assert figure.xpath(".//*[local-name()='svg']/@role") == ["img"]
    assert "Alphex 16, Betanib 4" in figure.xpath(".//p[@class='chart-summary']")[0].text_content()
    assert figure.xpath(".//ul[@class='chart-cites']/li")  # citations under the chart


def test_trial_chart_is_each_drug_against_its_own_comparator(comparison):
    tree = doc(render_html(comparison))
    figure = chart(tree, "trial-trial_reactions-a")
    rd, lo, hi = risk_difference_newcombe(60, 500, 55, 500)  # headache: 12% vs 11% of 500 each
    [row] = table_rows(figure)
    assert row[:3] == ["headache", f"{100 * rd:+.1f}", f"{100 * lo:+.1f} to {100 * hi:+.1f}"]
    assert not tree.xpath(
        '//figure[@id="chart-trial-trial_reactions-b"]'
    )  # Betanib has no trial table
    inj = table_rows(chart(tree, "trial-administration_reactions-a"))
    rd, lo, hi = risk_difference_newcombe(100, 500, 50, 500)
    assert inj[0][:3] == [
        "injection reactions",
        f"{100 * rd:+.1f}",
        f"{100 * lo:+.1f} to {100 * hi:+.1f}",
    ]


def test_absent_charts_say_so(comparison):
    tree = doc(render_html(comparison))
    for key in ("forest", "per-year"):
        figure = chart(tree, key)
        assert not figure.xpath(".//*[local-name()='svg']")
        assert "is not drawn" in figure.xpath(".//p[@class='chart-absent']")[0].text_content()


def _marks(figure) -> list[float]:
    return [float(r.get("x")) + 5 for r in figure.xpath(".//*[local-name()='rect'][@class='mark']")]


def test_forest_plot_is_on_a_log_scale(full):
    figure = chart(doc(render_html(full)), "forest")
    assert table_rows(figure) == [[g, f"{v:.3g}", f"{lo:.3g} to {hi:.3g}"] for g, v, lo, hi in RORS]
    x = dict(zip([r[0] for r in RORS], _marks(figure)))
    ref = [
        float(line.get("x1")) for line in figure.xpath(".//*[local-name()='line'][@class='ref']")
    ]
    assert ref == [pytest.approx(x["death"], abs=0.1)]  # ROR 1 sits on the reference line
    # equal ratios are equal distances on a log scale: 1.8/1 and 1/(1/1.8)
    unit = (x["herpes infection"] - x["death"]) / math.log(1.8)
    assert (x["death"] - x["pneumonia or sepsis"]) / math.log(1 / 0.6) == pytest.approx(
        unit, rel=0.01
    )
    assert (
        len(figure.xpath(".//*[local-name()='path'][@class='mark']")) == 1
    )  # the unbounded upper limit


def test_forest_skips_ratios_it_cannot_draw(comparison):
    c = with_postmarketing(
        comparison, rors=(("a", 0.0, None, None), ("b", 2.0, 1.5, 2.5)), per_year=None
    )
    ch = forest_chart(c)
    assert ch.svg and ch.notes == ("Not drawn, no finite positive ratio: a.",)
    none = forest_chart(
        with_postmarketing(comparison, rors=(("a", math.nan, None, None),), per_year=None)
    )
    assert (
        not none.svg
        and "not drawn" in none.absent
        and none.rows == (("a", "not estimable", "no interval"),)
    )


def test_reports_per_year_chart(full):
    ch = per_year_chart(full)
    assert ch.columns == ("Year", "Alphex", "Betanib")
    assert ch.rows == tuple((str(y), str(a), str(b)) for y, (a, b) in PER_YEAR.items())
    assert ch.citations == (FAERS,)


def test_burden_reads_structured_counts_first(comparison):
    f = next(f for f in comparison.findings if f.topic == "burden.administrations")
    structured = replace(
        f,
        a_text="",
        b_text="",
        estimates=tuple(
            Estimate(f"burden:{s}:{y}", v)
            for s, y, v in (("a", 1, 7), ("a", 2, 5), ("b", 1, 3), ("b", 2, 2))
        ),
    )
    dims = tuple(
        replace(d, findings=tuple(structured if x is f else x for x in d.findings))
        for d in comparison.dimensions
    )
    rows = burden_chart(replace(comparison, dimensions=dims)).rows
    assert rows[:2] == (("Doses, year 1", "7", "3"), ("Doses, year 2", "5", "2"))


def test_burden_chart_reads_counts_not_text(comparison):
    """Without the findings' burden estimates the chart is not drawn, whatever their text says."""
    dims = tuple(
        replace(
            d,
            findings=tuple(
                replace(f, estimates=()) if f.topic.startswith("burden.") else f for f in d.findings
            ),
        )
        for d in comparison.dimensions
    )
    ch = burden_chart(replace(comparison, dimensions=dims))
    assert not ch.svg and "not drawn" in ch.absent


def test_every_dimension_with_charts_exists(full):
    keys = {d.key for d in full.dimensions}
    placed = charts_for(full)
    assert set(placed) <= keys
    assert [c.key for c in placed["postmarketing"]] == ["forest", "per-year"]


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (0.33, 3.4, [0.5, 1, 2]),
        (0.9, 1.1, [1]),
        (0.05, 30, [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]),
        (0.001, 1000, [0.001, 0.01, 0.1, 1, 10, 100, 1000]),
    ],
)
def test_log_ticks(lo, hi, expected):
    assert log_ticks(lo, hi) == pytest.approx(expected)


@pytest.mark.parametrize(
    "lo, hi, expected",
    [
        (-2.98, 4.98, [-4, -2, 0, 2, 4, 6]),
        (0, 16, [0, 5, 10, 15, 20]),
        (0, 0.5, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
    ],
)
def test_linear_ticks_cover_the_range(lo, hi, expected):
    assert linear_ticks(lo, hi, 6 if lo < 0 else 5) == pytest.approx(expected)


# --- escaping --------------------------------------------------------------------------------------

NASTY = '<script>alert("x")</script>\'; drop table --" onload="alert(1)'


def _nasty(c):
    p = replace(c.a.product, brand=NASTY)
    a = Drug(query=NASTY, ingredient=c.a.ingredient, products=(p,))
    cit = Citation(kind="label", title=NASTY, url="javascript:alert(1)")
    bad = Finding(
        "mechanism",
        "trial.x</title><script>",
        NASTY,
        Favours.A,
        Grade.TRIAL,
        (cit,),
        a_text=NASTY,
        caveats=(NASTY,),
        estimates=(Estimate("rd_newcombe", 0.1, 0.05, 0.15),),
    )
    dims = (Dimension("mechanism", NASTY, (bad,)),) + c.dimensions[1:]
    return with_postmarketing(replace(c, a=a, dimensions=dims), rors=((NASTY, 2.0, 1.0, 4.0),))


@pytest.mark.parametrize("render", [render_html, lambda c: render_page(c, a=NASTY, b=NASTY)])
def test_every_value_is_escaped(comparison, render):
    html = render(_nasty(comparison))
    tree = doc(html)
    scripts = tree.xpath("//script")
    assert all("alert" not in (s.text or "") for s in scripts) and len(scripts) <= 1
    assert not [
        a
        for el in tree.iter()
        if isinstance(el.tag, str)
        for a in el.attrib
        if a.lower().startswith("on")
    ]
    assert "javascript:" not in " ".join(tree.xpath("//@href"))
    assert NASTY in tree.text_content()  # shown as text, in the page and the charts' titles
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


# --- audience, real pack, CLI -------------------------------------------------------------------


def test_patient_wording(pack_file):
    c = compare("alphex", "betanib", pack=load_pack(pack_file), audience="patient")
    tree = doc(render_html(c))
    text = tree.text_content()
    assert "Good to know" in text and "In short" in text
    assert not tree.xpath("//span[@class='estimate']")


def test_compare_writes_an_html_file(pack_file, tmp_path, capsys):
    out = tmp_path / "report.html"
    try:
        main(
            [
                "compare",
                "alphex",
                "betanib",
                "--pack",
                str(pack_file),
                "--format",
                "html",
                "--output",
                str(out),
            ]
        )
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err
    tree = doc(out.read_text(encoding="utf-8"))
    assert "Alphex (alphamab)" in tree.xpath("//h1")[0].text_content()
    assert tree.xpath("//figure[@id='chart-burden']//*[local-name()='svg']")


def test_real_comparison_renders():
    try:
        pack = load_pack()
    except PackError as exc:  # the embedded pack is built from the curated entries
        pytest.skip(f"the embedded knowledge pack is not available ({exc})")
    c = compare("kesimpta", "ocrevus", pack=pack)
    tree = doc(render_html(c))
    assert c.a.product.brand in tree.xpath("//h1")[0].text_content()
    assert len(tree.xpath("//figure[starts-with(@id, 'chart-')]")) >= 3
    for f in c.findings:
        assert " ".join(f.statement.split()) in " ".join(tree.text_content().split())


def test_line_breaks_of_quoted_label_text_are_kept():
    """A statement quoting a label's list keeps its line breaks on the page: the text sits in an
    element whose white space is pre-line (as are the side-by-side cells), not run together."""
    c = compare("kesimpta", "ocrevus", pack=load_pack())
    html = render_html(c)
    assert re.search(r"\.said, td\.cell \{ white-space: pre-line;", html)
    tree = doc(html)
    broken = [f.statement for f in c.findings if "\n" in f.statement]
    assert broken, "the real pack quotes a label list over two lines (the case this test is for)"
    said = {e.text_content() for e in tree.xpath("//span[@class='said']")}
    assert all(s in said for s in broken)


def test_markdown_keeps_quoted_line_breaks_inside_the_list_item():
    """In Markdown a bare line break inside a list item is read as a space: statements carry <br>
    there, in the findings as in the summary."""
    from rxcompare.render.markdown import render_markdown

    c = compare("kesimpta", "ocrevus", pack=load_pack())
    md = render_markdown(c)
    for f in (f for f in c.findings if "\n" in f.statement):
        assert f.statement.replace("\n", "<br>") in md
        assert f.statement not in md


def test_a_page_tells_no_command_and_links_its_sources(comparison):
    """Issue 25: a browser user is shown no command-line advice (it is apart from the statement),
    and every http(s) source is a link."""
    from rxcompare.sources.pack import load_pack

    km = compare("kesimpta", "ocrevus", pack=load_pack())
    for c in (comparison, km):
        tree = doc(render_html(c))
        text = " ".join(tree.text_content().split())
        assert "rxcompare pack" not in text and "rxcompare faers" not in text
        assert any(x.advice for x in c.summary.lines)
    links = doc(render_html(km)).xpath("//ol[@class='sources']/li/a/@href")
    assert len(links) >= 5 and all(h.startswith(("http://", "https://")) for h in links)
