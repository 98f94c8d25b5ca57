"""Counting a long table of reports with DuckDB, scoring it, and the `signals` command."""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import shared_path

from rxcompare.cli import main
from rxcompare.errors import ConfigError, SourceError
from rxcompare.models import COLUMNS
from rxcompare.signals.report_table import (
    count_head_to_head,
    count_report_pairs,
    signals_from_reports,
)
from rxcompare.signals.score import run_signals, score_counts
from rxcompare.stats.thresholds import Thresholds

# A small long table: report x drug x event, with a duplicated row, a report naming a drug twice,
# and rows with an empty field (left out of every count).
ROWS = [
    ("r1", "DRUGA", "NAUSEA"),
    ("r1", "DRUGA", "NAUSEA"),
    ("r1", "DRUGA", "RASH"),
    ("r2", "DRUGA", "NAUSEA"),
    ("r2", "DRUGB", "NAUSEA"),
    ("r3", "DRUGB", "HEADACHE"),
    ("r4", "DRUGB", "NAUSEA"),
    ("r5", "DRUGC", "RASH"),
    ("r6", "DRUGA", "HEADACHE"),
    ("r7", "DRUGC", "NAUSEA"),
    ("r8", "DRUGB", "RASH"),
    ("r9", "", "RASH"),
    ("", "DRUGA", "RASH"),
]


def _brute_force(rows):
    """Reference counts by Python sets (independent of DuckDB)."""
    rows = {r for r in rows if all(r)}
    reports = {r for r, _, _ in rows}
    by_drug = {}
    by_event = {}
    by_pair = {}
    for r, dr, ev in rows:
        by_drug.setdefault(dr, set()).add(r)
        by_event.setdefault(ev, set()).add(r)
        by_pair.setdefault((dr, ev), set()).add(r)
    out = {}
    for (dr, ev), rs in by_pair.items():
        a = len(rs)
        b = len(by_drug[dr]) - a
        c = len(by_event[ev]) - a
        out[(dr, ev)] = (a, b, c, len(reports) - a - b - c)
    return out, len(reports)


@pytest.fixture
def table_csv(tmp_path):
    p = tmp_path / "reports.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["report", "drug", "event"])
        w.writerows(ROWS)
    return p


@pytest.fixture
def table_parquet(tmp_path):
    p = tmp_path / "reports.parquet"
    cols = list(zip(*ROWS))
    pq.write_table(
        pa.table(
            {
                "report": [x or None for x in cols[0]],
                "drug": [x or None for x in cols[1]],
                "event": [x or None for x in cols[2]],
            }
        ),
        p,
    )
    return p


@pytest.mark.parametrize("which", ["table_csv", "table_parquet"])
def test_counts_match_brute_force(which, request):
    path = request.getfixturevalue(which)
    pc = count_report_pairs(path, "report", "drug", "event")
    ref, n = _brute_force(ROWS)
    assert pc.n_reports == n == 8
    assert pc.excluded_rows == 2
    got = {
        (d, e): (a, b, c, dd)
        for d, e, a, b, c, dd in zip(pc.drug, pc.event, pc.a, pc.b, pc.c, pc.d)
    }
    assert got == ref
    assert list(pc.drug) == sorted(pc.drug)


def test_head_to_head_counts(table_csv):
    h = count_head_to_head(table_csv, "DRUGA", "DRUGB", "report", "drug", "event")
    # A only: r1, r6; B only: r3, r4, r8; both: r2 (left out).
    got = {e: (a, b, c, d) for e, a, b, c, d in zip(h.event, h.a, h.b, h.c, h.d)}
    assert got == {"HEADACHE": (1, 1, 1, 2), "NAUSEA": (1, 1, 1, 2), "RASH": (1, 1, 1, 2)}
    assert h.comparator == "DRUGB" and h.n_reports == 5
    assert ("reports naming both, left out", "1") in h.filters


@pytest.mark.parametrize(
    ("path_name", "cols", "fragment"),
    [
        ("missing.csv", ("report", "drug", "event"), "does not exist"),
        ("reports.csv", ("id", "drug", "event"), "no column 'id'"),
        ("reports.xlsx", ("report", "drug", "event"), "unknown file type"),
    ],
)
def test_bad_tables_raise(tmp_path, table_csv, path_name, cols, fragment):
    path = tmp_path / path_name
    if path_name.endswith(".xlsx"):
        path.write_bytes(b"not a table")
    with pytest.raises(SourceError, match=fragment):
        count_report_pairs(path, *cols)


def test_small_table_scores_but_flags_nothing(table_csv):
    pc = count_report_pairs(table_csv, "report", "drug", "event")
    t = score_counts(pc)
    assert t.prior is not None and t.prior.n_pairs == len(pc) == 8
    assert set(t.columns["flags"]) == {""}  # every pair has a < 3
    assert all(len(v) == 8 for v in t.columns.values())


