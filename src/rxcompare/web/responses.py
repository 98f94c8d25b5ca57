"""Errors of the web app, turned into output in one place: one JSON shape, or a friendly page.

Every error answers ``{"ok": false, "error": <message>, "status": <HTTP status>, "kind": <error
class>, "suggestions": [<names>]}`` under ``/api`` and ``/healthz``, and the page with the form and the
message elsewhere. Statuses:

======================================  ======
unknown medicine name                   404
name, audience, factor or request that
cannot be used (ambiguous, same twice)  422
query parameter missing or too long     422
query string that is not UTF-8          400
Host header not configured (guards)     400
no such page                            404 (405 for a wrong method)
evidence unavailable (no pack, no
post-marketing source)                  503
anything else                           500 (a bug: the message says so, no traceback is shown)
======================================  ======
"""

from __future__ import annotations

import json
import logging
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from rxcompare.errors import AmbiguousDrugError, RxCompareError, SourceError, UnknownDrugError
from rxcompare.models import json_value
from rxcompare.render.html import PageError, page_csp, render_page

log = logging.getLogger("rxcompare.web")

TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    422: "Cannot compare as asked",
    500: "Internal error",
    503: "Evidence unavailable",
}


NOSNIFF = {"X-Content-Type-Options": "nosniff"}  # a JSON body quoting "<script>" stays JSON


class ErrorBody(BaseModel):
    """The one shape of every error of the JSON API."""

    ok: bool = False
    error: str
    status: int
    kind: str
    suggestions: list[str] = []


class FieldError(RxCompareError):
    """An error about one named input field (``a`` or ``b``), raised by the web layer."""

    def __init__(self, field: str, error: RxCompareError):
        super().__init__(str(error))
        self.field = field
        self.error = error


def status_of(exc: RxCompareError) -> int:
    exc = exc.error if isinstance(exc, FieldError) else exc
    if isinstance(exc, AmbiguousDrugError):
        return 422
    if isinstance(exc, UnknownDrugError):
        return 404
    if isinstance(exc, SourceError):
        return 503
    return 422


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path in ("/healthz", "/openapi.json")


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON without NaN or infinities (which JSON cannot carry: they become null)."""
    text = json.dumps(json_value(body), ensure_ascii=False, allow_nan=False, default=str)
    headers = {**NOSNIFF, **(headers or {})}
    return Response(text.encode("utf-8"), status, headers, media_type="application/json")


def error_response(
    request: Request,
    status: int,
    message: str,
    kind: str,
    suggestions: tuple[str, ...] = (),
    field: str = "",
) -> Response:
    """The error as JSON (API) or as the page with the form and the message (browser)."""
    if wants_json(request):
        body = ErrorBody(error=message, status=status, kind=kind, suggestions=list(suggestions))
        return json_response(body.model_dump(), status)
    q = request.query_params
    page = render_page(
        None,
        a=q.get("a", "")[:200],
        b=q.get("b", "")[:200],
        audience=q.get("audience", "clinician")
        if q.get("audience") in ("clinician", "patient")
        else "clinician",
        error=PageError(status, TITLES.get(status, "Error"), message, tuple(suggestions), field),
    )
    return HTMLResponse(
        page, status, headers={**NOSNIFF, "Content-Security-Policy": page_csp(header=True)}
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e.get("loc", ())[1:]) or "request"
        parts.append(f"parameter {where!r}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) + ". See /openapi.json for the parameters each endpoint takes."


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through :func:`error_response`."""

    @app.exception_handler(RxCompareError)
    async def _rx(request: Request, exc: RxCompareError) -> Response:
        inner = exc.error if isinstance(exc, FieldError) else exc
        return error_response(
            request,
            status_of(exc),
            str(inner),
            type(inner).__name__,
            tuple(getattr(inner, "suggestions", ()) or ()),
            getattr(exc, "field", ""),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, _validation_message(exc), "ValidationError")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {
            404: f"there is no page at {request.url.path!r}; the form is at / and the API under /api",
            405: f"{request.method} is not allowed on {request.url.path!r}; use GET or HEAD",
        }.get(exc.status_code, str(exc.detail))
        return error_response(request, exc.status_code, message, "HTTPError")

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(
            request,
            500,
            "rxcompare failed unexpectedly; this is a bug, please report it with the URL",
            "InternalError",
        )


class Utf8QueryMiddleware:
    """Refuse (400, in the error shape) a query string whose values are not valid UTF-8.

    Browsers and HTTP clients percent-encode UTF-8; other bytes would otherwise be replaced by
    U+FFFD silently and the name searched for would not be the one sent.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            bad = _bad_parameter(scope["query_string"])
            if bad is not None:
                request = Request(scope)
                message = (
                    f"query parameter {bad!r} is not valid UTF-8 text; send names as UTF-8 "
                    "(percent-encoded in the URL)"
                )
                if not wants_json(request):  # the page echoes the fields: leave them out
                    scope = {**scope, "query_string": b""}
                    request = Request(scope)
                response = error_response(request, 400, message, "EncodingError")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _bad_parameter(raw: bytes) -> str | None:
    """The name of the first parameter whose name or value is not UTF-8, else None."""
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        for piece in (name, value):
            try:
                unquote_to_bytes(piece.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return unquote_to_bytes(name).decode("utf-8", "replace")[:40]
    return None


__all__ = [
    "ErrorBody",
    "FieldError",
    "Utf8QueryMiddleware",
    "error_response",
    "install_error_handlers",
    "json_response",
    "status_of",
]
