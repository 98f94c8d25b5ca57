"""The store of fetched trials: what one fetch returned, one JSON file per searched name."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from rxcompare import settings
from rxcompare.errors import SourceError
from rxcompare.sources.atomic import FolderError, loads_json, read_bounded, write_json_atomic
from rxcompare.sources.ctgov.records import norm_text

__all__ = ["STORE_SCHEMA", "TrialsStore"]

STORE_SCHEMA = "rxcompare/ctgov-trials"


class TrialsStore:
    """One JSON file per searched name under ``<RXCOMPARE_CACHE>/ctgov/trials``, written atomically."""

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = (
            Path(root)
            if root is not None
            else Path(settings.CACHE.get() or ".") / "ctgov" / "trials"
        )

    def path(self, name: str) -> Path:
        return self.root / (norm_text(name).replace(" ", "-") + ".json")

    def save(self, doc: dict[str, Any]) -> Path:
        target = self.path(doc["name"])
        try:
            return write_json_atomic(target, doc, prefix=".trials-")
        except FolderError as exc:
            raise SourceError(
                f"trials cache {self.root}: cannot write ({exc}); check RXCOMPARE_CACHE"
            ) from None
        except OSError as exc:
            raise SourceError(
                f"trials cache {target}: cannot write ({exc}); check RXCOMPARE_CACHE"
            ) from None

    def load(self, name: str) -> dict[str, Any] | None:
        """The stored document, None when absent; a damaged file is a :class:`SourceError`."""
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            doc = loads_json(read_bounded(path))
            ok = doc.get("schema") == STORE_SCHEMA and isinstance(doc.get("records"), dict)
            datetime.fromisoformat(doc["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            raise SourceError(
                f"trials cache {path} cannot be read; delete it or run `rxcompare trials {name} --fetch` again"
            )
        return doc
