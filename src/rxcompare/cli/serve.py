"""``rxcompare serve``: the comparison page and the JSON API."""

from __future__ import annotations

import typer

from rxcompare.cli.common import Online, PackFile, WarehouseDir, err


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="port to listen on"),
    pack_file: PackFile = None,
    warehouse: WarehouseDir = None,
    online: Online = False,
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="log every request"),
) -> None:
    """Serve the comparison page and the JSON API (/api/compare, /api/drugs, /api/signals, /healthz).

    Only requests for the loopback names, --host and RXCOMPARE_WEB_HOSTS are answered."""
    try:
        import uvicorn

        from rxcompare.web import create_app
    except ImportError as exc:
        from rxcompare.errors import ConfigError

        raise ConfigError(
            f"the web app needs its extra ({exc.name} is missing): pip install 'rxcompare[web]'"
        ) from None
    application = create_app(pack_file=pack_file, warehouse=warehouse, online=online, hosts=[host])
    sock = _listen(
        host, port
    )  # before any URL is printed: a taken port is said, not a dead address
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    err.print(f"rxcompare serving on http://{shown}:{port}/ (Ctrl+C stops)", highlight=False)
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level="info" if access_log else "warning",
        access_log=access_log,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _listen(host: str, port: int):
    """A socket bound to ``host:port`` (port 0: one the system picks), or a clear error."""
    import socket

    from rxcompare.errors import ConfigError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(
            f"--host {host}: not an address of this machine ({exc.strerror}); give e.g. 127.0.0.1"
        ) from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host} port {port}: {exc.strerror or exc} (another program may hold the port); "
            "give another --port, or --port 0 for any free one"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
