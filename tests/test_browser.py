"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The web app runs under uvicorn on a free loopback port in a thread; the report file is opened from
disk. Every request the browser makes is recorded: anything that is not file:// or the loopback
server is an external request and fails the test. Screenshots go to each test's temporary folder.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers import ARGS, fixture_pack_file, with_postmarketing

from rxcompare.comparison import compare
from rxcompare.render.html import render_html
from rxcompare.sources.pack import load_pack

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(apt-get install chromium; .ci/run installs it)",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (test extra)"
)
uvicorn = pytest.importorskip("uvicorn", reason="needs uvicorn (test extra)")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return load_pack(fixture_pack_file(tmp_path_factory.mktemp("pack")))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(pack, tmp_path_factory):
    from rxcompare.web import create_app

    app = create_app(pack, warehouse=tmp_path_factory.mktemp("empty-warehouse"))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=_free_port(), log_level="warning", access_log=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    srv.should_exit = True
    thread.join(10)


class Browser:
    """A page in a fresh Chromium profile that records requests, console errors and dialogs."""

    def __init__(self, context, allowed_origin: str | None):
        self.context = context
        self.external: list[str] = []
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed = allowed_origin
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _route(self, route) -> None:
        url = route.request.url
        self.requests.append(url)
        parts = urlsplit(url)
        local = parts.scheme in ("file", "data") or (
            self.allowed is not None and f"{parts.scheme}://{parts.netloc}" == self.allowed
        )
        if local:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium for the module, with a fresh user-data-dir; each test gets a new context."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    def launch(allowed_origin=None, viewport=(1100, 900)) -> Browser:
        context = chromium.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        opened.append(context)
        return Browser(context, allowed_origin)

    opened: list = []
    yield launch
    for context in opened:
        context.close()


def test_report_file_opens_without_any_external_request(pack, tmp_path, browser):
    c = with_postmarketing(compare("alphex", "betanib", pack=pack))
    report = tmp_path / "report.html"
    report.write_text(render_html(c), encoding="utf-8")
    b = browser()
    b.page.goto(report.as_uri())
    b.page.wait_for_load_state("networkidle")
    svgs = b.page.locator("svg.chart-svg")
    assert svgs.count() == 5  # burden, two trial charts of Alphex, forest plot, reports per year
    for i in range(svgs.count()):
        box = svgs.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 40
    b.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert b.requests and all(u.startswith("file://") for u in b.requests), b.requests
    assert b.external == []
    assert b.console_errors == []  # a Content-Security-Policy violation would be reported here
    # Printable: the print style sheet applies and the document prints to PDF.
    b.page.emulate_media(media="print")
    assert (
        b.page.locator("details.dimension").count()
        == b.page.locator("details.dimension[open]").count()
    )
    pdf = b.page.pdf(path=str(tmp_path / "report.pdf"))
    assert pdf[:5] == b"%PDF-"


def test_report_is_readable_on_a_phone(pack, tmp_path, browser):
    report = tmp_path / "report.html"
    report.write_text(render_html(compare("alphex", "betanib", pack=pack)), encoding="utf-8")
    b = browser(viewport=(390, 844))
    b.page.goto(report.as_uri())
    width = b.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    assert b.page.locator("#chart-burden svg").bounding_box()["width"] <= 390
    b.page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)


def _pick(page, field: str, typed: str, choice: str) -> None:
    box = page.locator(f"#drug-{field}")
    box.click()
    box.press_sequentially(typed, delay=40)
    option = page.locator(f"#drug-{field}-list li[role=option][data-value='{choice}']")
    option.wait_for(state="visible", timeout=10_000)
    option.click()
    assert box.input_value() == choice


