"""openFDA's bulk drug/event files (``drug-event-NNNN-of-NNNN.json.zip``) into the FAERS warehouse.

openFDA publishes the whole drug/event dataset as zipped JSON, ``{"meta": ..., "results": [record,
...]}``, one file per part of a quarter (its download index lists them under ``YYYYqN``); it is fed
by FDA's current adverse-event system whatever becomes of the quarterly ASCII extracts. Each record
is one safety report in openFDA's shape (``safetyreportid``, ``safetyreportversion``,
``receivedate``, ``receiptdate``, ``serious*`` flags, ``patient.drug[]``, ``patient.reaction[]``).

How a quarter's parts are read (:func:`stage_bulk_quarter`), streamed (a record at a time; files of
hundreds of MB never sit in memory whole):

1. Deduplicated by ``safetyreportid``: openFDA keeps the latest version of each report, and a report
   seen in two parts keeps its highest ``safetyreportversion`` (then the latest ``receiptdate``).
   The count of dropped copies is recorded.
2. Written as the quarterly layout's ``$``-separated tables (DEMO, DRUG, REAC, OUTC, RPSR, THER,
   INDI), so that :func:`~rxcompare.sources.faers.ingest.ingest_quarter` loads, checks and
   deduplicates them exactly as it does FDA's files and writes the same tables. The mapping (FAERS
   ASC_NTS.pdf against openFDA's field reference):

   - ``caseid`` = ``safetyreportid`` (FAERS XML's safety report id is the case id; a legacy id's
     check digit after the hyphen is dropped),
     ``caseversion`` = ``safetyreportversion``, ``primaryid`` = the two written together;
   - ``init_fda_dt`` = ``receivedate`` (first received), ``fda_dt`` = ``receiptdate`` (this
     version received); ``occr_country`` = ``occurcountry``; ``occp_cod`` from
     ``primarysource.qualification`` (1 MD, 2 PH, 3 OT, 4 LW, 5 CN); ``sex`` from ``patientsex``
     (1 M, 2 F); ``age``/``age_cod`` from ``patientonsetage``/``patientonsetageunit`` (800 DEC,
     801 YR, 802 MON, 803 WK, 804 DY, 805 HR);
   - DRUG rows from ``patient.drug[]`` in order: ``drugname`` = ``medicinalproduct``, ``prod_ai`` =
     ``activesubstance.activesubstancename``, ``route`` = the E2B route code as given;
     ``drugcharacterization`` 1 (suspect) is written ``SS``, 2 ``C``, 3 ``I``: **openFDA does not
     tell the primary suspect from the others**, so ``--role PS`` finds none in these quarters;
     the default roles (PS+SS) count every suspect drug, as for FDA's files;
   - REAC from ``reactionmeddrapt``; OUTC from the ``seriousness*`` flags (DE, LT, HO, DS, CA, OT);
     INDI from ``drugindication``; THER from ``drugstartdate``/``drugenddate`` (as written: their
     format codes 102, 610, 602 are YYYYMMDD, YYYYMM, YYYY).
   A ``$`` or a line break inside a value becomes a space (counted).
3. The quarter's manifest records ``origin``: the system (``openfda-bulk``), the files, openFDA's
   ``meta.last_updated`` (the snapshot), records read and copies dropped. A warehouse holds one
   system's quarters: ingesting FDA's quarterly files into a warehouse of openFDA bulk quarters, or
   the reverse, is refused (their case versions and counting differ; mixing would double count).
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rxcompare.errors import FaersError
from rxcompare.sources.faers.layout import CANONICAL

__all__ = [
    "BULK_SYSTEM",
    "BulkStage",
    "bulk_quarter",
    "ingest_bulk",
    "is_bulk_file",
    "iter_records",
    "stage_bulk_quarter",
]

BULK_SYSTEM = "openfda-bulk"
_BULK_NAME = re.compile(r"drug-event-\d+-of-\d+\.json(\.zip)?$", re.IGNORECASE)
_QUARTER = re.compile(r"(?:^|[^0-9])(\d{4})\s*q([1-4])(?:[^0-9]|$)", re.IGNORECASE)
_CHUNK = 1 << 20

HEADERS = CANONICAL  # the columns every quarter table carries after ingestion: all a record fills
_ROLES = {"1": "SS", "2": "C", "3": "I"}
_OCCUPATION = {"1": "MD", "2": "PH", "3": "OT", "4": "LW", "5": "CN"}
_SEX = {"1": "M", "2": "F"}
_AGE_UNIT = {"800": "DEC", "801": "YR", "802": "MON", "803": "WK", "804": "DY", "805": "HR"}
_OUTCOMES = (
    ("seriousnessdeath", "DE"),
    ("seriousnesslifethreatening", "LT"),
    ("seriousnesshospitalization", "HO"),
    ("seriousnessdisabling", "DS"),
    ("seriousnesscongenitalanomali", "CA"),
    ("seriousnessother", "OT"),
)


def is_bulk_file(path: str | os.PathLike[str]) -> bool:
    """Whether the path is named as an openFDA drug/event bulk file."""
    return bool(_BULK_NAME.search(Path(path).name))


def bulk_quarter(path: str | os.PathLike[str]) -> str | None:
    """The quarter a bulk file belongs to, from a ``YYYYqN`` folder of its path (openFDA's download
    index files the parts of a quarter under it), else None."""
    for part in reversed(Path(path).parts[:-1]):
        m = _QUARTER.search(part)
        if m:
            return f"{m.group(1)}q{m.group(2)}"
    return None


# ---- streaming the JSON -----------------------------------------------------------------------


class _Stream:
    """A text stream read in chunks with a decode position (``raw_decode`` on the buffer)."""

    def __init__(self, fh: io.TextIOBase, origin: str):
        self.fh, self.origin = fh, origin
        self.buf, self.pos, self.eof, self.offset = "", 0, False, 0
        self.decoder = json.JSONDecoder()

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.offset += self.pos
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def skip(self, chars: str = " \t\r\n") -> str:
        """Skip ``chars``; the next character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in chars:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def expect(self, char: str) -> None:
        got = self.skip()
        if got != char:
            raise FaersError(
                f"{self.origin}: expected {char!r} at character {self.offset + self.pos:,}, found "
                f'{got[:1]!r}; an openFDA bulk file is one JSON object {{"meta": ..., "results": [...]}}'
            )
        self.pos += 1

    def value(self) -> Any:
        self.skip()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():
                    continue
                raise FaersError(
                    f"{self.origin}: not valid JSON at character {self.offset + exc.pos:,} ({exc.msg}); "
                    "the file may be cut short: download it again"
                ) from None
            if end == len(self.buf) and not self.eof and self.more():  # a number may go on
                continue
            self.pos = end
            return value


