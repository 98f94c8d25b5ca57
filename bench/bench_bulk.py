"""Benchmark: the same reports ingested from openFDA bulk files and from FDA's quarterly zip.

``python bench/bench_bulk.py --reports 100000 --repeat 3`` writes one synthetic quarter as FDA ships it
(``faers_ascii_YYYYqN.zip``), ingests it once into a scratch warehouse, and writes the quarter's
reports again as openFDA bulk parts (``YYYYqN/drug-event-NNNN-of-NNNN.json.zip``, up to ``--per-part``
records each, in openFDA's record shape: ``safetyreportid``, ``patient.drug[]``,
``patient.reaction[]``, ``seriousness*``); none of that is timed. Then, each in its own child process,
round by round:

- ``quarterly zip``: ``Warehouse.ingest(zip)`` into an empty warehouse;
- ``openFDA bulk``: ``ingest_bulk(parts)`` into an empty warehouse (the JSON streamed twice: the
  versions kept, then the rows in FDA's layout; then the same ingest).

It prints the median wall and CPU seconds and peak RSS of each, the cases each warehouse holds (equal:
the bulk parts carry the quarter's latest version of each case), and writes a CSV under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

from common import run_measured as run
from common import write_results

HERE = Path(__file__).resolve().parent

QUARTERLY = """
import sys
from rxcompare.sources.faers.warehouse import Warehouse
wh = Warehouse(sys.argv[2]); wh.ingest(sys.argv[1])
con = wh.connect(); print(con.sql("SELECT count(*) FROM cases").fetchall()[0][0])
"""

BULK = """
import pathlib, sys
from rxcompare.sources.faers.openfda_bulk import ingest_bulk
from rxcompare.sources.faers.warehouse import Warehouse
parts = sorted(pathlib.Path(sys.argv[1]).glob("*.json.zip"))
ingest_bulk(parts, sys.argv[2])
con = Warehouse(sys.argv[2]).connect(); print(con.sql("SELECT count(*) FROM cases").fetchall()[0][0])
"""

_ROLE = {"PS": "1", "SS": "1", "C": "2", "I": "3"}
_SEX = {"M": "1", "F": "2"}
_OUTC = {
    "DE": "seriousnessdeath",
    "LT": "seriousnesslifethreatening",
    "HO": "seriousnesshospitalization",
    "DS": "seriousnessdisabling",
    "CA": "seriousnesscongenitalanomali",
    "OT": "seriousnessother",
}


def write_bulk(warehouse: Path, quarter: str, out: Path, per_part: int) -> int:
    """The quarter's latest version of each case (the deduplicated case tables) as openFDA bulk parts."""
    from rxcompare.sources.faers.warehouse import Warehouse

    con = Warehouse(warehouse).connect()
    q = f"'{warehouse}/quarters/{quarter}'"
    cases = con.sql(
        "SELECT primaryid, caseid, caseversion, fda_dt, init_fda_dt, sex FROM cases ORDER BY caseid"
    ).fetchall()
    drugs: dict[int, list] = {}
    for pid, _seq, role, name in con.sql(
        f"SELECT primaryid, drug_seq, role_cod, drugname FROM read_parquet({q} || "
        "'/drug.parquet') ORDER BY primaryid, drug_seq"
    ).fetchall():
        drugs.setdefault(pid, []).append(
            {"medicinalproduct": name, "drugcharacterization": _ROLE.get(role, "2")}
        )
    reactions: dict[int, list] = {}
    for pid, pt in con.sql(
        f"SELECT primaryid, pt FROM read_parquet({q} || '/reac.parquet')"
    ).fetchall():
        reactions.setdefault(pid, []).append({"reactionmeddrapt": pt})
    outcomes: dict[int, list] = {}
    for pid, code in con.sql(
        f"SELECT primaryid, outc_cod FROM read_parquet({q} || '/outc.parquet')"
    ).fetchall():
        outcomes.setdefault(pid, []).append(code)
    records = []
    for pid, caseid, version, fda_dt, init_dt, sex in cases:
        rec = {
            "safetyreportid": str(caseid),
            "safetyreportversion": str(version),
            "receivedate": init_dt or fda_dt,
            "receiptdate": fda_dt,
            "serious": "1" if outcomes.get(pid) else "2",
            "patient": {
                "patientsex": _SEX.get(sex or "", "0"),
                "drug": drugs.get(pid, []),
                "reaction": reactions.get(pid, []),
            },
        }
        for code in outcomes.get(pid, []):
            if code in _OUTC:
                rec[_OUTC[code]] = "1"
        records.append(rec)
    out.mkdir(parents=True)
    n = max(1, -(-len(records) // per_part))
    for i in range(n):
        part = records[i * per_part : (i + 1) * per_part]
        name = f"drug-event-{i + 1:04d}-of-{n:04d}.json"
        doc = {
            "meta": {
                "last_updated": "2026-12-01",
                "results": {"skip": 0, "limit": len(part), "total": len(part)},
            },
            "results": part,
        }
        with zipfile.ZipFile(out / (name + ".zip"), "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(name, json.dumps(doc))
    return len(records)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--per-part", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    with tempfile.TemporaryDirectory(prefix="rxcompare-bench-bulk-") as tmp_dir:
        tmp = Path(tmp_dir)
        truth = synth_quarters(tmp / "src", reports=args.reports, quarters=1, seed=args.seed)
        quarter = truth.quarters[0]
        zip_path = tmp / "src" / f"faers_ascii_{quarter}.zip"
        Warehouse(tmp / "scratch").ingest(zip_path)
        bulk_dir = tmp / "bulk" / quarter
        records = write_bulk(tmp / "scratch", quarter, bulk_dir, args.per_part)
        jobs = {"quarterly zip": (QUARTERLY, str(zip_path)), "openFDA bulk": (BULK, str(bulk_dir))}
        times: dict[str, list[tuple[float, float, float, str]]] = {k: [] for k in jobs}
        for r in range(args.repeat):
            for name, (code, src) in jobs.items():
                times[name].append(
                    run([sys.executable, "-c", code, src, str(tmp / f"wh-{name.split()[0]}-{r}")])
                )
        rows = []
        for name, got in times.items():
            rows.append(
                {
                    "job": name,
                    "wall_s": round(statistics.median(x[0] for x in got), 2),
                    "cpu_s": round(statistics.median(x[2] for x in got), 2),
                    "rss_mb": round(max(x[1] for x in got)),
                    "cases": got[-1][3],
                }
            )
    print(
        f"{args.reports:,} reports in one synthetic quarter; {records:,} cases as openFDA bulk records "
        f"in parts of {args.per_part:,}; median of {args.repeat}"
    )
    write_results(
        rows, ["job", "wall_s", "cpu_s", "rss_mb", "cases"], HERE / "results" / "bulk.csv"
    )


if __name__ == "__main__":
    sys.exit(main())
