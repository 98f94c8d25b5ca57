"""The web app: the comparison page and a JSON API on the same engine as the CLI (``rxcompare serve``)."""

from __future__ import annotations

from rxcompare.web.app import create_app

__all__ = ["create_app"]
