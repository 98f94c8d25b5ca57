"""The READUS-PV study report (`rxcompare signals DRUG --report study.md|.html`): its sections in order,
every figure equal to the warehouse's own records (manifests, dedup.json, match.json) or to an
independent scoring call; the HTML opened in headless Chromium (no request to any host; it prints)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import run_cli, synthetic_warehouse

from rxcompare.cli import main
from rxcompare.signals.warehouse import signals_from_warehouse
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.match import match_demographic

DRUG = "ofatumumab"
SECTIONS = [
    "Study design",
    "Data source and version",
    "Case selection and deduplication",
    "Drug and event identification",
    "Measures and thresholds",
    "Results",
    "Sensitivity analyses",
    "Limitations of spontaneous reporting",
    "Reproducibility",
]
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    wh = synthetic_warehouse(
        root, reports=3000, quarters=3, seed=21, drugs=200, events=250, duplicates=30
    )
    match_demographic(wh.path)
    return wh, root


def _report(built, name: str, *extra: str) -> str:
    wh, root = built
    out = root / name
    if not out.exists():
        with pytest.raises(SystemExit) as exc:
            main(
                [
                    "signals",
                    DRUG,
                    "--warehouse",
                    str(wh.path),
                    "--synonyms",
                    str(root / "q" / "synonyms.csv"),
                    "--report",
                    str(out),
                    *extra,
                ]
            )
        assert exc.value.code in (0, None)
    return out.read_text(encoding="utf-8")


def _row(md: str, first: str) -> str:
    rows = [line for line in md.splitlines() if line.startswith(f"| {first} |")]
    assert rows, first
    return rows[0]


def test_markdown_sections_in_readus_pv_order(built):
    md = _report(built, "study.md")
    assert md.startswith(f"# Disproportionality analysis of {DRUG}")
    assert re.findall(r"^## (.+)$", md, re.M) == SECTIONS


def test_markdown_figures_are_the_warehouses_records(built):
    wh, _ = built
    md = _report(built, "study.md")
    for d in sorted((wh.path / "quarters").iterdir()):
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        row = _row(md, m["quarter"])
        for value in (
            m["sha256"],
            m["source"],
            m["ingested_at"],
            str(m["rows"]["demo"]),
            str(m["deleted"]),
        ):
            assert f"| {value} |" in row, (m["quarter"], value)
    dedup = json.loads((wh.path / "dedup.json").read_text(encoding="utf-8"))
    match = json.loads((wh.path / "match" / "match.json").read_text(encoding="utf-8"))
    for step, value in (
        ("report versions ingested (DEMO rows)", dedup["rows_before"]),
        ("removed: older versions of a case (FDA's rule)", dedup["removed_older_versions"]),
        ("removed: cases on a deleted-case list", dedup["removed_deleted"]),
        ("cases after FDA's rule", dedup["after"]),
        ("removed: probable duplicates across case ids (demographic match)", match["removed"]),
        ("cases after the demographic match", match["cases_after"]),
    ):
        assert _row(md, step) == f"| {step} | {value} |"
    assert f"{match['groups']} group(s) of {match['cases_in_groups']} cases" in md
    assert f"synonym table ({dedup['synonyms']} entries" in md


def test_markdown_results_match_an_independent_scoring(built):
    wh, _ = built
    md = _report(built, "study.md")
    with connect_engine(wh.path) as t:
        table = signals_from_warehouse(t, drug=DRUG)
    flagged = [r for r in table.rows() if r["flags"]]
    assert flagged, "the synthetic warehouse should flag some pair of the drug"
    assert f"{len(table)} pair(s) of {DRUG} scored, {len(flagged)} flagged" in md
    assert f"n = {table.n_reports}." in md
    results = md.split("## Results", 1)[1].split("## Sensitivity analyses", 1)[0]
    for r in flagged:
        row = _row(results, r["event"])
        assert row.startswith(f"| {r['event']} | {r['a']} | {r['b']} | {r['c']} | {r['d']} |")
        label = "UNLISTED SIGNAL" if r["listed"] == "unlisted" else r["listed"]
        assert f"{r['ror']:.3g} ({r['ror_lower']:.3g}-{r['ror_upper']:.3g})" in row
        assert row.endswith(f"| {r['flags']} | - | {label} |")  # a flagged pair has no MDRR
    assert results.count("**Cumulative ROR of ofatumumab: ") == min(len(flagged), 12)
    # the limitations say what the pairs without a signal could have detected
    quiet = [r["mdrr"] for r in table.rows() if not r["flags"]]
    finite = sorted(x for x in quiet if x != float("inf"))
    limits = md.split("## Limitations", 1)[1]
    assert f"of the {len(quiet)} pair(s) scored without a signal" in limits
    assert f"ranged from {finite[0]:.3g} to {finite[-1]:.3g}" in limits
    last = results.split(f"**Cumulative ROR of ofatumumab: {flagged[0]['event']}**", 1)[1]
    assert f"{flagged[0]['ror']:.3g} ({flagged[0]['ror_lower']:.3g}-" in last.split("**", 1)[0]


def test_markdown_sensitivity_and_limitations(built):
    md = _report(built, "study.md")
    sens = md.split("## Sensitivity analyses", 1)[1]
    for level in ("none", "fda", "fda+demographic"):
        assert re.search(rf"^\| {re.escape(level)} \| .+ \| counted( \(.+\))? \|$", sens, re.M), (
            level
        )
    lim = md.split("## Limitations of spontaneous reporting", 1)[1].split("## ", 1)[0]
    assert len(re.findall(r"^- ", lim, re.M)) >= 5


def test_report_needs_a_known_suffix(built, capsys):
    wh, root = built
    with pytest.raises(SystemExit) as exc:
        main(["signals", DRUG, "--warehouse", str(wh.path), "--report", str(root / "study.pdf")])
    assert exc.value.code not in (0, None)
    assert "give a file ending in .html" in " ".join(capsys.readouterr().err.split())
    assert not (root / "study.pdf").exists()


def test_dedup_sensitivity_and_report_in_one_run(built, capsys):
    wh, root = built
    text = run_cli(
        capsys,
        "signals",
        DRUG,
        "--warehouse",
        str(wh.path),
        "--synonyms",
        str(root / "q" / "synonyms.csv"),
        "--dedup-sensitivity",
        "--report",
        str(root / "both.html"),
        "-f",
        "json",
    )
    assert json.loads(text)["schema"] == "rxcompare/dedup-sensitivity"
    assert (root / "both.html").read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)
def test_html_report_in_chromium_without_external_requests_and_prints(built, tmp_path):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the playwright package (test extra)"
    )
    from helpers import ARGS

    html = _report(built, "study.html")
    n_cumulative = html.count('id="chart-cumulative-')
    assert n_cumulative >= 1
    path = built[1] / "study.html"
    external, errors = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 900})

            def route(r):
                if r.request.url.split(":", 1)[0] in ("file", "data"):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            assert page.title().startswith(f"Disproportionality analysis of {DRUG}")
            assert page.locator("main section h2").all_inner_texts() == SECTIONS
            assert page.locator("#chart-dedup-sensitivity svg").count() == 1
            assert page.locator("svg.chart-svg").count() == 1 + n_cumulative
            box = page.locator("#chart-dedup-sensitivity svg").bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
            for width in (
                1100,
                1000,
            ):  # no table scrolls sideways (the files table's sha256 breaks)
                page.set_viewport_size({"width": width, "height": 900})
                wide = page.evaluate(
                    "() => [...document.querySelectorAll('.table-wrap')]"
                    ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.querySelector('caption').textContent)"
                )
                assert wide == [], (width, wide)
            page.set_viewport_size({"width": 1100, "height": 900})
            page.screenshot(path=str(tmp_path / "study.png"), full_page=True)
            pdf = page.pdf(path=str(tmp_path / "study.pdf"))
        finally:
            browser.close()
    assert pdf[:5] == b"%PDF-"
    assert external == [] and errors == []