def test_type_pick_submit_and_see_the_comparison(server, tmp_path, browser):
    b = browser(allowed_origin=server)
    b.page.goto(server + "/")
    _pick(b.page, "a", "alp", "Alphex")
    _pick(b.page, "b", "bet", "Betanib")
    b.page.locator("form.compare button[type=submit]").click()
    b.page.wait_for_url("**/compare?*")
    heading = b.page.locator("article#report h1")
    heading.wait_for()
    assert (
        "Alphex (alphamab)" in heading.inner_text() and "Betanib (betanib)" in heading.inner_text()
    )
    # the dimensions are collapsed: open each, as a reader clicks its title
    for summary in b.page.locator("details.dimension > summary").all():
        summary.click()
    assert b.page.locator("#chart-burden svg.chart-svg").is_visible()
    assert b.page.locator("#chart-trial-trial_reactions-a svg.chart-svg").is_visible()
    assert (
        "not drawn" in b.page.locator("#chart-forest").inner_text()
    )  # no post-marketing source here
    b.page.screenshot(path=str(tmp_path / "comparison.png"), full_page=True)
    assert (tmp_path / "comparison.png").stat().st_size > 10_000
    assert b.external == [] and b.console_errors == [] and b.dialogs == []
    assert any("/api/drugs?" in u for u in b.requests)  # the suggestions came from the API


def test_keyboard_picks_a_suggestion(server, browser):
    b = browser(allowed_origin=server)
    b.page.goto(server + "/")
    box = b.page.locator("#drug-a")
    box.press_sequentially("alp", delay=40)
    with b.page.expect_response(lambda r: "q=alph" in r.url):
        box.press("h")
    b.page.locator("#drug-a-list li[role=option][data-value='Alphex IV']").wait_for()
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "drug-a-list-1"
    box.press("Enter")
    assert box.input_value() == "Alphex IV"
    assert b.page.locator("#drug-a-list").is_hidden()


@pytest.mark.parametrize(
    "name", ["<script>alert(1)</script>", "'; drop table drugs; --", "<img src=x onerror=alert(1)>"]
)
def test_hostile_input_is_shown_as_text(server, tmp_path, browser, name):
    b = browser(allowed_origin=server)
    b.page.goto(server + "/")
    b.page.locator("#drug-a").fill(name)
    b.page.locator("#drug-b").fill("betanib")
    with b.page.expect_response(lambda r: "/compare?" in r.url) as info:
        b.page.locator("form.compare button[type=submit]").click()
    assert info.value.status == 404
    message = b.page.locator(".error-box .error-message").inner_text()
    assert name in message
    assert b.page.locator("#drug-a").input_value() == name
    assert b.dialogs == [] and b.external == []
    b.page.screenshot(path=str(tmp_path / "error.png"))


def _axe_serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page (axe-playwright-python bundles
    axe-core; it is injected into the page under test, nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_answer_is_seen_without_scrolling_and_passes_axe(server, tmp_path, browser, viewport):
    """Issue 25 item 6: at 1280x800 and at 390 px the answer and the first difference are in the
    first screen; the dimensions are collapsed; axe-core finds no serious or critical violation
    on the comparison, start and error pages."""
    pytest.importorskip("axe_playwright_python", reason="needs axe-playwright-python (test extra)")
    b = browser(allowed_origin=server, viewport=viewport)
    b.page.goto(server + "/compare?a=alphex&b=betanib")
    b.page.screenshot(path=str(tmp_path / f"answer-{viewport[0]}.png"))
    answer = b.page.locator("p.answer")
    first = b.page.locator("#verdict .summary-group li").first
    for element in (answer, first):
        box = element.bounding_box()
        assert box and box["y"] + min(box["height"], 60) <= viewport[1], (viewport, box)
    assert b.page.locator("details.dimension").count() >= 5
    assert b.page.locator("details.dimension[open]").count() == 0
    assert _axe_serious(b.page) == []
    for path in ("/", "/compare?a=alphex&b=nosuchdrug"):
        b.page.goto(server + path)
        assert b.page.locator("h1").count() == 1, path
        assert _axe_serious(b.page) == [], path
