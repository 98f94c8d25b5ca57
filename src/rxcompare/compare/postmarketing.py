"""The post-marketing dimension: head-to-head reporting odds ratios from spontaneous reports.

A post-marketing source (a local FAERS warehouse, or openFDA online) implements
:class:`PostMarketingSource`. Without one, the dimension says what is missing and how to add it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rxcompare.compare import phrases as ph
from rxcompare.compare.evidence import Evidence, finding
from rxcompare.models import Citation, Drug, Favours, Finding, Grade, Signal


@dataclass(frozen=True)
class PostMarketing:
    """What a source returns for a pair of drugs."""

    signals: tuple[Signal, ...]  # head-to-head, one per event group
    per_year: tuple[tuple[str, int, int], ...]  # (product id, year, cases)
    caveats: tuple[str, ...]
    citation: Citation
    provenance: tuple[tuple[str, str], ...] = ()


class PostMarketingSource(Protocol):
    description: str

    def head_to_head(
        self, a: Drug, b: Drug, groups: dict[str, tuple[str, ...]], indication: str | None
    ) -> PostMarketing: ...


def absent(a: Evidence, b: Evidence, reason: str) -> tuple[Finding, ...]:
    return (
        finding(
            "postmarketing", "postmarketing.absent", ph.POSTMARKETING_ABSENT.format(reason=reason),
            Favours.UNCLEAR, Grade.ABSENT, (a.label, b.label),
        ),
    )
