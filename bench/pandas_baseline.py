"""The plain pandas FAERS pipeline most studies use: read_csv, sort/drop_duplicates, str ops, to_parquet.

Run as a script: ``python bench/pandas_baseline.py QUARTER_FOLDER OUT_FOLDER [SYNONYMS_CSV]``.
It loads DEMO, DRUG, REAC, OUTC, INDI, THER of one extracted quarter, deduplicates (latest fda_dt,
then highest primaryid per caseid; deleted cases dropped), normalises drug names with pandas string
methods (upper-case, strip strengths, forms and punctuation, synonym lookup) and writes Parquet.
Rejects are not counted: pandas' ``on_bad_lines="skip"`` drops them, as such scripts usually do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

STRENGTH = r"\b\d+(?:[.,]\d+)?\s*(?:MCG|MG|UG|G|ML|L|IU|UNITS?|U|%)(?:\s*/\s*(?:\d+(?:[.,]\d+)?\s*)?(?:MCG|MG|UG|G|ML|L))*\b"
FORMS = r"\b(?:TABLETS?|TABS?|CAPSULES?|INJECTION|SOLUTION|PEN|PREFILLED|SYRINGE|ORAL|CREAM|INFUSION|SENSOREADY)\b"


def read(folder: Path, table: str) -> pd.DataFrame:
    path = next(p for p in (folder / "ASCII").iterdir() if p.name.upper().startswith(table))
    return pd.read_csv(
        path,
        sep="$",
        dtype=str,
        quoting=3,
        encoding="latin-1",
        on_bad_lines="skip",
        keep_default_na=False,
        na_values=[""],
    )


def clean(s: pd.Series) -> pd.Series:
    s = s.fillna("").str.upper().str.replace(r"\(.*?\)", " ", regex=True)
    s = s.str.replace(STRENGTH, " ", regex=True).str.replace(FORMS, " ", regex=True)
    s = (
        s.str.replace(r"[^A-Z0-9\- ]", " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    return s


def main(folder: Path, out: Path, synonyms: Path | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    demo = read(folder, "DEMO")
    demo["primaryid"] = demo["primaryid"].astype("int64")
    demo["caseid"] = demo["caseid"].astype("int64")
    demo = demo.sort_values(["caseid", "fda_dt", "primaryid"]).drop_duplicates(
        "caseid", keep="last"
    )
    deleted_dir = folder / "Deleted"
    if deleted_dir.exists():
        ids = set()
        for p in deleted_dir.iterdir():
            ids |= {int(x) for x in p.read_text(encoding="latin-1").split() if x.strip().isdigit()}
        demo = demo[~demo["caseid"].isin(ids)]
    outc = read(folder, "OUTC")
    outc["primaryid"] = outc["primaryid"].astype("int64")
    oc = outc.groupby("primaryid")["outc_cod"].agg(lambda x: ",".join(sorted(set(x))))
    demo = demo.merge(oc.rename("outcomes"), left_on="primaryid", right_index=True, how="left")
    demo["serious"] = demo["outcomes"].notna()
    demo.to_parquet(out / "cases.parquet", index=False)
    keep = demo[["primaryid"]]

    drug = read(folder, "DRUG")
    drug["primaryid"] = drug["primaryid"].astype("int64")
    drug = drug.merge(keep, on="primaryid")
    syn = {}
    if synonyms is not None:
        s = pd.read_csv(synonyms, dtype=str)
        syn = dict(zip(clean(s["name"]), s["ingredient"].str.lower()))
    name = clean(drug["drugname"])
    ai = clean(drug["prod_ai"])
    by_name = name.map(syn)
    drug["ingredient"] = by_name.fillna(ai.where(ai != "", name).str.lower())
    drug.to_parquet(out / "case_drugs.parquet", index=False)
    del drug

    for table, col in (("REAC", "pt"), ("INDI", "indi_pt"), ("THER", None)):
        df = read(folder, table)
        df["primaryid"] = df["primaryid"].astype("int64")
        df = df.merge(keep, on="primaryid")
        if col:
            df[col] = df[col].str.upper().str.strip()
        if table == "REAC":
            df = df.drop_duplicates(["primaryid", "pt"])
        df.to_parquet(out / f"case_{table.lower()}.parquet", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