def iter_records(
    path: str | os.PathLike[str], meta: dict | None = None
) -> Iterator[dict[str, Any]]:
    """The records of one bulk file (``.json.zip`` or ``.json``), one at a time; ``meta`` (a dict)
    receives the file's ``meta`` object."""
    path = Path(path)
    origin = path.name
    try:
        if path.suffix.lower() == ".zip":
            zf = zipfile.ZipFile(path)
            members = [m for m in zf.namelist() if m.lower().endswith(".json")]
            if len(members) != 1:
                zf.close()
                raise FaersError(
                    f"{origin}: holds {len(members)} .json files, expected one drug/event part"
                )
            raw = zf.open(members[0])
        else:
            zf, raw = None, path.open("rb")
    except (OSError, zipfile.BadZipFile) as exc:
        raise FaersError(f"{origin}: cannot be read as an openFDA bulk file ({exc})") from None
    try:
        s = _Stream(io.TextIOWrapper(raw, encoding="utf-8"), origin)
        s.expect("{")
        while True:
            c = s.skip(" \t\r\n,")
            if c == "}":
                return
            if c != '"':
                raise FaersError(
                    f"{origin}: expected a key at character {s.offset + s.pos:,}; not an openFDA bulk file"
                )
            key = s.value()
            s.expect(":")
            if key != "results":
                value = s.value()
                if key == "meta" and meta is not None and isinstance(value, dict):
                    meta.update(value)
                continue
            s.expect("[")
            while True:
                c = s.skip(" \t\r\n,")
                if c == "]":
                    s.pos += 1
                    break
                record = s.value()
                if not isinstance(record, dict):
                    raise FaersError(
                        f"{origin}: a result that is not a record near character {s.offset + s.pos:,}"
                    )
                yield record
    except UnicodeDecodeError as exc:
        raise FaersError(
            f"{origin}: not UTF-8 ({exc.reason}); openFDA files are UTF-8 JSON"
        ) from None
    finally:
        raw.close()
        if zf is not None:
            zf.close()