def test_table_too_small_for_mgps_is_scored_without_it(tmp_path):
    # three pairs cannot identify a five-parameter prior: the other statistics are given, MGPS is
    # left out (nan, never flagged) and the table says why, in every output
    p = tmp_path / "tiny.csv"
    p.write_text("report,drug,event\nr1,A,X\nr2,A,Y\nr3,B,X\nr4,B,X\n")
    t = score_counts(count_report_pairs(p, "report", "drug", "event"))
    assert t.prior is None and len(t) == 3
    assert t.mgps_note.startswith("MGPS not estimated:") and "distinct (N, E) points" in t.mgps_note
    assert np.all(np.isnan(t.columns["ebgm"])) and np.all(np.isfinite(t.columns["ror"]))
    assert all("ebgm" not in f for f in t.columns["flags"])
    from rxcompare.signals.files import signals_json, table_arrow

    assert signals_json(t)["mgps_note"] == t.mgps_note
    assert table_arrow(t).schema.metadata[b"mgps_note"].decode() == t.mgps_note


def test_caers_prr_and_rr_match_openebgm():
    # openEBGM's processRaw RR = N/E and PRR, rounded to 2 decimals (caers_counts.csv, SOURCES.md).
    pc = count_report_pairs(shared_path("openebgm", "caers.csv"), "id", "var1", "var2")
    table = score_counts(pc)
    ref = pd.read_csv(shared_path("openebgm", "caers_counts.csv"), keep_default_na=False)
    mine = pd.DataFrame(
        {k: table.columns[k] for k in ("drug", "event", "a", "prr", "e", "prr_method")}
    )
    m = ref.merge(mine, left_on=["var1", "var2"], right_on=["drug", "event"])
    assert len(m) == 17189
    plain = m[m.prr_method == "prr_rothman"]
    assert np.all(np.abs(plain.prr - plain.PRR) <= 0.005 + 1e-9)
    assert np.all(np.abs(m.a / m.e - m.RR) <= 0.005 + 1e-9)
    # PRR is Inf in openEBGM exactly where c = 0, where our policy applies the correction.
    assert set(m[m.prr_method == "prr_rothman_haldane"].PRR) == {np.inf}


def test_run_signals_selects_after_fitting_on_all_pairs():
    path = shared_path("openebgm", "caers.csv")
    full = signals_from_reports(path)
    one = signals_from_reports(path, drug="REUMOFAN PLUS", events=["ARTHRALGIA", "IMMOBILE"])
    assert len(one) == 2 and one.prior == full.prior
    assert ("drug", "REUMOFAN PLUS") in one.filters
    i = np.flatnonzero(
        (full.columns["drug"] == "REUMOFAN PLUS") & (full.columns["event"] == "IMMOBILE")
    )[0]
    j = list(one.columns["event"]).index("IMMOBILE")
    assert one.columns["ebgm"][j] == full.columns["ebgm"][i]


def test_run_signals_head_to_head_has_no_mgps():
    path = shared_path("openebgm", "caers.csv")
    t = signals_from_reports(
        path, drug="REUMOFAN PLUS", vs="HYDROXYCUT REGULAR RAPID RELEASE CAPLETS"
    )
    assert t.prior is None and t.comparator == "HYDROXYCUT REGULAR RAPID RELEASE CAPLETS"
    assert np.all(np.isnan(t.columns["ebgm"]))
    sig = t.to_signals()
    assert sig[0].comparator == t.comparator and sig[0].estimate("ebgm_mgps") is None


@pytest.mark.parametrize(("drug", "vs"), [(None, "X"), ("X", "X")])
def test_run_signals_bad_head_to_head(drug, vs):
    with pytest.raises(ConfigError):
        run_signals(lambda: None, drug=drug, vs=vs, count_pair=lambda x, y: None)


@pytest.mark.parametrize("min_count", [0, 3, 10])
def test_min_count_policy(min_count):
    t = signals_from_reports(
        shared_path("openebgm", "caers.csv"), thresholds=Thresholds(min_count=min_count)
    )
    c = t.columns
    with np.errstate(invalid="ignore"):
        expected = (c["a"] >= min_count) & (
            (c["ror_lower"] > 1) | (c["eb05"] >= 2) | (c["ic025"] > 0)
        )
    flagged = t.select(flagged_only=True)
    assert len(flagged) == int(expected.sum()) > 0
    assert np.all(flagged.columns["a"] >= min_count)
    ebgm_only = c["flags"] == "ebgm"
    assert not np.any(ebgm_only & (c["a"] < min_count))


# ---- the command ------------------------------------------------------------------------------


