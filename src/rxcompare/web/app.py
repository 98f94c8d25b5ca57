"""The web app (FastAPI): the comparison page and a JSON API, on the same engine as the CLI.

Pages: ``/`` (the form: two drug fields with suggestions as you type) and ``/compare?a=&b=`` (the
form and the comparison, rendered on the same HTML as the report file). API: ``/api/compare``,
``/api/drugs``, ``/api/signals``, ``/healthz``; the OpenAPI document is ``/openapi.json``. Errors
are answered in one JSON shape, or as the page with a friendly message (:mod:`.responses`).
Comparisons that are not cached run in worker threads, a few at a time, identical requests
sharing one computation (:mod:`.offload`), so ``/healthz`` and cached pages answer at once. Only
the configured host names are served, and HEAD is answered wherever GET is (:mod:`.guards`).

Run it with ``rxcompare serve`` or ``uvicorn`` on :func:`create_app`'s result.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from rxcompare import __version__, settings
from rxcompare.errors import QuestionError
from rxcompare.render.html import page_csp, render_page
from rxcompare.sources.pack import Pack, load_pack
from rxcompare.web.api_types import DrugsAnswer, HealthAnswer, SignalsAnswer, schema_response
from rxcompare.web.engine import Engine, pick_postmarketing
from rxcompare.web.guards import HeadAsGetMiddleware, HostCheckMiddleware
from rxcompare.web.offload import Offload
from rxcompare.web.responses import (
    NOSNIFF,
    ErrorBody,
    Utf8QueryMiddleware,
    install_error_handlers,
    json_response,
)

if TYPE_CHECKING:
    from rxcompare.comparison.postmarketing import PostMarketingSource

Name = Annotated[str, Query(max_length=1000, description="a medicine: brand or generic name")]
Audience = Annotated[str, Query(pattern="^(clinician|patient)$", description="clinician | patient")]
Factors = Annotated[
    list[str] | None,
    Query(
        description="patient factor (repeatable): prior_immunosuppressant, hbv_positive, "
        "planning_pregnancy, needle_averse"
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "query not UTF-8"),
        (404, "unknown medicine"),
        (422, "input that cannot be used"),
        (503, "evidence unavailable"),
    )
}
HEADERS = {**NOSNIFF, "Referrer-Policy": "no-referrer"}


def _html(body: bytes | str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        body, status, headers={**HEADERS, "Content-Security-Policy": page_csp(header=True)}
    )


def _factors(factor: list[str] | None) -> tuple[str, ...]:
    return tuple(sorted(set(factor or ())))


def create_app(
    pack: Pack | None = None,
    *,
    pack_file: str | os.PathLike[str] | None = None,
    warehouse: str | os.PathLike[str] | None = None,
    online: bool = False,
    postmarketing: PostMarketingSource | None = None,
    cache_size: int = 256,
    hosts: Iterable[str] = (),
    compare_threads: int = 2,
) -> FastAPI:
    """The app over ``pack`` (else ``pack_file``, else the configured or embedded pack).

    The post-marketing source is ``postmarketing`` when given, else the one the CLI would pick for
    ``warehouse``/``online``; registry trials come from ClinicalTrials.gov with ``online``, else from
    the trials cache, as for ``rxcompare compare``; with ``online`` a name outside the pack is
    looked up on openFDA and each comparison records DailyMed's newer labels, as the CLI does;
    suggestions also come from the warehouse's FAERS names. The app answers the loopback host
    names, ``hosts`` and those of ``RXCOMPARE_WEB_HOSTS``; at most ``compare_threads`` uncached
    comparisons run at a time.
    """
    pack = pack or load_pack(pack_file or settings.PACK.get())
    missing = "no FAERS warehouse or online source was given."
    if postmarketing is None:
        postmarketing, missing = pick_postmarketing(warehouse, online)
    from rxcompare.sources.ctgov import RegistrySource

    engine = Engine(
        pack,
        warehouse=warehouse,
        postmarketing=postmarketing,
        postmarketing_missing=missing,
        cache_size=cache_size,
        trials=RegistrySource(online=online),
        online=online,
    )
    app = FastAPI(
        title="rxcompare",
        version=__version__,
        summary="Compare the safety of two medicines from cited evidence (labels, FAERS, trials).",
        description="Not medical advice and not a causality assessment. Every finding cites its evidence.",
        docs_url=None,  # the interactive docs would load scripts from another host
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.engine = engine
    offload = app.state.offload = Offload(compare_threads)
    install_error_handlers(app)
    app.add_middleware(Utf8QueryMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(HostCheckMiddleware, hosts=tuple(hosts))  # outermost: checked first

    async def _rendering(kind: str, *key) -> bytes:
        """A cached rendering at once; otherwise made off the event loop (:class:`Offload`)."""
        body = engine.rendered(kind, *key)
        if body is not None:
            return body
        # keyed on the warehouse's state too: a request after an ingest waits for no older work
        return await offload.run((kind, *key, engine.generation()), engine.render, kind, *key)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(a: Name = "", b: Name = "", audience: Audience = "clinician") -> HTMLResponse:
        return _html(render_page(None, a=a, b=b, audience=audience))

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    async def compare_page(
        a: Name = "", b: Name = "", audience: Audience = "clinician", factor: Factors = None
    ) -> HTMLResponse:
        if not a.strip() and not b.strip():
            return _html(render_page(None, audience=audience))
        return _html(await _rendering("page", a, b, audience, _factors(factor)))

    @app.get(
        "/api/compare",
        tags=["compare"],
        responses={
            200: schema_response(
                "comparison",
                "the comparison: JSON schema rxcompare/comparison version 1 "
                "(as `rxcompare compare A B --format json`)",
            ),
            **ERRORS,
        },
    )
    async def api_compare(
        a: Name, b: Name, audience: Audience = "clinician", factor: Factors = None
    ) -> Response:
        """Compare two medicines, dimension by dimension, with citations."""
        body = await _rendering("json", a, b, audience, _factors(factor))
        return Response(body, headers=NOSNIFF, media_type="application/json")

    @app.get(
        "/api/drugs",
        tags=["drugs"],
        responses={200: {"model": DrugsAnswer, "description": "the suggestions"}, **ERRORS},
    )
    async def api_drugs(
        q: Annotated[str, Query(max_length=200, description="the start of a name")] = "",
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> Response:
        """Suggestions for a typed name: pack products first (comparable), then FAERS names."""
        if engine.index.ready():
            found = engine.suggest(q, limit)
        else:  # the warehouse's names are read once, off the event loop
            found = await run_in_threadpool(engine.suggest, q, limit)
        return json_response({"ok": True, "query": q, "drugs": [s.__dict__ for s in found]})

    @app.get(
        "/api/signals",
        tags=["signals"],
        responses={
            200: {
                "model": SignalsAnswer,
                "description": "the head-to-head tables: rxcompare/head-to-head version 1",
            },
            **ERRORS,
        },
    )
    async def api_signals(
        a: Name,
        b: Name,
        indication: Annotated[
            str | None,
            Query(max_length=200, description="restrict to reports with this indication"),
        ] = None,
    ) -> Response:
        """Head-to-head post-marketing signals (ROR of A vs B per event group) from the configured source."""
        if indication is not None and not indication.strip():
            raise QuestionError(
                "the indication is empty; leave it out or give one, e.g. 'multiple sclerosis'"
            )
        # as /compare: in the worker pool, identical requests sharing one computation
        key = ("signals", a, b, indication, engine.generation())
        return json_response(await offload.run(key, engine.signals, a, b, indication))

    @app.get(
        "/healthz",
        tags=["health"],
        responses={200: {"model": HealthAnswer, "description": "the server is up"}},
    )
    async def healthz() -> Response:
        """The server is up: versions of rxcompare and the pack, warehouse and cache status."""
        return json_response(engine.health())

    return app


__all__ = ["create_app"]