# ---- records to the quarterly layout ----------------------------------------------------------


@dataclass(frozen=True)
class BulkStage:
    """A quarter of bulk files written in the quarterly layout (``folder``), and what was read."""

    folder: Path
    quarter: str
    records: int
    reports: int
    duplicates: int
    cleaned_values: int
    origin: dict[str, Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _case_id(record: dict[str, Any], origin: str) -> str:
    """The case id of a record: ``safetyreportid``, without the check digit after a hyphen that
    legacy reports carry (``4562564-7``: openFDA's field reference)."""
    rid = _text(record.get("safetyreportid")).strip()
    head = rid.split("-", 1)[0]
    if not head.isdigit() or ("-" in rid and not rid.split("-", 1)[1].isdigit()):
        raise FaersError(
            f"{origin}: a record with safetyreportid {rid!r}; openFDA report ids are digits "
            "(legacy ones with a check digit after a hyphen)"
        )
    return head


def _key(record: dict[str, Any], origin: str) -> tuple[str, int, str]:
    rid = _case_id(record, origin)
    version = _text(record.get("safetyreportversion")).strip()
    return rid, int(version) if version.isdigit() else 1, _text(record.get("receiptdate"))


class _Writer:
    def __init__(self, folder: Path, quarter: str):
        yy, q = quarter[2:4], quarter[-1]
        (folder / "ASCII").mkdir(parents=True)
        self.files = {
            t: (folder / "ASCII" / f"{t.upper()}{yy}Q{q}.txt").open(
                "w", encoding="utf-8", newline="\n"
            )
            for t in HEADERS
        }
        for t, fh in self.files.items():
            fh.write("$".join(HEADERS[t]) + "\n")
        self.cleaned = 0

    def row(self, table: str, values: Sequence[Any]) -> None:
        out = []
        for v in values:
            text = _text(v)
            if "$" in text or "\n" in text or "\r" in text:
                text = re.sub(r"[$\r\n]", " ", text)
                self.cleaned += 1
            out.append(text)
        self.files[table].write("$".join(out) + "\n")

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()

    def record(self, r: dict[str, Any]) -> None:
        caseid, version = _case_id(r, "record"), _text(r.get("safetyreportversion") or "1").strip()
        pid = f"{caseid}{version}"
        p = r.get("patient") or {}
        source = r.get("primarysource") or {}
        self.row(
            "demo",
            (
                pid,
                caseid,
                version,
                "",
                "",
                "",
                _text(r.get("receivedate")),
                _text(r.get("receiptdate")),
                "",
                _text(p.get("patientonsetage")),
                _AGE_UNIT.get(_text(p.get("patientonsetageunit")), ""),
                _SEX.get(_text(p.get("patientsex")), ""),
                _OCCUPATION.get(_text(source.get("qualification")), ""),
                _text(source.get("reportercountry")),
                _text(r.get("occurcountry")),
            ),
        )
        for seq, d in enumerate(p.get("drug") or [], 1):
            active = (d.get("activesubstance") or {}).get("activesubstancename")
            self.row(
                "drug",
                (
                    pid,
                    caseid,
                    seq,
                    _ROLES.get(_text(d.get("drugcharacterization")), ""),
                    _text(d.get("medicinalproduct")),
                    _text(active),
                    _text(d.get("drugadministrationroute")),
                ),
            )
            if d.get("drugindication"):
                self.row("indi", (pid, caseid, seq, d["drugindication"]))
            if d.get("drugstartdate") or d.get("drugenddate"):
                self.row(
                    "ther",
                    (pid, caseid, seq, _text(d.get("drugstartdate")), _text(d.get("drugenddate"))),
                )
        for x in p.get("reaction") or []:
            if x.get("reactionmeddrapt"):
                self.row("reac", (pid, caseid, x["reactionmeddrapt"]))
        for field, code in _OUTCOMES:
            if _text(r.get(field)) == "1":
                self.row("outc", (pid, caseid, code))


def stage_bulk_quarter(
    paths: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], quarter: str | None = None
) -> BulkStage:
    """Write the parts of one quarter as the quarterly layout in a new folder
    ``out/faers_ascii_<quarter>`` (two passes over the files: the versions kept, then the rows).
    ``quarter`` defaults to the ``YYYYqN`` folder the files sit in (all must agree)."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise FaersError("no openFDA bulk file given")
    found = {bulk_quarter(p) for p in paths}
    if quarter is None:
        if len(found) != 1 or None in found:
            raise FaersError(
                "cannot tell the quarter of "
                + ", ".join(p.name for p in paths)
                + ": put each quarter's parts in a "
                "folder named for it (2024q1/drug-event-0001-of-0004.json.zip, as openFDA's download index files "
                "them) and ingest one quarter's parts together"
            )
        quarter = found.pop()
    best: dict[str, tuple[int, str, int]] = {}
    records = 0
    meta: dict[str, Any] = {}
    for i, path in enumerate(paths):
        for record in iter_records(path, meta if i == 0 else None):
            key = _key(record, path.name)
            records += 1
            old = best.get(key[0])
            if old is None or (key[1], key[2]) > (old[0], old[1]):
                best[key[0]] = (key[1], key[2], records)
    keep = {v[2] for v in best.values()}
    folder = Path(out) / f"faers_ascii_{quarter}"
    writer = _Writer(folder, quarter)
    n = 0
    try:
        for path in paths:
            for record in iter_records(path):
                n += 1
                if n in keep:
                    writer.record(record)
    finally:
        writer.close()
    origin = {
        "system": BULK_SYSTEM,
        "files": [p.name for p in paths],
        "snapshot": meta.get("last_updated"),
        "records": records,
        "reports": len(keep),
        "duplicates_dropped": records - len(keep),
        "values_cleaned": writer.cleaned,
    }
    return BulkStage(
        folder, quarter, records, len(keep), records - len(keep), writer.cleaned, origin
    )


def ingest_bulk(
    paths: Sequence[str | os.PathLike[str]],
    warehouse: str | os.PathLike[str],
    *,
    quarter: str | None = None,
    progress=None,
    synonyms=None,
    strict: bool = False,
):
    """Ingest one quarter's bulk files (:func:`stage_bulk_quarter`, then
    :func:`~rxcompare.sources.faers.ingest.ingest_quarter` with the ``origin``): atomic and
    idempotent as the quarterly path is. Returns the :class:`IngestResult` and the :class:`BulkStage`."""
    import shutil
    import tempfile

    from rxcompare.sources.faers.ingest import ingest_quarter

    root = Path(os.fspath(warehouse))
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".rxcompare-bulk-", dir=root.parent))
    try:
        if progress is not None:
            progress("openFDA bulk: reading", 0, None)
        stage = stage_bulk_quarter(paths, tmp, quarter)
        result = ingest_quarter(
            stage.folder,
            root,
            strict=strict,
            progress=progress,
            synonyms=synonyms,
            origin=stage.origin,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result, stage