def _run(capsys, *args):
    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code in (0, None)
    return capsys.readouterr().out


def test_cli_json_for_one_drug(capsys):
    path = str(shared_path("openebgm", "caers.csv"))
    text = _run(
        capsys,
        "signals",
        "REUMOFAN PLUS",
        "--event",
        "WEIGHT INCREASED",
        "--reports",
        path,
        "--format",
        "json",
    )
    doc = json.loads(text)
    assert doc["schema"] == "rxcompare/signals" and doc["version"] == 2
    assert doc["counting_unit"] == "distinct report id"
    assert (
        doc["source"]["system"] == "long table of reports (caers.csv)"
        and doc["source"]["roles"] == "as in the table"
    )
    assert set(doc["prior"]) >= {"alpha1", "beta1", "alpha2", "beta2", "p", "method", "converged"}
    (row,) = doc["rows"]
    assert list(row) == list(COLUMNS)
    assert row["a"] == 16 and row["flags"] == "ror+ebgm+ic"
    assert round(row["ebgm"], 2) == 23.26  # openEBGM vignette 04 (see test_mgps_openebgm.py)
    assert doc["filters"] == {"drug": "REUMOFAN PLUS", "events": "WEIGHT INCREASED"}


@pytest.mark.parametrize(
    ("name", "fmt", "starts"),
    [
        ("pairs.csv", None, "drug,event,a,b,c,d,"),
        ("pairs.JSON", None, "{"),
        ("pairs.txt", None, ""),
        ("pairs.csv", "table", ""),
    ],
)
def test_cli_output_suffix_names_the_format(capsys, tmp_path, table_csv, name, fmt, starts):
    """--output pairs.csv writes CSV (not the terminal table) unless --format says otherwise."""
    out = tmp_path / name
    _run(
        capsys,
        "signals",
        "--all-pairs",
        "--reports",
        str(table_csv),
        "--report-col",
        "report",
        "--drug-col",
        "drug",
        "--event-col",
        "event",
        "-o",
        str(out),
        *(["-f", fmt] if fmt else []),
    )
    text = out.read_text(encoding="utf-8")
    if starts:
        assert text.startswith(starts)
    else:  # the terminal table, as the terminal shows it
        assert not text.startswith(("drug,", "{")) and "DRUGA" in text


def test_cli_all_pairs_csv_and_parquet(capsys, tmp_path):
    path = str(shared_path("openebgm", "caers.csv"))
    text = _run(capsys, "signals", "--all-pairs", "--reports", path, "--format", "csv")
    frame = pd.read_csv(__import__("io").StringIO(text), keep_default_na=False)
    assert len(frame) == 17189 and list(frame.columns[: len(COLUMNS)]) == list(COLUMNS)
    assert set(frame.counting_unit) == {"distinct report id"}
    out = tmp_path / "pairs.parquet"
    _run(capsys, "signals", "--all-pairs", "--reports", path, "--output", str(out))
    t = pq.read_table(out)
    assert t.num_rows == 17189 and t.schema.metadata[b"counting_unit"] == b"distinct report id"
    assert json.loads(t.schema.metadata[b"prior"])["converged"] is True


def test_cli_table_head_to_head(capsys):
    path = str(shared_path("openebgm", "caers.csv"))
    text = _run(
        capsys,
        "signals",
        "REUMOFAN PLUS",
        "--vs",
        "HYDROXYCUT REGULAR RAPID RELEASE CAPLETS",
        "--event",
        "ARTHRALGIA",
        "--reports",
        path,
    )
    assert "ARTHRALGIA" in text and "ROR (95% CI)" in text


def test_terminal_table_of_many_pairs_is_plain_text(monkeypatch):
    """Past RICH_ROWS pairs the terminal table is plain aligned text with every pair, its figures
    those of the boxed table, long names cut with an ellipsis."""
    from rxcompare.render import signal_text

    table = signals_from_reports(shared_path("openebgm", "caers.csv"))
    small = table.select(drugs=["REUMOFAN PLUS"])
    boxed = signal_text.signals_text(small)
    monkeypatch.setattr(signal_text, "RICH_ROWS", 0)
    plain = signal_text.signals_text(small)
    assert (
        "│" in boxed
        and "│" not in plain
        and plain.splitlines()[1].split()[:3] == ["drug", "event", "a"]
    )
    lines = plain.splitlines()[3 : 3 + len(small)]
    for row, line in zip(signal_text._rows(small), lines, strict=True):  # every cell, in order
        assert [c.strip() for c in line.split("  ") if c.strip()] == list(row)
    whole = signal_text.signals_text(table)
    rows = whole.splitlines()[3:]
    assert sum(1 for r in rows if r[:1] not in ("", " ") and "  " in r) >= len(table)
    longest = max(table.columns["drug"], key=len)
    assert (
        len(longest) > signal_text.NAME_WIDTH
        and longest[: signal_text.NAME_WIDTH - 1] + "…" in whole
    )


