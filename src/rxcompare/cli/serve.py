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

        raise ConfigError(f"the web app needs its extra ({exc.name} is missing): pip install 'rxcompare[web]'") from None
    application = create_app(pack_file=pack_file, warehouse=warehouse, online=online, hosts=[host])
    err.print(f"rxcompare serving on http://{host}:{port}/ (Ctrl+C stops)", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="info" if access_log else "warning",
                access_log=access_log)
