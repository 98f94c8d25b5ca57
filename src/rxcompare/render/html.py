"""HTML: one self-contained, printable, phone-readable document per comparison, with SVG charts.

:func:`render_html` writes the report file (``rxcompare compare A B --format html``); the web app
renders the same report inside its page with :func:`render_page`. Nothing is fetched from another
host when a page is opened: styles and the page's one script are inline, fonts are the system's,
charts are inline SVG (:mod:`rxcompare.render.charts`), and a Content-Security-Policy that allows only
these inline parts (by hash) says so to the browser. Every value is escaped by Jinja's autoescaping.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from rxcompare.models import Comparison, Favours, Finding, Grade
from rxcompare.render.charts import charts_for
from rxcompare.render.common import (
    DISCLAIMER,
    Said,
    cite_line,
    drug_title,
    favours_label,
    footnotes_for,
    line_favours,
    row_label,
    spelling,
    summary_groups,
)
from rxcompare.render.markdown import GRADE_WORDS
from rxcompare.render.studies import (
    STUDIES_TITLE,
    publication_link,
    publication_meta,
    studies_intro,
)

WORDS = {
    "clinician": {
        "verdict": "Summary",
        "sources": "Sources",
        "provenance": "Provenance",
        "none": "none",
        "favours": "favours",
        "caveat": "Caveat",
        "factors": "Patient factors given",
        "details": "The evidence, topic by topic",
        "topic": "Topic",
    },
    "patient": {
        "verdict": "In short",
        "sources": "Sources",
        "provenance": "Where this comes from",
        "none": "none",
        "favours": "favours",
        "caveat": "Good to know",
        "factors": "What you told us",
        "details": "The details, topic by topic",
        "topic": "Topic",
    },
}


# the patient factors the form offers (the comparison's factor keys, with the words of the form)
FACTOR_CHOICES = (
    ("prior_immunosuppressant", "prior or current immunosuppressive therapy"),
    ("hbv_positive", "hepatitis B infection or carriage"),
    ("planning_pregnancy", "planning a pregnancy"),
    ("needle_averse", "averse to needles or self-injection"),
)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("rxcompare.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _sha256(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    """The inline style sheet and the page script, exactly as they are placed in documents."""
    env = _env()
    return env.get_template("_style.html").render(), env.get_template("_script.html").render()


def report_csp() -> str:
    """Content-Security-Policy of a report file: its own inline style sheet, nothing else."""
    css, _ = _assets()
    return (
        f"default-src 'none'; style-src {_sha256(css)}; img-src data:; base-uri 'none'; "
        "form-action 'none'"
    )


def page_csp(header: bool = False) -> str:
    """Content-Security-Policy of a web app page: its style and script, and calls to its own API.

    ``header=True`` adds ``frame-ancestors``, which browsers honour only in the HTTP header.
    """
    css, script = _assets()
    return (
        f"default-src 'none'; style-src {_sha256(css)}; script-src {_sha256(script)}; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'self'"
        + ("; frame-ancestors 'none'" if header else "")
    )


def _refs(numbers: list[int]) -> Markup:
    links = "".join(f'<a href="#ref-{int(n)}">[{int(n)}]</a>' for n in numbers)
    return Markup(f'<span class="refs">{links}</span>')


@dataclass(frozen=True)
class _FindingView:
    statement: str
    refs: list[int]
    favours: str
    favours_cls: str
    grade: str
    grade_cls: str
    estimates: tuple[str, ...]
    caveats: tuple[str, ...]
    emphasis: bool


def _estimates(f: Finding) -> tuple[str, ...]:
    out = []
    for e in f.estimates:
        if e.lower is not None and e.upper is not None:
            out.append(
                f"({e.method}: {e.value:.4g}, {round(e.level * 100)}% CI {e.lower:.4g} to {e.upper:.4g})"
            )
    return tuple(out)


def report_context(comparison: Comparison) -> dict:
    """Everything the report templates need, from the comparison only."""
    c = comparison
    audience = c.audience if c.audience in GRADE_WORDS else "clinician"
    notes = footnotes_for(c)
    charts = charts_for(c)
    fav_cls = {Favours.A: "a", Favours.B: "b", Favours.NONE: "none", Favours.UNCLEAR: "unclear"}

    spell = spelling(audience)
    once = Said()  # every sentence once: the summary first, then each dimension's cells
    for _, lines in summary_groups(c, audience):
        for line in lines:
            once.note(line.text)

    told: set[str] = set()  # each caveat once per answer

    def once_each(caveats: tuple[str, ...]) -> tuple[str, ...]:
        fresh = tuple(x for x in caveats if x not in told)
        told.update(fresh)
        return fresh

    def view(f: Finding) -> _FindingView:
        return _FindingView(
            statement=once.fresh(f.statement, row_label(f.topic, width=None).capitalize()),
            refs=notes.refs(f),
            favours=favours_label(f, c, audience),
            favours_cls=fav_cls[f.favours],
            grade=GRADE_WORDS[audience][f.grade.value],
            grade_cls=f.grade.value,
            estimates=_estimates(f) if audience == "clinician" else (),
            caveats=once_each(f.caveats),
            emphasis=f.emphasis,
        )

    def chart_view(chart):
        cites = tuple(sorted((notes.number(cit), cite_line(cit)) for cit in chart.citations))
        return {**chart.__dict__, "cites": cites}

    dims = []
    for d in c.dimensions:
        rows = []
        for f in d.findings:
            if not (f.a_text or f.b_text) or f.grade is Grade.ABSENT:  # as the Markdown table
                continue
            cells = once.cells(f.a_text, f.b_text)
            if cells is not None:
                rows.append(
                    {
                        "topic": f.topic.split(".")[-1].replace("_", " "),
                        "a": cells[0],
                        "b": cells[1],
                    }
                )
        views = [view(f) for f in d.findings]
        dims.append(
            {
                "key": d.key,
                "title": d.title,
                "rows": rows,
                "findings": [x for x in views if x.statement],
                "charts": [chart_view(ch) for ch in charts.get(d.key, [])],
            }
        )
    v = c.verdict
    return {
        "title_a": drug_title(c, "a"),
        "title_b": drug_title(c, "b"),
        "name_a": c.a.name,
        "name_b": c.b.name,
        "disclaimer": DISCLAIMER,
        "words": WORDS[audience],
        "answer": c.summary.answer.text if c.summary else v.summary,
        "summary_refs": [notes.number(x) for x in c.summary.answer.citations] if c.summary else [],
        "summary_groups": [
            {
                "title": title,
                "lines": [
                    {
                        "text": spell(line.text),
                        "refs": [notes.number(x) for x in line.citations],
                        "favours": line_favours(line, c),
                    }
                    for line in lines
                ],
            }
            for title, lines in summary_groups(c, audience)
        ],
        "dims": dims,
        "refs": _refs,
        "sources": [
            (i, cite_line(cit, url=not _linkable(cit.url)), cit.url if _linkable(cit.url) else None)
            for i, cit in enumerate(notes.citations, 1)
        ],
        "provenance": list(c.provenance),
        "studies": _studies_view(c),
    }


def _studies_view(c: Comparison) -> dict | None:
    """What studies address the pair: the intro and each publication's title, metadata and link
    (an http(s) address only)."""
    if c.studies is None:
        return None
    return {
        "title": STUDIES_TITLE,
        "intro": studies_intro(c.studies),
        "publications": [
            {
                "title": p.title,
                "meta": publication_meta(p),
                "url": link if _linkable(link) else None,
            }
            for p in c.studies.publications
            for link in (publication_link(p),)
        ],
    }


def _linkable(url: str | None) -> bool:
    """Only an http(s) address becomes a link; anything else stays text (escaped)."""
    return bool(url) and url.lower().startswith(("https://", "http://"))


def _base(page_title: str, csp: str, script: str = "") -> dict:
    from rxcompare import __version__

    css, _ = _assets()
    return {
        "page_title": page_title,
        "csp": csp,
        "css": Markup(css),
        "script": Markup(script),
        "version": __version__,
        "disclaimer": DISCLAIMER,
        "generated": "",
    }


def _title(c: Comparison) -> str:
    return f"{drug_title(c, 'a')} vs {drug_title(c, 'b')}: safety comparison"


def render_html(comparison: Comparison) -> str:
    """The comparison as one self-contained HTML document (no request to any other host), its
    sections open (a file is read, and printed, whole)."""
    ctx = {
        **_base(_title(comparison), report_csp()),
        **report_context(comparison),
        "sections_open": True,
        "report": True,  # the report says the disclaimer under its summary; the footer does not
    }
    return _env().get_template("report.html").render(ctx)


@dataclass(frozen=True)
class PageError:
    """An error shown in the web page instead of (or above) a report."""

    status: int
    title: str
    message: str
    suggestions: tuple[str, ...] = ()
    field: str = ""  # "a" or "b": the drug field the suggestions would replace


def render_page(
    comparison: Comparison | None = None,
    *,
    a: str = "",
    b: str = "",
    audience: str = "clinician",
    error: PageError | None = None,
    factors: tuple[str, ...] = (),
) -> str:
    """The web app's page: the form (two drug fields with suggestions) and the report or an error.

    Suggestions of an unknown-name error become links that retry with the suggested name in place
    of the field (``error.field``) whose name was not found.
    """
    _, script = _assets()
    title = _title(comparison) if comparison else "rxcompare: compare the safety of two medicines"
    ctx = _base(title, page_csp(), script)
    ctx["form"] = {"a": a, "b": b, "audience": audience, "factors": factors}
    ctx["factor_choices"] = FACTOR_CHOICES
    ctx["report"] = comparison is not None
    if comparison is not None:
        # the answer first; each dimension one click away (opened for printing by the script)
        ctx.update(report_context(comparison), sections_open=False)
    ctx["error"] = None
    if error is not None:
        links = []
        for s in error.suggestions:
            query = {"a": a, "b": b, "audience": audience, "factor": list(factors)}
            if error.field in ("a", "b"):
                query[error.field] = s
            links.append({"name": s, "href": "/compare?" + urlencode(query, doseq=True)})
        ctx["error"] = {
            "status": error.status,
            "title": error.title,
            "message": error.message,
            "suggestions": links,
        }
    return _env().get_template("app.html").render(ctx)


__all__ = ["PageError", "page_csp", "render_html", "render_page", "report_context", "report_csp"]