@pytest.mark.parametrize(
    ("args", "status", "fragment"),
    [
        (["signals", "X"], 1, "warehouse mode"),  # no warehouse to read: 1
        (["signals", "--reports", "{p}"], 2, "give a DRUG, or --all-pairs"),
        (["signals", "X", "--reports", "{p}", "--indication", "MS"], 2, "--indication"),
        (["signals", "X", "--reports", "{p}", "--format", "xml"], 2, "--format 'xml'"),
    ],
)
def test_cli_errors(capsys, args, status, fragment):
    path = str(shared_path("openebgm", "caers.csv"))
    with pytest.raises(SystemExit) as exc:
        main([a.replace("{p}", path) for a in args])
    assert exc.value.code == status
    assert fragment in " ".join(capsys.readouterr().err.split())


def _expected_cell(value):
    """What a CSV field or JSON value must read back as: floats exactly, nan and infinity empty."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    return value


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_files_carry_every_value_exactly(tmp_path, fmt):
    # names with a comma, a quote, an apostrophe, a '#' and non-ASCII letters, nan MGPS columns
    # (too small a table to fit) and filters with a comma are written and read back unchanged
    p = tmp_path / "odd.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["report", "drug", "event"])
        w.writerows(
            [
                ("r1", 'DRUG "A", 5 MG', "NAUSEA"),
                ("r2", 'DRUG "A", 5 MG', "RASH #2"),
                ("r3", "SONNE'S", "NAUSEA"),
                ("r4", "SONNE'S", "NAUSEA"),
                ("r5", "Ärzte", "ÉRYTHÈME"),
            ]
        )
    t = score_counts(count_report_pairs(p, "report", "drug", "event"))
    assert t.prior is None and np.isnan(t.columns["ebgm"]).all()
    t = t.select(filters=(("note", "a, b"),))
    out = tmp_path / f"t.{fmt}"
    from rxcompare.signals.files import write_signals

    assert write_signals([(None, t)], fmt, out) == len(t)
    if fmt == "csv":
        with out.open(newline="", encoding="utf-8") as fh:
            header, *body = list(csv.reader(fh))
        assert header == [*COLUMNS, "counting_unit", "filters"]
        got = [dict(zip(header, r)) for r in body]
        for row, want in zip(got, t.rows()):
            assert row["counting_unit"] == t.counting_unit and row["filters"] == "note=a, b"
            for k in COLUMNS:
                exp = _expected_cell(want[k])
                text = row[k]
                if isinstance(want[k], float):
                    assert text == "" if exp is None else float(text) == exp, (k, text, want[k])
                else:
                    assert text == str(exp), (k, text, exp)
    elif fmt == "json":
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert [{k: _expected_cell(v) for k, v in r.items()} for r in t.rows()] == doc["rows"]
        assert doc["filters"] == {"note": "a, b"} and doc["mgps_note"] == t.mgps_note
    else:
        back = pq.read_table(out)
        for k in COLUMNS:
            col = back.column(k).to_numpy(zero_copy_only=False)
            if t.columns[k].dtype.kind == "f":
                assert np.array_equal(col, t.columns[k], equal_nan=True), k
            else:
                assert col.tolist() == t.columns[k].tolist(), k
    assert len(t) == 4


def test_caers_csv_and_json_read_back_exactly(capsys, tmp_path):
    path = shared_path("openebgm", "caers.csv")
    t = signals_from_reports(path)
    text = _run(capsys, "signals", "--all-pairs", "--reports", str(path), "--format", "csv")
    rows = list(csv.DictReader(__import__("io").StringIO(text)))
    assert len(rows) == len(t) == 17189
    for k in ("ebgm", "eb05", "eb95", "ic025", "ror_lower", "chi2", "e"):
        assert np.array_equal(np.array([float(r[k]) for r in rows]), t.columns[k]), k
    assert [r["flags"] for r in rows] == t.columns["flags"].tolist()
    assert text.splitlines()[1].endswith(",distinct report id,")  # empty fields unquoted, as before
    out = tmp_path / "all.json"
    _run(
        capsys,
        "signals",
        "--all-pairs",
        "--reports",
        str(path),
        "--format",
        "json",
        "--output",
        str(out),
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "rxcompare/signals" and doc["prior"]["alpha1"] == t.prior.alpha1
    assert np.array_equal(np.array([r["eb05"] for r in doc["rows"]]), t.columns["eb05"])
    assert [r["drug"] for r in doc["rows"]] == t.columns["drug"].tolist()
