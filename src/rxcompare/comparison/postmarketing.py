"""The post-marketing dimension: head-to-head reporting odds ratios from spontaneous reports.

A post-marketing source (a local FAERS warehouse, or openFDA online) implements
:class:`PostMarketingSource`. Without one, the dimension says what is missing and how to add it.
"""

from __future__ import annotations

from typing import Protocol

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


def absent(a: Evidence, b: Evidence, reason: str, audience: str = "clinician") -> tuple[Finding, ...]:
    """No post-marketing source: what is missing and, for a clinician, how to add it (a patient
    is told no commands)."""
    patient = audience == "patient"
    text = ph.POSTMARKETING_ABSENT_PATIENT if patient else ph.POSTMARKETING_ABSENT.format(reason=reason)
    return (
        finding(
            "postmarketing", "postmarketing.absent", text,
            Favours.UNCLEAR, Grade.ABSENT, (a.label, b.label),
            advice="" if patient else ph.POSTMARKETING_ADVICE,
        ),
    )
