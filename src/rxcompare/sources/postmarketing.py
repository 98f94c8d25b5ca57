"""Post-marketing sources for the comparison: the local FAERS warehouse, or openFDA online.

A source returns head-to-head 2x2 tables (as :class:`~rxcompare.models.Signal` records without
statistics: the comparison computes them), cases per year and the caveats of spontaneous reporting.
The warehouse counts deduplicated cases; openFDA counts reports.
"""

from __future__ import annotations

import os
from pathlib import Path

from rxcompare import settings
from rxcompare.models import Citation, Contingency, Drug, PostMarketing, Signal
from rxcompare.sources.faers.warehouse import Warehouse

SUSPECT = ("PS", "SS")

CAVEATS = (
    "Spontaneous reports measure reporting, not incidence: they have no denominator of treated patients.",
    "Market size, time on the market and the patients treated differ between drugs and shape report counts.",
    "Reporting rises after label changes, publicity and litigation (stimulated reporting).",
    "A reporting odds ratio is hypothesis-generating; it does not show that a drug causes an event.",
)


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


class WarehouseSource:
    """Head-to-head counts from a deduplicated FAERS warehouse (DuckDB)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, roles: tuple[str, ...] = SUSPECT):
        self.warehouse = Warehouse(path)
        self.roles = roles
        self.description = f"FAERS warehouse ({self.warehouse.path.name})"

    def _drug_filter(self, drug: Drug, several: bool) -> tuple[str, str]:
        """SQL condition on case_drugs for a drug and its description (product level when needed)."""
        p = drug.product
        if several:
            return f"d.product = {_sql_list([p.id])}", f"product {p.brand}"
        return f"d.ingredient = {_sql_list([p.ingredient])}", f"ingredient {p.ingredient}"

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
        con = self.warehouse.connect()
        try:
            fa, da = self._drug_filter(a, several[0])
            fb, db = self._drug_filter(b, several[1])
            ind = ""
            if indication:
                ind = (
                    " AND EXISTS (SELECT 1 FROM case_indications i WHERE i.primaryid = d.primaryid"
                    " AND i.drug_seq = d.drug_seq AND i.indi_pt LIKE "
                    + _sql_list(["%" + indication.upper() + "%"])
                    + ")"
                )
            roles = _sql_list(self.roles)
            con.execute(
                f"""
                CREATE TEMP TABLE arm AS
                WITH xa AS (SELECT DISTINCT d.primaryid FROM case_drugs d
                            WHERE d.role_cod IN ({roles}) AND {fa}{ind}),
                     xb AS (SELECT DISTINCT d.primaryid FROM case_drugs d
                            WHERE d.role_cod IN ({roles}) AND {fb}{ind}),
                     all_a AS (SELECT DISTINCT d.primaryid FROM case_drugs d WHERE {fa}),
                     all_b AS (SELECT DISTINCT d.primaryid FROM case_drugs d WHERE {fb})
                SELECT primaryid, 'a' AS arm FROM xa WHERE primaryid NOT IN (SELECT primaryid FROM all_b)
                UNION ALL
                SELECT primaryid, 'b' AS arm FROM xb WHERE primaryid NOT IN (SELECT primaryid FROM all_a)
                """
            )
            sizes = dict(con.execute("SELECT arm, count(*) FROM arm GROUP BY arm").fetchall())
            na, nb = sizes.get("a", 0), sizes.get("b", 0)
            status = self.warehouse.status()
            quarters = [q.quarter for q in status.quarters]
            span = f"{quarters[0]}-{quarters[-1]}" if quarters else "none"
            signals = []
            for name, terms in groups.items():
                event_sql = self._event_sql(terms)
                rows = dict(
                    (arm, (n, s))
                    for arm, n, s in con.execute(
                        f"""SELECT arm.arm, count(*), count(*) FILTER (WHERE c.serious)
                            FROM arm JOIN cases c USING (primaryid)
                            WHERE arm.primaryid IN ({event_sql}) GROUP BY arm.arm"""
                    ).fetchall()
                )
                ea, sa = rows.get("a", (0, 0))
                eb, sb = rows.get("b", (0, 0))
                table = Contingency(ea, na - ea, eb, nb - eb)
                citation = Citation(
                    kind="faers",
                    title="FAERS quarterly data files (FDA), deduplicated local warehouse",
                    detail=(
                        ("quarters", span),
                        ("deduplication", "one row per case: latest fda_dt, then highest primaryid; "
                                          "cases on FDA deleted-case lists removed"),
                        ("counting_unit", "deduplicated case"),
                        ("query", f"{da} vs {db}; roles {'+'.join(self.roles)}; cases naming both excluded"
                                  + (f"; indication contains {indication!r}" if indication else "")
                                  + f"; event group {name!r}"),
                        ("counts", f"a={table.a}, b={table.b}, c={table.c}, d={table.d}"),
                    ),
                )
                signals.append(
                    Signal(
                        drug=a.product.brand, event=name, table=table, estimates=(), citation=citation,
                        counting_unit="deduplicated case", comparator=b.product.brand, terms=tuple(terms),
                        filters=(("roles", "+".join(self.roles)), ("indication", indication or "")),
                        extra=(("serious_a", sa), ("serious_b", sb)),
                    )
                )
            per_year = [
                (a.product.id if arm == "a" else b.product.id, int(year), n)
                for arm, year, n in con.execute(
                    """SELECT arm.arm, substr(coalesce(c.init_fda_dt, c.fda_dt), 1, 4) AS y, count(*)
                       FROM arm JOIN cases c USING (primaryid)
                       WHERE y SIMILAR TO '[0-9]{4}' GROUP BY ALL ORDER BY 1, 2"""
                ).fetchall()
            ]
        finally:
            con.close()
        citation = Citation(
            kind="faers",
            title="FAERS quarterly data files (FDA), deduplicated local warehouse",
            detail=(("quarters", span), ("counting_unit", "deduplicated case"),
                    ("per_year", "cases by year first received by FDA (init_fda_dt)")),
        )
        return PostMarketing(
            signals=tuple(signals), per_year=tuple(per_year), caveats=CAVEATS, citation=citation,
            provenance=(("faers", f"{self.description}: quarters {span}, {status.cases_after} cases after deduplication"),),
        )

    @staticmethod
    def _event_sql(terms: tuple[str, ...]) -> str:
        pts = [t for t in terms if not t.startswith("@")]
        outcomes = [t.split(":", 1)[1] for t in terms if t.startswith("@outcome:")]
        parts = []
        if pts:
            parts.append(f"SELECT primaryid FROM case_reactions WHERE pt IN ({_sql_list(pts)})")
        for code in outcomes:
            parts.append(f"SELECT primaryid FROM cases WHERE list_contains(string_split(outcomes, ','), {_sql_list([code])})")
        return " UNION ".join(parts) or "SELECT NULL"


def pick_source(warehouse: str | os.PathLike[str] | None, online: bool, probe: bool = True, client=None):
    """The post-marketing source to use, or ``(None, why)``.

    ``online`` uses openFDA; else a warehouse given (or configured) whose case tables exist; else,
    when no warehouse was named and ``probe`` is on, openFDA if it answers within a second or two.
    """
    from rxcompare.sources.online import OpenFdaClient
    from rxcompare.sources.openfda_events import OpenFdaEvents

    if online:
        return OpenFdaEvents(client or OpenFdaClient()), ""
    path = Path(settings.WAREHOUSE.get(warehouse) or "")
    if (path / "cases.parquet").exists():
        return WarehouseSource(path), ""
    if warehouse is not None:
        return None, f"the FAERS warehouse {path} holds no deduplicated cases yet."
    if probe:
        client = client or OpenFdaClient()
        if client.is_reachable(timeout=1.5):
            return OpenFdaEvents(client), ""
    return None, "no FAERS warehouse was found and openFDA could not be reached."
