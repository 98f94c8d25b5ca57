"""RxNav, NLM's RxNorm API: a name's RxNorm concepts, and the closest names when it has none.

Three endpoints, JSON (https://lhncbc.nlm.nih.gov/RxNav/APIs/RxNormAPIs.html):

- ``REST/drugs.json?name=X`` (getDrugs): ``{"drugGroup": {"name", "conceptGroup": [{"tty",
  "conceptProperties": [{"rxcui", "name", "synonym", "tty", "language", "suppress", "umlscui"}]}]}}``;
  a name RxNorm does not know gives groups without ``conceptProperties`` (or none).
- ``REST/approximateTerm.json?term=X&maxEntries=N`` (getApproximateMatch): ``{"approximateGroup":
  {"inputTerm", "candidate": [{"rxcui", "rxaui", "score", "rank", "name"?, "source"?}]}}``, best
  first (rank 1); a candidate's ``name`` is present only for sources without restrictions.
- ``REST/rxcui/{rxcui}/properties.json`` (getRxConceptProperties): ``{"properties": {"rxcui",
  "name", "synonym", "tty", ...}}``, without ``properties`` for a concept not in the active set.

The client is the shared client's cache, retries and errors (:class:`~rxcompare.sources.http.CachedClient`)
with RxNav's base URL (``RXCOMPARE_RXNAV_BASE``) and its own cache folder (``<RXCOMPARE_CACHE>/rxnav``).

:func:`identify` is what resolution asks: the concepts RxNorm holds under the name exactly, else
the closest concepts, which are only ever offered (a near spelling is never taken for a medicine).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rxcompare import settings
from rxcompare.errors import OnlineError
from rxcompare.sources.http import CachedClient

if TYPE_CHECKING:
    import httpx

__all__ = ["Concept", "RxNavClient", "approximate", "concept", "concepts_named", "identify"]

# RxNorm term types that name a medicine rather than a pack or a dose form alone
# (IN ingredient, PIN precise ingredient, MIN multiple ingredients, BN brand name, SCD/SBD clinical
# and branded drugs, SCDC/SBDC their components, SCDF/SBDF their dose forms)
MEDICINE_TTYS = (
    "IN",
    "PIN",
    "MIN",
    "BN",
    "SBD",
    "SCD",
    "SBDC",
    "SCDC",
    "SBDF",
    "SCDF",
    "GPCK",
    "BPCK",
)


@dataclass(frozen=True)
class Concept:
    """One RxNorm concept: its id (RxCUI), name and term type (IN ingredient, BN brand, ...)."""

    rxcui: str
    name: str
    tty: str
    synonym: str = ""


class RxNavClient(CachedClient):
    """The shared client's cache, retries and errors, for RxNav (no key: ``key_setting`` None)."""

    service = "RxNav (RxNorm)"
    base_setting = settings.RXNAV_BASE
    key_setting = None
    cache_name = "rxnav"
    endpoint_pattern = re.compile(r"^REST/(drugs|approximateTerm|rxcui/\d{1,12}/properties)\.json$")
    endpoint_form = (
        "REST/drugs.json, REST/approximateTerm.json or REST/rxcui/<digits>/properties.json"
    )

    def _not_found(self, response: httpx.Response, url: str, params: Any):
        raise OnlineError(
            f"RxNav at {self.base} has no such resource ({url}: 404); check {self.base_setting.env}"
        )

    def _refused(self, response: httpx.Response, url: str) -> OnlineError:
        text = " ".join(response.text[:200].split()) or response.reason_phrase
        return OnlineError(
            f"RxNav at {self.base} answered {response.status_code} ({text}) to {url}; "
            f"check {self.base_setting.env} or run without --online"
        )


def _shape(doc: Any, key: str, url: str) -> dict[str, Any]:
    """``doc[key]`` as an object ({} when absent or null: RxNav leaves empty fields out)."""
    value = doc.get(key) if isinstance(doc, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OnlineError(
            f"RxNav answered {url} with {key!r} that is not an object; not RxNav's reply shape"
        )
    return value


def _concept(d: Any) -> Concept | None:
    if not isinstance(d, dict) or not str(d.get("rxcui") or "").strip():
        return None
    return Concept(
        str(d["rxcui"]).strip(),
        str(d.get("name") or ""),
        str(d.get("tty") or ""),
        str(d.get("synonym") or ""),
    )


def concepts_named(client: RxNavClient, name: str) -> list[Concept]:
    """The concepts RxNorm holds under ``name`` (getDrugs), ingredients and brands first."""
    fetched = client.fetch("REST/drugs.json", {"name": name})
    groups = _shape(fetched.data, "drugGroup", fetched.url).get("conceptGroup") or []
    if not isinstance(groups, list):
        raise OnlineError(f"RxNav answered {fetched.url} with a conceptGroup that is not a list")
    out = [
        c
        for g in groups
        if isinstance(g, dict)
        for c in map(_concept, g.get("conceptProperties") or [])
        if c
    ]
    order = {t: i for i, t in enumerate(MEDICINE_TTYS)}
    return sorted(dict.fromkeys(out), key=lambda c: order.get(c.tty, len(order)))


def concept(client: RxNavClient, rxcui: str) -> Concept | None:
    """The properties of one concept (getRxConceptProperties); None when it is not active."""
    if not str(rxcui).isdigit():
        raise OnlineError(f"RxCUI {rxcui!r} is not a number; RxNorm concept ids are digits")
    fetched = client.fetch(f"REST/rxcui/{rxcui}/properties.json", {})
    return _concept(_shape(fetched.data, "properties", fetched.url))


def approximate(client: RxNavClient, term: str, max_entries: int = 5) -> list[tuple[Concept, int]]:
    """The concepts closest to ``term`` (getApproximateMatch) with their rank (1 best), named by
    their properties where the candidate carries no name; best first, each concept once."""
    fetched = client.fetch(
        "REST/approximateTerm.json", {"term": term, "maxEntries": max_entries, "option": 1}
    )
    candidates = _shape(fetched.data, "approximateGroup", fetched.url).get("candidate") or []
    if not isinstance(candidates, list):
        raise OnlineError(f"RxNav answered {fetched.url} with candidates that are not a list")
    seen: dict[str, tuple[Concept, int]] = {}
    for c in candidates:
        if not isinstance(c, dict) or not str(c.get("rxcui") or "").isdigit():
            continue
        rxcui = str(c["rxcui"])
        rank = int(c["rank"]) if str(c.get("rank") or "").isdigit() else len(seen) + 1
        if rxcui in seen:
            continue
        found = concept(client, rxcui)
        if found is not None:
            seen[rxcui] = (found, rank)
    return sorted(seen.values(), key=lambda x: x[1])


def identify(client: RxNavClient, name: str) -> tuple[list[Concept], list[Concept]]:
    """``(concepts of the name, closest concepts)``: the first list when RxNorm holds the name
    exactly (the second is then empty), else the closest concepts of rank 1 and 2 -- to offer,
    never to take in place of the name."""
    exact = concepts_named(client, name)
    if exact:
        return exact, []
    return [], [c for c, rank in approximate(client, name) if rank <= 2 and c.tty in MEDICINE_TTYS]
