"""The FAERS / legacy LAERS quarterly file layout: tables, file names, quarters, canonical columns.

Facts from FDA's ASC_NTS.pdf shipped in every quarterly zip (see FORMATS.md):

- seven ``$``-delimited tables per quarter (DEMO, DRUG, REAC, OUTC, RPSR, THER, INDI), file names
  like ``DEMO22Q4.txt`` whose case varies across years, plus a deleted-case list in recent quarters;
- FAERS (2012q4 on) keys rows by ``primaryid`` and ``caseid``; legacy LAERS (2004q1-2012q3) by ``isr``
  and ``case`` (and a few columns have other names: ``gndr_cod`` for ``sex``, ``i_f_cod``);
- dates are ``YYYYMMDD``, often truncated to ``YYYYMM`` or ``YYYY``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

TABLES = ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")

# Columns every quarter table carries after ingestion (added as NULL when a layout lacks them),
# so that the quarters of both layouts can be read together by name.
CANONICAL: dict[str, tuple[str, ...]] = {
    "demo": (
        "primaryid",
        "caseid",
        "caseversion",
        "i_f_code",
        "event_dt",
        "mfr_dt",
        "init_fda_dt",
        "fda_dt",
        "rept_cod",
        "age",
        "age_cod",
        "sex",
        "occp_cod",
        "reporter_country",
        "occr_country",
    ),
    "drug": ("primaryid", "caseid", "drug_seq", "role_cod", "drugname", "prod_ai", "route"),
    "reac": ("primaryid", "caseid", "pt"),
    "outc": ("primaryid", "caseid", "outc_cod"),
    "rpsr": ("primaryid", "caseid", "rpsr_cod"),
    "ther": ("primaryid", "caseid", "dsg_drug_seq", "start_dt", "end_dt"),
    "indi": ("primaryid", "caseid", "indi_drug_seq", "indi_pt"),
}

# Legacy LAERS column -> FAERS column (the legacy column is kept too).
LEGACY_RENAMES: dict[str, dict[str, str]] = {
    "demo": {"isr": "primaryid", "case": "caseid", "gndr_cod": "sex", "i_f_cod": "i_f_code"},
    "drug": {"isr": "primaryid"},
    "reac": {"isr": "primaryid"},
    "outc": {"isr": "primaryid"},
    "rpsr": {"isr": "primaryid"},
    "ther": {"isr": "primaryid", "drug_seq": "dsg_drug_seq"},
    "indi": {"isr": "primaryid", "drug_seq": "indi_drug_seq"},
}

# A header must name these columns (in either layout) to be accepted as the table its file name says.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "demo": (("primaryid", "isr"), ("caseid", "case"), ("fda_dt",)),
    "drug": (("primaryid", "isr"), ("drug_seq",), ("role_cod",), ("drugname",)),
    "reac": (("primaryid", "isr"), ("pt",)),
    "outc": (("primaryid", "isr"), ("outc_cod",)),
    "rpsr": (("primaryid", "isr"), ("rpsr_cod",)),
    "ther": (("primaryid", "isr"), ("start_dt",), ("end_dt",)),
    "indi": (("primaryid", "isr"), ("indi_pt",)),
}

DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "demo": ("event_dt", "mfr_dt", "init_fda_dt", "fda_dt", "rept_dt"),
    "ther": ("start_dt", "end_dt"),
}

DATE_PATTERN = r"^(1[89]|20)\d\d((0[1-9]|1[0-2])((0[1-9]|[12]\d|3[01]))?)?$"
"""YYYY, YYYYMM or YYYYMMDD with a plausible year, month and day (precision is kept as written)."""

_TABLE_FILE = re.compile(
    r"^(demo|drug|reac|outc|rpsr|ther|indi)(\d\d)q([1-4])(?:_new)?\.txt$", re.IGNORECASE
)
_DELETED_FILE = re.compile(r"^delete(?:d)?(\d\d)q([1-4]).*\.txt$", re.IGNORECASE)
_ZIP_NAME = re.compile(r"(?:^|[^a-z])(f?aers)_ascii_(\d{4})q([1-4])", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})q([1-4])$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(v\d+)?$")


@dataclass(frozen=True)
class TableFile:
    """A table file found in a quarter: which table, which quarter, and its path inside the source."""

    table: str
    quarter: str  # "2022q4"
    name: str  # path inside the zip or folder, as found


def parse_quarter(text: str) -> str:
    """``"2023Q1"`` -> ``"2023q1"``; raises ValueError when the text is not a quarter."""
    m = _QUARTER.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a quarter; write it as YYYYqN, e.g. 2023q1")
    return f"{m.group(1)}q{m.group(2)}"


MAX_QUARTERS = 400
"""The most quarters one command expands a range into (a century; FAERS and LAERS began in 2004)."""


def quarter_span(first: str, last: str) -> int:
    """How many quarters ``first`` to ``last`` holds, both included (0 when last comes first)."""
    a, b = parse_quarter(first), parse_quarter(last)
    return max(0, (int(b[:4]) * 4 + int(b[5])) - (int(a[:4]) * 4 + int(a[5])) + 1)


def current_quarter(today: date | None = None) -> str:
    """The calendar quarter under way (UTC): no FAERS quarter after it has been published."""
    today = today or datetime.now(UTC).date()
    return f"{today.year}q{(today.month - 1) // 3 + 1}"


def quarter_range(first: str, last: str, limit: int = MAX_QUARTERS) -> list[str]:
    """All quarters from ``first`` to ``last`` inclusive, e.g. 2023q3..2024q1. Raises ValueError
    (naming the bound) for a range of more than ``limit`` quarters."""
    a, b = parse_quarter(first), parse_quarter(last)
    if (n := quarter_span(a, b)) > limit:
        raise ValueError(f"{a}-{b} holds {n:,} quarters; at most {limit} are taken at a time")
    y, q = int(a[:4]), int(a[5])
    ye, qe = int(b[:4]), int(b[5])
    out = []
    while (y, q) <= (ye, qe):
        out.append(f"{y}q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def is_legacy_quarter(quarter: str) -> bool:
    """True for the legacy LAERS quarters 2004q1-2012q3 (FAERS starts with 2012q4)."""
    return (int(quarter[:4]), int(quarter[5])) <= (2012, 3)


def classify(name: str) -> TableFile | None:
    """Recognise a table file by its base name, case-insensitively (``DEMO18Q1_new.txt`` too).

    STAT and SIZE files, PDFs and anything else return None.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    m = _TABLE_FILE.match(base)
    if not m:
        return None
    return TableFile(m.group(1).lower(), f"20{m.group(2)}q{m.group(3)}", name)


