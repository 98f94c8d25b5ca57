"""RxNorm, through NLM's RxNav REST API: which medicine a name is (:mod:`.client`)."""

from rxcompare.sources.rxnorm.client import (
    Concept,
    RxNavClient,
    approximate,
    concept,
    concepts_named,
    identify,
)

__all__ = ["Concept", "RxNavClient", "approximate", "concept", "concepts_named", "identify"]
