"""The warehouse's post-marketing source for the comparison: head-to-head counts of deduplicated cases.

It returns head-to-head 2x2 tables per event group (as :class:`~rxcompare.models.Signal` records
without statistics: the comparison computes them), cases per year and the caveats of spontaneous
reporting, the shape of :class:`rxcompare.comparison.postmarketing.PostMarketingSource` (openFDA's
counts of reports are the other source, :class:`rxcompare.sources.openfda.events.OpenFdaEvents`).
"""

from __future__ import annotations

import os

from rxcompare.models import Citation, Contingency, Drug, PostMarketing, Signal
from rxcompare.sources.faers.counts import (
    SUSPECT,
    CountQuery,
    arm_sizes_by_year,
    arms_table,
    group_counts,
)
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.warehouse import Warehouse

__all__ = ["CAVEATS", "WarehouseSource"]

CAVEATS = (
    "Spontaneous reports measure reporting, not incidence: they have no denominator of treated patients.",
    "Market size, time on the market and the patients treated differ between drugs and shape report counts.",
    "Reporting rises after label changes, publicity and litigation (stimulated reporting).",
    "A reporting odds ratio is hypothesis-generating; it does not show that a drug causes an event.",
)


class WarehouseSource:
    """Head-to-head counts from a deduplicated FAERS warehouse, counted by the engine-neutral
    counting layer (:mod:`rxcompare.sources.faers.counts`) on DuckDB, or on Spark with
    ``engine="spark"``."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        roles: tuple[str, ...] = SUSPECT,
        engine: str = "duckdb",
        spark_master: str | None = None,
    ):
        self.warehouse = Warehouse(path)
        self.roles = roles
        self.engine = engine
        self.spark_master = spark_master
        self.description = f"FAERS warehouse ({self.warehouse.path.name})"

    @staticmethod
    def _drug_key(drug: Drug, several: bool) -> tuple[tuple[str, str], str]:
        """(column of case_drugs, value) for a drug, and its description (product level when needed)."""
        p = drug.product
        if several:
            return ("product", p.id), f"product {p.brand}"
        return ("ingredient", p.ingredient), f"ingredient {p.ingredient}"

    def head_to_head(
        self,
        a: Drug,
        b: Drug,
        groups: dict[str, tuple[str, ...]],
        indication: str | None,
        product_level: tuple[bool, bool] = (False, False),
    ) -> PostMarketing:
        same = a.ingredient == b.ingredient
        several = (product_level[0] or same, product_level[1] or same)
        ka, da = self._drug_key(a, several[0])
        kb, db = self._drug_key(b, several[1])
        query = CountQuery(roles=self.roles, indication=indication or None)
        from rxcompare.sources.faers.store import read_consistently

        def read():  # one state of the case tables, read again when a commit came between
            with connect_engine(
                self.warehouse.path, self.engine, spark_master=self.spark_master
            ) as t:
                arms, _ = arms_table(t, ka, kb, query, case_filters=False)
                got = t.fetch(arms.group_by("arm").agg(n=arms.count()))
                sizes = dict(zip(got.column("arm").to_pylist(), got.column("n").to_pylist()))
                hits = group_counts(t, arms, groups)
                years = arm_sizes_by_year(t, arms)
            return sizes, hits, years, self.warehouse.status()

        local = self.engine == "duckdb" and self.warehouse.path.is_dir()
        sizes, hits, years, status = (
            read_consistently(self.warehouse.path, read) if local else read()
        )
        na, nb = int(sizes.get("a", 0)), int(sizes.get("b", 0))
        quarters = [q.quarter for q in status.quarters]
        span = f"{quarters[0]}-{quarters[-1]}" if quarters else "none"
        signals = []
        for name, terms in groups.items():
            ea, sa = hits[name].get("a", (0, 0))
            eb, sb = hits[name].get("b", (0, 0))
            table = Contingency(ea, na - ea, eb, nb - eb)
            citation = Citation(
                kind="faers",
                title="FAERS quarterly data files (FDA), deduplicated local warehouse",
                detail=(
                    ("quarters", span),
                    (
                        "deduplication",
                        "one row per case: latest fda_dt, then highest primaryid; "
                        "cases on FDA deleted-case lists removed",
                    ),
                    ("counting_unit", "deduplicated case"),
                    (
                        "query",
                        f"{da} vs {db}; roles {'+'.join(self.roles)}; cases naming both excluded"
                        + (f"; indication contains {indication!r}" if indication else "")
                        + f"; event group {name!r}",
                    ),
                    ("counts", f"a={table.a}, b={table.b}, c={table.c}, d={table.d}"),
                ),
            )
            signals.append(
                Signal(
                    drug=a.product.brand,
                    event=name,
                    table=table,
                    estimates=(),
                    citation=citation,
                    counting_unit="deduplicated case",
                    comparator=b.product.brand,
                    terms=tuple(terms),
                    filters=(("roles", "+".join(self.roles)), ("indication", indication or "")),
                    extra=(("serious_a", sa), ("serious_b", sb)),
                )
            )
        per_year = [
            (a.product.id if arm == "a" else b.product.id, year, n) for arm, year, n in years
        ]
        citation = Citation(
            kind="faers",
            title="FAERS quarterly data files (FDA), deduplicated local warehouse",
            detail=(
                ("quarters", span),
                ("counting_unit", "deduplicated case"),
                ("per_year", "cases by year first received by FDA (init_fda_dt)"),
            ),
        )
        return PostMarketing(
            signals=tuple(signals),
            per_year=tuple(per_year),
            caveats=CAVEATS,
            citation=citation,
            provenance=(
                (
                    "faers",
                    f"{self.description}: quarters {span}, {status.cases_after} cases after deduplication",
                ),
            ),
        )