def deleted_quarter(name: str) -> str | None:
    """The quarter of a deleted-case list file (``Deleted/DELETE22Q4.txt``), else None."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    m = _DELETED_FILE.match(base)
    return f"20{m.group(1)}q{m.group(2)}" if m else None


def quarter_from_source_name(name: str) -> str | None:
    """The quarter named by a zip or folder (``faers_ascii_2022Q4.zip`` -> ``2022q4``), else None."""
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    m = _ZIP_NAME.search(base)
    return f"{m.group(2)}q{m.group(3)}" if m else None


def header_names(header_line: str) -> list[str]:
    """Column names of a header line, lower-case; placeholder names (``v23`` or empty) become ``_extra``."""
    names = [n.strip().lower() for n in header_line.rstrip("\r\n").split("$")]
    out = []
    for i, n in enumerate(names):
        if _PLACEHOLDER.match(n) and i == len(names) - 1:
            out.append("_extra")
        elif not n:
            out.append(f"_col{i + 1}")
        else:
            out.append(n)
    return out


def check_header(table: str, names: list[str]) -> str | None:
    """None when the header fits the table, else the reason it does not."""
    missing = [alts[0] for alts in REQUIRED[table] if not any(a in names for a in alts)]
    if missing:
        return f"header lacks {', '.join(missing)}: not a {table.upper()} table"
    return None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file, read in chunks (quarter identity and download checks)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
