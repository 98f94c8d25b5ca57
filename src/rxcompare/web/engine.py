"""The web app's link to the library: resolve, compare, render, with every result cached.

A comparison depends only on the pack, the post-marketing source (and the state of a local FAERS
warehouse: its :meth:`Engine.generation`), the two names, the audience and the patient factors, so
it is computed once per such key (``functools.lru_cache``) and so are its JSON and HTML renderings;
an ingest into the served warehouse is answered with its new counts. Concurrent calls for one key that is not cached yet share one
computation (:class:`SingleFlight`): the first caller computes, the others wait for its result. Input errors name the field ("a" or "b") they come from, so the page can
offer suggestions for the right field.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rxcompare import __version__, settings
from rxcompare.comparison import compare
from rxcompare.comparison.evidence import gather
from rxcompare.comparison.head_to_head import scored_postmarketing
from rxcompare.comparison.resolve import MAX_NAME, candidates, resolve_pair
from rxcompare.errors import QuestionError, SourceError, UnknownDrugError
from rxcompare.models import Comparison, Drug, envelope, to_dict
from rxcompare.render.html import render_page
from rxcompare.render.json import render_json
from rxcompare.sources.pack import Pack
from rxcompare.web.responses import FieldError
from rxcompare.web.suggest import DrugIndex, Suggestion

if TYPE_CHECKING:
    from rxcompare.comparison.postmarketing import PostMarketingSource

FIELDS = {"a": "first", "b": "second"}


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    """Concurrent calls with the same key share one computation, made by the first caller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Any, _Call] = {}

    def run(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if leader:
                call = self._calls[key] = _Call()
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.value
        try:
            call.value = make()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
        return call.value


def pick_postmarketing(warehouse: str | os.PathLike[str] | None, online: bool) -> tuple[Any, str]:
    """The post-marketing source for comparisons, or (None, why there is none)."""
    try:
        from rxcompare.comparison.postmarketing import pick_source
    except ImportError:
        return None, "this build has no post-marketing source."
    return pick_source(Path(warehouse) if warehouse else None, online)


class Engine:
    """Cached comparisons, renderings, suggestions and signals over one pack."""

    def __init__(
        self,
        pack: Pack,
        *,
        warehouse: str | os.PathLike[str] | None = None,
        postmarketing: PostMarketingSource | None = None,
        postmarketing_missing: str = "no FAERS warehouse or online source was given.",
        cache_size: int = 256,
        trials: Any = None,
        online: bool = False,
    ):
        self.pack = pack
        self.online = online  # labels from openFDA for names outside the pack; newer-label notices
        self.postmarketing = postmarketing
        self.missing = postmarketing_missing
        self.trials = trials  # a RegistrySource, as the CLI's compare uses
        where = settings.WAREHOUSE.get(warehouse)
        self.index = DrugIndex(pack, where)
        self.comparison = lru_cache(maxsize=cache_size)(self._comparison)
        self._flights = SingleFlight()
        self.compare_json = lru_cache(maxsize=cache_size)(self._compare_json)
        self.compare_page = lru_cache(maxsize=cache_size)(self._compare_page)
        self._signals_done: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._warehouse = Path(where) if where else None
        self._ready: dict[tuple, bytes] = {}  # renderings already made, read without a thread hop
        self._size = cache_size
        self._lock = threading.Lock()

    # --- resolution with the field named -----------------------------------------------------

    def _check(self, field: str, name: str) -> None:
        if not name.strip():
            raise FieldError(
                field,
                QuestionError(
                    f"the {FIELDS[field]} medicine name ({field}) is empty; give a brand or generic name "
                    "(/api/drugs?q=... suggests names)"
                ),
            )
        if len(name) > MAX_NAME:
            raise FieldError(
                field,
                QuestionError(
                    f"the {FIELDS[field]} medicine name ({field}) has {len(name)} characters; a name has at "
                    f"most {MAX_NAME}"
                ),
            )

    def resolve(
        self, a: str, b: str, indication: str | None = None, pack: Pack | None = None
    ) -> tuple[Drug, Drug]:
        """Both drugs (in ``pack``, else the engine's), or the error of the field that failed."""
        pack = pack or self.pack
        self._check("a", a)
        self._check("b", b)
        try:
            return resolve_pair(a, b, pack, indication=indication)
        except UnknownDrugError as exc:
            ids_a = candidates(a, pack)[0]
            ids_b = candidates(b, pack)[0]
            field = "a" if not ids_a else "b" if not ids_b else "a" if len(ids_a) > 1 else "b"
            raise FieldError(field, exc) from None

    # --- cached results ----------------------------------------------------------------------

    def _comparison(
        self,
        a: str,
        b: str,
        audience: str = "clinician",
        factors: tuple[str, ...] = (),
        generation: Any = None,
    ) -> Comparison:
        """The library's one pipeline (:func:`rxcompare.comparison.compare`), with a name's error
        given to its field. ``generation`` only keys the cache (the warehouse state it was read in)."""
        self._check("a", a)
        self._check("b", b)
        try:
            return compare(
                a,
                b,
                pack=self.pack,
                factors=factors,
                audience=audience,
                online=self.online,
                postmarketing=self.postmarketing,
                postmarketing_missing=self.missing,
                trials=self.trials,
            )
        except UnknownDrugError as exc:
            raise FieldError("b" if exc.position == 1 else "a", exc) from None

    def _compare_json(
        self,
        a: str,
        b: str,
        audience: str = "clinician",
        factors: tuple[str, ...] = (),
        generation: Any = None,
    ) -> bytes:
        c = self.shared_comparison(a, b, audience, factors, generation)
        return render_json(c).encode("utf-8")

    def _compare_page(
        self,
        a: str,
        b: str,
        audience: str = "clinician",
        factors: tuple[str, ...] = (),
        generation: Any = None,
    ) -> bytes:
        c = self.shared_comparison(a, b, audience, factors, generation)
        return render_page(c, a=a, b=b, audience=audience, factors=factors).encode("utf-8")

    def shared_comparison(
        self,
        a: str,
        b: str,
        audience: str = "clinician",
        factors: tuple[str, ...] = (),
        generation: Any = None,
    ) -> Comparison:
        """The cached comparison; one computation for concurrent callers of one key. The key holds
        the warehouse's :meth:`generation` (taken now unless given)."""
        gen = self.generation() if generation is None else generation
        key = ("comparison", a, b, audience, factors, gen)
        return self._flights.run(key, lambda: self.comparison(a, b, audience, factors, gen))

    def rendered(self, kind: str, *key: Any) -> bytes | None:
        """A rendering ("json" or "page") made already for this key and the warehouse's present
        :meth:`generation`, else None; does no work."""
        return self._ready.get((kind, *key, self.generation()))

    def render(self, kind: str, a: str, b: str, audience: str, factors: tuple[str, ...]) -> bytes:
        """Make (or take from the cache) a rendering and keep it for :meth:`rendered`; concurrent
        calls for one key (the warehouse's :meth:`generation` included) share one rendering."""
        make = self.compare_json if kind == "json" else self.compare_page
        gen = self.generation()
        key = (kind, a, b, audience, factors, gen)
        body = self._flights.run(key, lambda: make(a, b, audience, factors, gen))
        with self._lock:
            if len(self._ready) >= self._size:
                self._ready.pop(next(iter(self._ready)))  # the oldest
            self._ready[key] = body
        return body

    def generation(self) -> tuple[int, int, int] | None:
        """Which state of the warehouse's case tables is served: dedup.json's inode, size and
        modification time (each commit renames a new dedup.json into place), None without one."""
        if self._warehouse is None:
            return None
        try:
            st = (self._warehouse / "dedup.json").stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def signals(self, a: str, b: str, indication: str | None = None) -> dict[str, Any]:
        """Head-to-head post-marketing signals of A against B, per event group of the pack.

        As in the comparison's post-marketing dimension: restricted to the indication given, else
        to the one both products share; counted per product when an ingredient has several; each
        table with its head-to-head ROR (:func:`rxcompare.comparison.head_to_head.with_ror`).
        Cached by the products the names resolve to (not the names as typed) and the warehouse's
        :meth:`generation`: an ingest into the served warehouse is answered with its new counts.
        """
        da, db = self.resolve(a, b, indication)
        key = (da.product.id, db.product.id, indication, self.generation())
        with self._lock:
            if key in self._signals_done:
                self._signals_done.move_to_end(key)
                return self._signals_done[key]
        doc = self._flights.run(("signals", *key), lambda: self._signals(da, db, indication))
        with self._lock:
            self._signals_done[key] = doc
            while len(self._signals_done) > self._size:
                self._signals_done.popitem(last=False)  # the least recently asked
        return doc

    def _signals(self, da: Drug, db: Drug, indication: str | None) -> dict[str, Any]:
        if self.postmarketing is None:
            raise SourceError(
                f"no post-marketing source: {self.missing} Start the server with --warehouse DIR "
                "(after `rxcompare faers ingest`) or --online."
            )
        pm, shared = scored_postmarketing(
            gather(da, self.pack), gather(db, self.pack), self.pack, self.postmarketing, indication
        )
        return {
            "ok": True,
            **envelope(
                "rxcompare/head-to-head",
                a=da.product.id,
                b=db.product.id,
                indication=shared,
                source=getattr(self.postmarketing, "description", ""),
                signals=[to_dict(s) for s in pm.signals],
                per_year=[{"product": p, "year": y, "count": n} for p, y, n in pm.per_year],
                caveats=list(pm.caveats),
                citation=to_dict(pm.citation),
                provenance=dict(pm.provenance),
            ),
        }

    def suggest(self, q: str, limit: int = 10) -> list[Suggestion]:
        return self.index.suggest(q, limit)

    def health(self) -> dict[str, Any]:
        info = self.comparison.cache_info()
        table = self.index.warehouse / "case_drugs.parquet" if self.index.warehouse else None
        return {
            "ok": True,
            "status": "ok",
            "version": __version__,
            "pack": {
                "version": self.pack.version,
                "built": self.pack.built,
                "products": len(self.pack.products),
            },
            "warehouse": {
                "configured": self.index.warehouse is not None,
                "suggestions": bool(table and table.is_file()),
            },
            "postmarketing": getattr(self.postmarketing, "description", None)
            or f"none: {self.missing}",
            "cache": {"comparisons": info.currsize, "hits": info.hits, "misses": info.misses},
        }


__all__ = ["Engine", "SingleFlight", "pick_postmarketing"]
