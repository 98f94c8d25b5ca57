"""Download against a real HTTP server on loopback serving a synthetic quarter's zip."""

from __future__ import annotations

import hashlib
import http.server
import threading
from typing import ClassVar

import pytest

from rxcompare.errors import OnlineError
from rxcompare.sources.faers.download import download_quarter, quarter_url, zip_name
from rxcompare.sources.faers.synth import synth_quarters


class _Handler(http.server.BaseHTTPRequestHandler):
    data = b""
    cut_after: int | None = None  # close the connection after this many body bytes (once)
    ranges: ClassVar[list[str]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.endswith("faers_ascii_2023q1.zip"):
            self.send_error(404)
            return
        data = type(self).data
        start = 0
        rng = self.headers.get("Range")
        type(self).ranges.append(rng or "")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = type(self).cut_after
        if cut is not None:
            type(self).cut_after = None
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server(tmp_path):
    synth_quarters(tmp_path / "src", reports=300, quarters=1, drugs=50, events=60)
    data = (tmp_path / "src" / "faers_ascii_2023q1.zip").read_bytes()
    handler = type("H", (_Handler,), {"data": data, "cut_after": None, "ranges": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/content/Exports", handler, data
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("quarter", "name"),
    [
        ("2023Q1", "faers_ascii_2023q1.zip"),
        ("2012q4", "faers_ascii_2012q4.zip"),
        ("2012q3", "aers_ascii_2012q3.zip"),
        ("2004q1", "aers_ascii_2004q1.zip"),
    ],
)
def test_names_and_urls(quarter, name):
    assert zip_name(quarter) == name
    assert quarter_url(quarter) == f"https://fis.fda.gov/content/Exports/{name}"


def test_download_complete_then_skip(server, tmp_path):
    base, handler, data = server
    seen = []
    d = download_quarter(
        "2023q1", tmp_path / "dl", base_url=base, progress=lambda s, n, t: seen.append((n, t))
    )
    assert d.sha256 == hashlib.sha256(data).hexdigest() and not d.skipped and d.size == len(data)
    assert seen[-1] == (len(data), len(data))
    again = download_quarter("2023q1", tmp_path / "dl", base_url=base)
    assert again.skipped and handler.ranges == [""]


def test_interrupted_transfer_resumes_with_range(server, tmp_path):
    base, handler, data = server
    handler.cut_after = len(data) // 3
    with pytest.raises(OnlineError, match="resume"):
        download_quarter("2023q1", tmp_path / "dl", base_url=base)
    part = tmp_path / "dl" / "faers_ascii_2023q1.zip.part"
    assert part.stat().st_size == len(data) // 3
    d = download_quarter("2023q1", tmp_path / "dl", base_url=base)
    assert d.resumed_from == len(data) // 3
    assert handler.ranges[-1] == f"bytes={len(data) // 3}-"
    assert (tmp_path / "dl" / "faers_ascii_2023q1.zip").read_bytes() == data
    assert not part.exists()


def test_not_published_quarter(server, tmp_path):
    base, _, _ = server
    with pytest.raises(OnlineError, match="404"):
        download_quarter("2030q1", tmp_path / "dl", base_url=base)


def test_offline_is_a_clear_error(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens on this port now
    with pytest.raises(OnlineError, match="cannot download.*connection"):
        download_quarter("2023q1", tmp_path / "dl", base_url=f"http://127.0.0.1:{port}")
