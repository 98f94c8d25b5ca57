"""Test helpers: a knowledge pack of FICTIONAL products (tests/fixtures/curated) for engine tests,
and a real HTTP server on loopback for the online clients."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rxcompare.sources.pack import build_pack, write_pack

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_pack_file(tmp: Path) -> Path:
    """Build the fictional pack into ``tmp`` and return its path."""
    doc = build_pack(curated=sorted((FIXTURES / "curated").glob("*.json")))
    return write_pack(doc, tmp / "pack.json")


@dataclass(frozen=True)
class Reply:
    """One answer of :func:`serve_loopback`. ``length``, when longer than the body, is the
    Content-Length sent instead: the body stops short and the connection is closed (an answer
    cut in the middle)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None


@contextlib.contextmanager
def serve_loopback(answer: Callable[[str], Reply]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (a free port); each GET is answered by ``answer(target)``
    (the request target: path and query as sent). Yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            reply = answer(self.path)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(reply.length or len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            if reply.length:
                self.close_connection = True

        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
