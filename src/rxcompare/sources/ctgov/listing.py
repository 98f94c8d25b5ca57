"""The trials of a registry answer as the ``rxcompare/trials`` JSON document (the text listing is
:func:`rxcompare.render.trials.trials_outline`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rxcompare.models import envelope
from rxcompare.sources.ctgov.records import Registry, Trial

__all__ = ["trials_json"]


def trials_json(registries: Sequence[Registry]) -> dict[str, Any]:
    """The listing as a versioned JSON document (incidences included)."""
    from rxcompare.models import to_dict

    def trial(t: Trial) -> dict[str, Any]:
        d = to_dict(t)
        d["name"], d["url"], d["usable"] = t.name, t.url, t.usable
        return d

    return envelope(
        "rxcompare/trials",
        registries=[
            {
                "name": r.name,
                "fetched_at": r.fetched_at.isoformat() if r.fetched_at else None,
                "from_cache": r.from_store,
                "queries": list(r.queries),
                "total": r.total,
                "error": r.error or None,
                "notes": list(r.notes),
                "trials": [trial(t) for t in r.trials],
            }
            for r in registries
        ],
    )
