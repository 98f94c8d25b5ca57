"""Reading a pack: a pack document as a :class:`~.record.Pack`, and which pack :func:`load_pack`
reads (a file given, else the user pack when it exists, else the embedded one)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rxcompare import settings
from rxcompare.errors import PackError
from rxcompare.models import Citation, Fact, Incidence, Product
from rxcompare.sources.atomic import TooLargeError, loads_json, read_bounded
from rxcompare.sources.pack.record import SCHEMA, VERSION, Pack, PackLabel, SectionText

__all__ = [
    "embedded_forced",
    "forget_loaded",
    "load_pack",
    "pack_from_dict",
    "product_from_dict",
    "user_pack_path",
]


def _citation(d: dict[str, Any]) -> Citation:
    d = dict(d)
    d["detail"] = tuple(sorted((d.get("detail") or {}).items()))
    return Citation(**d)


def _fact(d: dict[str, Any]) -> Fact:
    return Fact(
        product=d["product"],
        topic=d["topic"],
        text=d["text"],
        citation=_citation(d["citation"]),
        value=d.get("value"),
        unit=d.get("unit"),
        qualifiers=tuple((k, str(v)) for k, v in (d.get("qualifiers") or {}).items()),
    )


def _incidence(d: dict[str, Any]) -> Incidence:
    d = dict(d)
    d["citation"] = _citation(d["citation"])
    return Incidence(**d)


def product_from_dict(d: dict[str, Any]) -> Product:
    return Product(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def _pack_label(d: dict[str, Any]) -> PackLabel:
    return PackLabel(**{k: (None if v is None else str(v)) for k, v in d.items()})


def pack_from_dict(
    data: dict[str, Any], origin: str = "pack", kind: str = "file", path: str | None = None
) -> Pack:
    if not isinstance(data, dict):
        raise PackError(
            f"{origin}: not a knowledge pack (a JSON {type(data).__name__}, expected an object "
            f"with schema {SCHEMA!r}); rebuild it with `rxcompare pack build`"
        )
    if data.get("schema") != SCHEMA:
        raise PackError(
            f"{origin}: not a knowledge pack (schema {data.get('schema')!r}, expected {SCHEMA!r})"
        )
    if data.get("version") != VERSION:
        raise PackError(
            f"{origin}: pack version {data.get('version')!r}, this rxcompare reads version {VERSION}; "
            "rebuild it with `rxcompare pack build`"
        )
    try:
        return Pack(
            version=data["version"],
            built=data["built"],
            products=tuple(product_from_dict(p) for p in data["products"]),
            facts=tuple(_fact(f) for f in data["facts"]),
            incidences=tuple(_incidence(i) for i in data["incidences"]),
            event_groups=tuple((k, tuple(v)) for k, v in data.get("event_groups", {}).items()),
            sources=tuple(data.get("sources", {}).items()),
            coverage=tuple((k, tuple(v)) for k, v in data.get("coverage", {}).items()),
            labels=tuple(
                _pack_label({"product": k, **v}) for k, v in data.get("labels", {}).items()
            ),
            # "safety_text": the name of a pack written before the whole label was kept
            label_text=tuple(
                (k, tuple(SectionText(**s) for s in v))
                for k, v in data.get("label_text", data.get("safety_text", {})).items()
            ),
            unread_tables=tuple(
                (k, tuple((str(sec), str(cap)) for sec, cap in v))
                for k, v in data.get("unread_tables", {}).items()
            ),
            origin=kind,
            path=path,
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PackError(
            f"{origin}: malformed pack record ({exc}); rebuild it with `rxcompare pack build`"
        ) from exc


def user_pack_path() -> Path | None:
    """Where ``pack update`` writes and :func:`load_pack` looks first (None: the setting is empty)."""
    value = settings.USER_PACK.get()
    return Path(value).expanduser() if value else None


def embedded_forced() -> bool:
    """Whether ``RXCOMPARE_EMBEDDED_PACK`` asks for the embedded pack whatever else exists."""
    return (settings.EMBEDDED_PACK.get() or "").strip().lower() in ("1", "true", "yes", "on")


def load_pack(path: str | os.PathLike[str] | None = None) -> Pack:
    """Load a pack file; without one, the user pack when it exists, else the embedded pack.

    ``RXCOMPARE_EMBEDDED_PACK=1`` skips the user pack. A user pack that exists but cannot be read
    is an error (never a silent fall-back to older labels); the message says how to fix it.
    """
    if path is not None:
        return _load_file(Path(path), "file")
    user = None if embedded_forced() else user_pack_path()
    if user is not None and user.is_file():
        return _load_file(user, "user")
    return _embedded()


def _load_file(p: Path, kind: str) -> Pack:
    try:
        stat = p.stat()
    except FileNotFoundError:
        raise PackError(
            f"pack file {p} does not exist; build one with `rxcompare pack build`"
        ) from None
    except OSError as exc:
        raise PackError(f"pack file {p} cannot be read ({exc})") from None
    return _cached_file(str(p), kind, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _cached_file(path: str, kind: str, _mtime_ns: int, _size: int) -> Pack:
    p = Path(path)
    fix = (
        "run `rxcompare pack update --all` again, delete it, or set RXCOMPARE_EMBEDDED_PACK=1"
        if kind == "user"
        else "rebuild it"
    )
    try:
        data = loads_json(read_bounded(p))
    except FileNotFoundError as exc:
        raise PackError(
            f"pack file {p} does not exist; build one with `rxcompare pack build`"
        ) from exc
    except TooLargeError as exc:
        raise PackError(
            f"{'user pack' if kind == 'user' else 'pack file'} {p} is not a knowledge pack ({exc}); "
            f"{fix}"
        ) from None
    except (OSError, ValueError) as exc:
        raise PackError(
            f"{'user pack' if kind == 'user' else 'pack file'} {p} is not valid JSON ({exc}); {fix}"
        ) from exc
    return pack_from_dict(data, f"user pack {p}" if kind == "user" else str(p), kind, str(p))


@lru_cache(maxsize=1)
def _embedded() -> Pack:
    ref = resources.files("rxcompare") / "data" / "pack.json"
    try:
        data = json.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackError("the embedded knowledge pack is missing; reinstall rxcompare") from exc
    return pack_from_dict(data, "embedded pack", "embedded")


def forget_loaded() -> None:
    """Forget the packs read so far (after a pack was written, the next load reads the file)."""
    _embedded.cache_clear()
    _cached_file.cache_clear()
