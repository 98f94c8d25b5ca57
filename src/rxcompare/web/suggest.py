"""Drug-name suggestions as the user types: the knowledge pack's products, then FAERS warehouse names.

Pack products come first (they can be compared): names that start with the typed text, then names
that contain it, then close spellings. An ingredient with several products (ofatumumab: Kesimpta and
Arzerra) is offered as each product, never as the bare ingredient, since the products differ in
safety. Warehouse suggestions are the normalised ingredient names of the deduplicated FAERS cases
(``case_drugs.ingredient``) that the pack does not hold, most reported first; they are marked as
not comparable here (only post-marketing signals exist for them).
"""

from __future__ import annotations

import difflib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from rxcompare.comparison.resolve import normalise_name
from rxcompare.errors import RxCompareError
from rxcompare.sources.pack import Pack


@dataclass(frozen=True)
class Suggestion:
    """One name to offer: ``name`` goes into the field; ``detail`` says what it is."""

    name: str
    detail: str
    source: str  # "pack" or "warehouse"
    product: str | None = None  # pack product id
    ingredient: str | None = None
    comparable: bool = True
    reports: int | None = None  # deduplicated cases naming it, for warehouse names


def _pack_entries(pack: Pack) -> list[tuple[str, Suggestion]]:
    """(normalised key, suggestion) for every brand, synonym and ingredient of the pack."""
    out = []
    for p in pack.products:
        route = ", ".join(p.routes)
        detail = p.ingredient + (f"; {route}" if route else "")
        s = Suggestion(p.brand, detail, "pack", p.id, p.ingredient)
        for name in dict.fromkeys((p.brand, p.id, *p.synonyms, p.ingredient)):
            out.append((normalise_name(name), s))
    return out


class DrugIndex:
    """Suggestions from a pack and, optionally, a FAERS warehouse folder (read lazily, cached)."""

    def __init__(self, pack: Pack, warehouse: str | os.PathLike[str] | None = None):
        self.pack = pack
        self._entries = _pack_entries(pack)
        self._ingredients = {normalise_name(p.ingredient) for p in pack.products}
        self.warehouse = Path(warehouse) if warehouse else None
        self._names: list[tuple[str, str, int]] | None = None  # (normalised, name, reports)
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    def suggest(self, query: str, limit: int = 10) -> list[Suggestion]:
        key = normalise_name(query)
        if not key:
            return []
        ranked: dict[str, tuple[int, Suggestion]] = {}

        def offer(rank: int, s: Suggestion) -> None:
            ident = s.product or f"warehouse:{s.name}"
            if ident not in ranked or rank < ranked[ident][0]:
                ranked[ident] = (rank, s)

        for name, s in self._entries:
            if name.startswith(key):
                offer(0 if normalise_name(s.name).startswith(key) else 1, s)
            elif key in name:
                offer(2, s)
        if not ranked:  # nothing starts with or contains the text: try close spellings
            close = difflib.get_close_matches(
                key, [n for n, _ in self._entries], n=limit, cutoff=0.75
            )
            for name, s in self._entries:
                if name in close:
                    offer(3, s)
        out = [s for _, s in sorted(ranked.values(), key=lambda r: (r[0], r[1].name.lower()))]
        if len(out) < limit:
            out += self._warehouse_suggestions(key, limit - len(out))
        return out[:limit]

    # --- warehouse ------------------------------------------------------------------------------

    def _table(self) -> Path | None:
        if self.warehouse is None:
            return None
        path = self.warehouse / "case_drugs.parquet"
        return path if path.is_file() else None

    def ready(self) -> bool:
        """True when suggesting needs no warehouse read (none configured, or its names are loaded)."""
        table = self._table()
        return table is None or (self._names is not None and _stamp(table) == self._stamp)

    def warehouse_names(self) -> list[tuple[str, str, int]]:
        """(normalised, name, reports) of the warehouse's ingredients, most reported first.

        Read once, and again when the case tables change (a new quarter was ingested: its update
        layer leaves ``case_drugs.parquet`` as it was, dedup.json is written anew): the names are
        those of one state of the warehouse, read again when a commit came while they were read.
        """
        from rxcompare.sources.faers.store import read_consistently

        table = self._table()
        if table is None:
            return []
        with self._lock:
            if self._names is None or _stamp(table) != self._stamp:
                where = self.warehouse
                self._names, self._stamp = read_consistently(
                    where, lambda: (_read_names(where), _stamp(table))
                )
            return self._names

    def _warehouse_suggestions(self, key: str, limit: int) -> list[Suggestion]:
        try:
            names = self.warehouse_names()
        except RxCompareError:
            return []  # a warehouse that cannot be read offers no names; /healthz reports it
        out = []
        for norm, name, reports in names:
            if norm.startswith(key) and norm not in self._ingredients:
                out.append(
                    Suggestion(
                        name,
                        f"FAERS only; {reports} case(s)",
                        "warehouse",
                        None,
                        name,
                        comparable=False,
                        reports=reports,
                    )
                )
                if len(out) >= limit:
                    break
        return out


def _stamp(table: Path) -> tuple | None:
    """Which state of the case tables ``table``'s warehouse holds (its generation: dedup.json's
    identity, None while a commit is under way) and when ``table`` was last written."""
    from rxcompare.sources.faers.store import generation

    try:
        written = table.stat().st_mtime_ns
    except OSError:
        written = None
    return (generation(table.parent), written)


def _read_names(warehouse: Path) -> list[tuple[str, str, int]]:
    import duckdb

    from rxcompare.errors import FaersError
    from rxcompare.sources.faers.warehouse import Warehouse

    con = Warehouse(warehouse).connect()
    try:
        rows = con.execute(
            "SELECT ingredient, count(DISTINCT caseid) AS n FROM case_drugs "
            "WHERE ingredient IS NOT NULL AND ingredient <> '' GROUP BY ingredient ORDER BY n DESC, ingredient"
        ).fetchall()
    except duckdb.Error as exc:
        raise FaersError(
            f"warehouse {warehouse}: cannot read case_drugs ({exc}); re-ingest or run "
            "`rxcompare faers dedup`"
        ) from None
    finally:
        con.close()
    return [(normalise_name(name), name, int(n)) for name, n in rows]


__all__ = ["DrugIndex", "Suggestion"]
