"""The post-marketing dimension: head-to-head reporting odds ratios from spontaneous reports.

A post-marketing source (a local FAERS warehouse, :mod:`rxcompare.sources.faers.postmarketing`, or
openFDA online, :mod:`rxcompare.sources.openfda.events`) implements :class:`PostMarketingSource`;
:func:`pick_source` picks one. Without one, the dimension says what is missing and how to add it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from rxcompare import settings
from rxcompare.comparison import phrases as ph
from rxcompare.comparison.evidence import Evidence, finding
from rxcompare.models import Drug, Favours, Finding, Grade, PostMarketing


class PostMarketingSource(Protocol):
    description: str

    def head_to_head(
        self,
        a: Drug,
        b: Drug,
        groups: dict[str, tuple[str, ...]],
        indication: str | None,
        product_level: tuple[bool, bool] = (False, False),
    ) -> PostMarketing:
        """Head-to-head tables per event group; ``product_level`` asks for counting a drug by its
        product (brand) rather than its ingredient, for ingredients with several products."""
        ...


def absent(
    a: Evidence, b: Evidence, reason: str, audience: str = "clinician"
) -> tuple[Finding, ...]:
    """No post-marketing source: what is missing and, for a clinician, how to add it (a patient
    is told no commands)."""
    patient = audience == "patient"
    text = (
        ph.POSTMARKETING_ABSENT_PATIENT
        if patient
        else ph.POSTMARKETING_ABSENT.format(reason=reason)
    )
    return (
        finding(
            "postmarketing",
            "postmarketing.absent",
            text,
            Favours.UNCLEAR,
            Grade.ABSENT,
            (a.label, b.label),
            advice="" if patient else ph.POSTMARKETING_ADVICE,
        ),
    )


def pick_source(
    warehouse: str | os.PathLike[str] | None, online: bool, probe: bool = False, client=None
):
    """The post-marketing source to use, or ``(None, why)``.

    ``online`` uses openFDA; else a warehouse given (or configured) whose case tables exist; else
    none: the comparison then says so and how to add one. Nothing waits on the network unless
    asked: ``online``, or ``probe`` (openFDA if it answers within a second or two when no
    warehouse was named).
    """
    if online:
        from rxcompare.sources.openfda.client import OpenFdaClient
        from rxcompare.sources.openfda.events import OpenFdaEvents

        return OpenFdaEvents(client or OpenFdaClient()), ""
    path = Path(settings.WAREHOUSE.get(warehouse) or "")
    if (path / "cases.parquet").exists():
        # DuckDB and pyarrow: imported only when a warehouse is used
        from rxcompare.sources.faers.postmarketing import WarehouseSource

        return WarehouseSource(path), ""
    if warehouse is not None:
        return None, f"the FAERS warehouse {path} holds no deduplicated cases yet."
    if probe:
        from rxcompare.sources.openfda.client import OpenFdaClient
        from rxcompare.sources.openfda.events import OpenFdaEvents

        client = client or OpenFdaClient()
        if client.is_reachable(timeout=1.5):
            return OpenFdaEvents(client), ""
        return None, "no FAERS warehouse was found and openFDA could not be reached."
    return None, "no FAERS warehouse was found and no online source was asked for."
