"""Which system and snapshot a count came from, and the four choices that change it.

Published FAERS counts for one drug differ by an order of magnitude (ocrelizumab: 7,948, 50,967
and 143,788 "reports" in three papers) because the system and snapshot, the counting unit, the role
filter, the indication filter and the window differ. :func:`describe_source` names them in one
place, for every signals and study output (``source`` in the JSON envelope, one line on the
terminal by :func:`rxcompare.render.signal_text.source_line`):

- ``system``: ``FAERS quarterly data extract`` (FDA's ASCII files, 2012q4 on), ``AERS quarterly data
  extract (legacy)`` (2004q1-2012q3) or ``openFDA bulk drug/event``;
- ``quarters``: the quarters held (for openFDA bulk, the export's date as ``snapshot``);
- ``counting_unit``; ``roles``; ``indication`` (None: any); ``window`` (the quarters received counted).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["SYSTEMS", "describe_source"]

SYSTEMS = {
    "faers": "FAERS quarterly data extract",
    "laers": "AERS quarterly data extract (legacy)",
    "openfda": "openFDA bulk drug/event",
}
_ROLE_NAMES = {
    "PS": "primary suspect",
    "SS": "secondary suspect",
    "C": "concomitant",
    "I": "interacting",
}


def _roles(roles: tuple[str, ...]) -> str:
    return "+".join(roles) + " (" + ", ".join(_ROLE_NAMES.get(r, r) for r in roles) + ")"


def describe_source(
    location: str | os.PathLike[str],
    query: Any = None,
    counting_unit: str | None = None,
    description: str = "",
) -> dict[str, Any]:
    """The ``source`` of a warehouse count (see the module doc). ``query`` is the
    :class:`~rxcompare.sources.faers.counts.CountQuery` counted (default: suspect roles, every quarter).
    A warehouse read through a URL (Spark on a shared store) names no quarters it cannot list."""
    from rxcompare.sources.faers import store
    from rxcompare.sources.faers.counts import COUNTING_UNIT, CountQuery

    query = CountQuery() if query is None else query
    location = os.fspath(location)
    quarters: list[str] = []
    layouts: set[str] = set()
    snapshots: set[str] = set()
    if "://" not in location and Path(location).is_dir():
        for q, (manifest, _) in sorted(store.held_quarters(Path(location)).items()):
            quarters.append(q)
            origin = (manifest or {}).get("origin") or {}
            layouts.add(
                "openfda"
                if origin.get("system") == "openfda-bulk"
                else (manifest or {}).get("layout", "faers")
            )
            if origin.get("snapshot"):
                snapshots.add(str(origin["snapshot"]))
    system = (
        " + ".join(SYSTEMS.get(x, x) for x in sorted(layouts))
        or "FAERS warehouse (quarters not listed)"
    )
    held = f"{quarters[0]}-{quarters[-1]}" if quarters else "not listed"
    window = (
        f"quarters received {'-'.join(query.quarters)}"
        if query.quarters
        else f"every quarter held ({held})"
    )
    out: dict[str, Any] = {
        "system": system,
        "quarters": quarters,
        "counting_unit": counting_unit or COUNTING_UNIT,
        "roles": _roles(tuple(query.roles)),
        "indication": query.indication,
        "window": window,
        "level": query.level,
    }
    if snapshots:
        out["snapshot"] = ", ".join(sorted(snapshots))
    if description:
        out["description"] = description
    return out
