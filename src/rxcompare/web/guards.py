"""Request guards in front of the app: the Host header is checked, HEAD is answered as GET.

**Host.** A server on loopback can be reached from a web page on another site through DNS
rebinding: the attacker's name resolves to 127.0.0.1 and the browser sends ``Host:
evil.example``. The app answers only the host names it is configured with: the loopback names
(``127.0.0.1``, ``localhost``, ``::1``), the address ``rxcompare serve --host`` listens on (unless
it is a wildcard such as ``0.0.0.0``) and the names in ``RXCOMPARE_WEB_HOSTS``. Any other Host
gets 400 in the API's error shape, before any route runs, so that no page, redirect or error
page is built for a foreign host. The port is not checked (a name is what rebinding forges).

**HEAD.** Every GET route answers HEAD with the same status and headers and no body.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rxcompare import settings
from rxcompare.web.responses import ErrorBody, json_response

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")


def host_name(value: str) -> str:
    """The name of a Host header value, without its port, lower-case ("[::1]:8000" -> "::1")."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def allowed_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback names, the names given and those of ``RXCOMPARE_WEB_HOSTS`` (comma-separated)."""
    configured = (settings.WEB_HOSTS.get() or "").split(",")
    names = {host_name(n) for n in (*LOOPBACK, *extra, *configured)}
    return frozenset(n for n in names if n not in WILDCARDS)


class HostCheckMiddleware:
    """400 for a request whose Host header names a host this server is not configured for."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.hosts = allowed_hosts(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"host"]
            bad = len(values) > 1 or any(host_name(v) not in self.hosts for v in values)
            if bad:
                shown = ", ".join(repr(v[:100]) for v in values[:2])
                message = (
                    f"host {shown} is not served here; this server answers to "
                    f"{', '.join(sorted(self.hosts))}. To serve another name, start it with "
                    f"`rxcompare serve --host NAME` or list the name in {settings.WEB_HOSTS.env}"
                )
                body = ErrorBody(error=message, status=400, kind="HostError")
                await json_response(body.model_dump(), 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class HeadAsGetMiddleware:
    """Answer HEAD as the GET of the same URL would be answered, without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


__all__ = ["HeadAsGetMiddleware", "HostCheckMiddleware", "allowed_hosts", "host_name"]
