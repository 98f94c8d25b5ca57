"""FAERS warehouse under faults (issue 13): damaged and hostile inputs, kills at every rename of a
commit, a dedup beside an ingest, leftovers, unwritable or full targets, corrupt metadata.

Every warehouse here is real (DuckDB and Parquet files on disk); kills are real SIGKILLs of a child
process, placed at each rename the child makes.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from rxcompare.cli import main
from rxcompare.errors import FaersError
from rxcompare.sources.faers import ingest as ingest_mod
from rxcompare.sources.faers import store
from rxcompare.sources.faers.dedup import live_sql
from rxcompare.sources.faers.engines import connect_engine
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    truth = synth_quarters(out, reports=400, quarters=2, seed=3, drugs=60, events=80)
    return out, truth


@pytest.fixture(scope="module")
def syn(synth):
    return load_synonyms(synth[0] / "synonyms.csv", use_pack=False)


def _zip(synth, i: int) -> Path:
    out, truth = synth
    return out / f"faers_ascii_{truth.quarters[i]}.zip"


def _rezip(src: Path, dst: Path, edits: dict[str, bytes | None]) -> Path:
    """A copy of a quarter zip with members replaced (by table prefix, e.g. "REAC") or dropped (None)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            base = name.rsplit("/", 1)[-1]
            key = next((k for k in edits if base.upper().startswith(k)), None)
            if key is None:
                zout.writestr(name, zin.read(name))
            elif edits[key] is not None:
                data = edits[key]
                zout.writestr(name, data(zin.read(name)) if callable(data) else data)
    return dst


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    got = capsys.readouterr()  # rich wraps long lines: compare with spaces for line breaks
    return exc.value.code or 0, " ".join(got.out.split()), " ".join(got.err.split())


def _fingerprint(wh: Warehouse) -> dict:
    """What a warehouse holds: per quarter its sha256 and rows per table; current rows of each case
    table read from the Parquet files themselves, and the quarters dedup.json says they were built from."""
    st = wh.status()
    con = duckdb.connect()  # the current rows of every layer, stale or not
    layers = store.local_layers(wh.path)
    derived = {
        n: con.execute(f"SELECT count(*) FROM ({live_sql(str(wh.path), layers, n)})").fetchone()[0]
        for n in store.DERIVED
    }
    built = json.loads((wh.path / "dedup.json").read_text(encoding="utf-8"))["quarters"]
    return {
        "quarters": {q.quarter: (q.sha256, q.rows) for q in st.quarters},
        "derived": derived,
        "built": built,
    }


# --- 1. encoding --------------------------------------------------------------------------------------


def test_windows_1252_bytes_are_decoded_and_flagged(synth, syn, tmp_path):
    def edit(data: bytes) -> bytes:
        lines = data.split(b"\n")
        f = lines[3].split(b"$")
        f[4] = b"O\x92NEIL \x81TABLET"  # a curly apostrophe, and a byte cp1252 leaves undefined
        lines[3] = b"$".join(f)
        return b"\n".join(lines)

    z = _rezip(_zip(synth, 0), tmp_path / "in" / _zip(synth, 0).name, {"DRUG": edit})
    wh = Warehouse(tmp_path / "wh")
    res = wh.ingest(z, synonyms=syn)
    assert res.flagged == 1 and res.rejects == 0
    drug = wh.path / "quarters" / res.quarter / "drug.parquet"
    got = (
        duckdb.connect()
        .execute(f"SELECT drugname FROM '{drug}' WHERE drugname LIKE 'O%NEIL%'")
        .fetchall()
    )
    assert got == [("O\u2019NEIL \x81TABLET",)]
    with (wh.path / "rejects" / f"{res.quarter}.csv").open(encoding="utf-8") as fh:
        text = fh.read()
    assert (
        'DRUG23Q1.txt,4,encoding,"bytes that are not UTF-8, decoded as Windows-1252; row kept",yes,'
        in text
    )


def test_random_bytes_in_a_table(synth, syn, tmp_path, capsys):
    noise = random.Random(5).randbytes(50_000)
    # after valid rows: the damaged lines are rejects, the quarter is ingested
    z = _rezip(_zip(synth, 0), tmp_path / "a" / _zip(synth, 0).name, {"REAC": lambda d: d + noise})
    wh = Warehouse(tmp_path / "wh")
    res = wh.ingest(z, synonyms=syn)
    assert res.rejects > 0 and dict(res.rows)["reac"] > 0
    # the whole table: refused with a message, nothing stored, no traceback from the CLI
    z = _rezip(_zip(synth, 0), tmp_path / "b" / _zip(synth, 0).name, {"REAC": noise})
    code, _, err = _cli(capsys, "faers", "ingest", str(z), "--warehouse", str(tmp_path / "wh2"))
    assert code == 1 and "cannot be read as the REAC table" in err and "Traceback" not in err
    assert list((tmp_path / "wh2" / "quarters").iterdir()) == []


# --- 2. kills at every rename of a commit ----------------------------------------------------------

_CHILD = """
import os, signal, sys
kill_at = int(sys.argv[1])
calls = [0]
def wrap(f):
    def g(*a, **k):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return f(*a, **k)
    return g
os.rename, os.replace = wrap(os.rename), wrap(os.replace)
from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.warehouse import Warehouse
wh = Warehouse(sys.argv[2])
syn = load_synonyms(sys.argv[4], use_pack=False)
if sys.argv[3] == "dedup":
    wh.dedupe(syn)
else:
    wh.ingest(sys.argv[3], synonyms=syn)
print(calls[0])
"""


def _child(kill_at: int, wh: Path, what: str, synonyms: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", _CHILD, str(kill_at), str(wh), what, str(synonyms)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def replaced(synth, syn, tmp_path_factory):
    """A warehouse of two quarters, a changed file for the first, and the warehouses before and after
    it is ingested (and in between: ingested, case tables not yet rebuilt)."""
    base = tmp_path_factory.mktemp("kill")

    def drop_rows(data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join(lines[:-20])

    new = _rezip(_zip(synth, 0), base / "new" / _zip(synth, 0).name, {"DEMO": drop_rows})
    before = Warehouse(base / "before")
    for i in (0, 1):
        before.ingest(_zip(synth, i), synonyms=syn)
    between = Warehouse(base / "between")
    shutil.copytree(before.path, between.path)
    between.ingest(new, synonyms=syn, rebuild=False)
    after = Warehouse(base / "after")
    after.ingest(new, synonyms=syn)
    after.ingest(_zip(synth, 1), synonyms=syn)
    return {
        "before": before,
        "between": between,
        "new": new,
        **{
            f"fp_{k}": _fingerprint(w)
            for k, w in (("before", before), ("between", between), ("after", after))
        },
    }


def _no_leftovers(root: Path) -> None:
    names = [p.name for p in [*root.iterdir(), *(root / "quarters").iterdir()]]
    assert not [n for n in names if n.startswith((".tmp-", ".old-", ".commit-"))], names


@pytest.mark.parametrize("what", ["ingest", "dedup"])
def test_kill_at_every_rename_of_a_commit(replaced, synth, syn, tmp_path, what):
    r = replaced
    synonyms = synth[0] / "synonyms.csv"
    target = str(r["new"]) if what == "ingest" else "dedup"
    start = r["before"] if what == "ingest" else r["between"]
    fp_start, fp_after = r["fp_before"] if what == "ingest" else r["fp_between"], r["fp_after"]
    assert fp_start["derived"] != fp_after["derived"]
    # how many renames an uninterrupted run makes
    probe = tmp_path / "probe"
    shutil.copytree(start.path, probe)
    run = _child(0, probe, target, synonyms)
    assert run.returncode == 0, run.stderr
    renames = int(run.stdout.split()[-1])
    assert renames >= (10 if what == "ingest" else 7)
    for k in range(1, renames + 1):
        wh_path = tmp_path / f"k{k}"
        shutil.copytree(start.path, wh_path)
        run = _child(k, wh_path, target, synonyms)
        assert run.returncode == -signal.SIGKILL, (k, run.stderr)
        wh = Warehouse(wh_path)
        st = wh.status()  # reopened: an interrupted commit is completed, never a quarter lost
        assert [q.quarter for q in st.quarters] == list(synth[1].quarters), k
        assert not st.damaged and not any(q.damaged for q in st.quarters), (k, st)
        _no_leftovers(wh_path)
        assert _fingerprint(wh) in (fp_start, fp_after), k
        if what == "ingest":
            wh.ingest(r["new"], synonyms=syn)  # finish: the same command again
        else:
            wh.dedupe(syn)
        assert _fingerprint(wh) == fp_after, k
        assert not wh.status().needs_dedup


def test_kill_at_every_rename_of_an_update(synth, syn, tmp_path):
    """A quarter added as an update layer, killed at each rename of its commit: reopened, the
    warehouse is the one before or the one after, and ingesting again gives the one after."""
    synonyms = synth[0] / "synonyms.csv"
    start = Warehouse(tmp_path / "start")
    start.ingest(_zip(synth, 0), synonyms=syn)
    after = Warehouse(tmp_path / "after")
    shutil.copytree(start.path, after.path)
    after.ingest(_zip(synth, 1), synonyms=syn)
    assert len(store.local_layers(after.path)) == 2
    fp_start, fp_after = _fingerprint(start), _fingerprint(after)
    probe = tmp_path / "probe"
    shutil.copytree(start.path, probe)
    run = _child(0, probe, str(_zip(synth, 1)), synonyms)
    assert run.returncode == 0, run.stderr
    renames = int(run.stdout.split()[-1])
    assert renames >= 5  # the quarter, its rejects, the layer, the names, dedup.json, the journal
    for k in range(1, renames + 1):
        wh_path = tmp_path / f"k{k}"
        shutil.copytree(start.path, wh_path)
        run = _child(k, wh_path, str(_zip(synth, 1)), synonyms)
        assert run.returncode == -signal.SIGKILL, (k, run.stderr)
        wh = Warehouse(wh_path)
        st = wh.status()
        assert not st.damaged and not any(q.damaged for q in st.quarters), (k, st)
        _no_leftovers(wh_path)
        held = sorted(f"{store.UPDATES}/{p.name}" for p in (wh_path / store.UPDATES).glob("*"))
        assert held == store.local_layers(wh_path)[1:], k  # no layer dedup.json does not list
        assert _fingerprint(wh) in (fp_start, fp_after), k
        wh.ingest(_zip(synth, 1), synonyms=syn)
        assert _fingerprint(wh) == fp_after, k
        assert len(store.local_layers(wh_path)) == 2 and not wh.status().needs_dedup


def test_replaced_quarter_left_by_an_older_version_is_restored(replaced, tmp_path):
    """The state the issue found (killed between rename(final -> .old) and rename(.tmp -> final)
    under the former commit): the old quarter is put back, not deleted."""
    root = tmp_path / "wh"
    shutil.copytree(replaced["before"].path, root)
    q = sorted(p.name for p in (root / "quarters").iterdir())[0]
    old = root / "quarters" / f".old-{q}-1234abcd"
    old.mkdir()
    os.rename(root / "quarters" / q, old / "quarter")
    shutil.copytree(old / "quarter", root / "quarters" / f".tmp-{q}-1234abcd")
    wh = Warehouse(root)
    assert _fingerprint(wh) == replaced["fp_before"]
    _no_leftovers(root)


# --- 3. dedup beside an ingest; readers refuse stale tables -------------------------------------------


def test_dedup_waits_for_a_concurrent_ingest(synth, syn, tmp_path, monkeypatch):
    out, truth = synth
    wh = Warehouse(tmp_path / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    holding, go = threading.Event(), threading.Event()
    real = ingest_mod._stage_quarter

    def paused(*args, **kwargs):
        holding.set()  # the ingest holds the lock here
        assert go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_mod, "_stage_quarter", paused)
    errors: list[BaseException] = []

    def run(f):
        try:
            f()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(exc)

    a = threading.Thread(
        target=run, args=(lambda: wh.ingest(_zip(synth, 1), synonyms=syn, rebuild=False),)
    )
    a.start()
    assert holding.wait(30)
    b = threading.Thread(target=run, args=(lambda: wh.dedupe(syn),))
    b.start()
    time.sleep(0.5)  # the dedup has started and waits for the lock
    go.set()
    a.join(60)
    b.join(60)
    assert not errors, errors
    st = wh.status()
    assert not st.needs_dedup
    assert st.dedup.quarters == tuple(truth.quarters)
    assert wh.connect().execute("SELECT count(*) FROM cases").fetchone()[0] == truth.expected_cases


def test_readers_refuse_stale_case_tables(synth, syn, tmp_path, capsys):
    wh = Warehouse(tmp_path / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    wh.ingest(_zip(synth, 1), synonyms=syn, rebuild=False)
    assert wh.status().stale
    with pytest.raises(FaersError, match=r"built from other quarters.*faers dedup"):
        wh.connect()
    with pytest.raises(FaersError, match=r"built from other quarters"):
        connect_engine(wh.path)
    code, _, err = _cli(capsys, "signals", "--all-pairs", "--warehouse", str(wh.path))
    assert code == 1 and "built from other quarters" in err and "Traceback" not in err
    wh.dedupe(syn)
    connect_engine(wh.path).close()


# --- 4. leftovers ---------------------------------------------------------------------------------------


def test_leftovers_are_removed_on_open_when_no_writer_is_at_work(synth, syn, tmp_path):
    wh = Warehouse(tmp_path / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    leftovers = [
        wh.path / ".tmp-derived-4242",
        wh.path / "quarters" / ".tmp-2023q1-abcd",
        wh.path / "quarters" / ".tmp-extract-abcd",
        wh.path / "quarters" / ".tmp-2023q1-abcd.spill",
    ]
    with store.writer_lock(wh.path):  # a live writer: its folders are left alone
        for p in leftovers:
            p.mkdir()
            (p / "cases.parquet").write_bytes(b"x" * 100_000)
        wh.status()
        assert all(p.exists() for p in leftovers)
    wh.status()
    assert not any(p.exists() for p in leftovers)
    _no_leftovers(wh.path)


# --- 5. unwritable and full targets -----------------------------------------------------------------------


def test_a_file_as_the_warehouse(synth, tmp_path, capsys):
    target = tmp_path / "wh"
    target.write_text("not a folder")
    code, _, err = _cli(capsys, "faers", "ingest", str(_zip(synth, 0)), "--warehouse", str(target))
    assert code == 1 and f"{target} is a file, not a folder" in err and "Traceback" not in err
    assert target.read_text() == "not a folder"
    code, _, err = _cli(capsys, "faers", "dedup", "--warehouse", str(target))
    assert code == 1 and "Traceback" not in err


def test_lock_that_is_a_folder(synth, tmp_path, capsys):
    (tmp_path / "wh" / ".lock").mkdir(parents=True)
    code, _, err = _cli(
        capsys, "faers", "ingest", str(_zip(synth, 0)), "--warehouse", str(tmp_path / "wh")
    )
    assert code == 1 and ".lock is a folder" in err and "Traceback" not in err


def test_read_only_target(synth, tmp_path, monkeypatch, capsys):
    real = os.mkdir

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only)
    code, _, err = _cli(
        capsys, "faers", "ingest", str(_zip(synth, 0)), "--warehouse", str(tmp_path / "ro" / "wh")
    )
    assert (
        code == 1
        and "Read-only file system; give a writable --warehouse" in err
        and "Traceback" not in err
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not bind root")
def test_read_only_folder(synth, tmp_path, capsys):
    root = tmp_path / "wh"
    root.mkdir()
    root.chmod(0o500)
    try:
        code, _, err = _cli(
            capsys, "faers", "ingest", str(_zip(synth, 0)), "--warehouse", str(root)
        )
    finally:
        root.chmod(0o700)
    assert code == 1 and "writable" in err and "Traceback" not in err


def test_disk_full_from_the_cli(synth, syn, tmp_path, monkeypatch, capsys):
    wh = Warehouse(tmp_path / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    before = _files(wh.path)
    real = ingest_mod._stage_text

    def full(src, dst, *args):
        real(src, dst, *args)
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(ingest_mod, "_stage_text", full)
    code, _, err = _cli(capsys, "faers", "ingest", str(_zip(synth, 1)), "--warehouse", str(wh.path))
    assert code == 1 and "no space left on the device" in err and "Traceback" not in err
    assert _files(wh.path) == before


# --- 6. corrupt metadata ----------------------------------------------------------------------------------


@pytest.fixture
def built(synth, syn, tmp_path):
    wh = Warehouse(tmp_path / "wh")
    for i in (0, 1):
        wh.ingest(_zip(synth, i), synonyms=syn)
    return wh, _fingerprint(wh)


def test_garbage_manifest_is_reported_and_rebuilt_by_reingest(built, synth, syn, capsys):
    wh, fp = built
    q = synth[1].quarters[0]
    (wh.path / "quarters" / q / "manifest.json").write_text("{garbage")
    st = wh.status()
    assert st.quarters[0].damaged == (
        "manifest.json is not valid JSON (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))",
    )
    code, out, err = _cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    assert code == 0 and f"{q} is damaged" in out.replace("\n", " ")
    with pytest.raises(FaersError):
        wh.connect()
    with pytest.raises(FaersError, match=rf"damaged quarter\(s\) \({q}: manifest.json"):
        wh.dedupe(syn)
    res = wh.ingest(_zip(synth, 0), synonyms=syn)
    assert not res.skipped
    assert _fingerprint(wh) == fp


def test_truncated_quarter_table_is_not_skipped_on_reingest(built, synth, syn):
    wh, fp = built
    q = synth[1].quarters[1]
    p = wh.path / "quarters" / q / "drug.parquet"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    damaged = wh.status().quarters[1].damaged
    assert len(damaged) == 1 and damaged[0].startswith("drug.parquet has ")
    res = wh.ingest(_zip(synth, 1), synonyms=syn)
    assert not res.skipped
    assert not wh.status().quarters[1].damaged
    assert _fingerprint(wh) == fp


@pytest.mark.parametrize("damage", ["dedup.json", "cases.parquet"])
def test_damaged_case_tables_are_refused_and_rebuilt_by_dedup(built, syn, damage, capsys):
    wh, fp = built
    p = wh.path / damage
    p.write_bytes(b"\x00garbage" if damage == "dedup.json" else p.read_bytes()[:-100])
    st = wh.status()
    assert st.damaged and st.needs_dedup and damage in st.damaged[0]
    with pytest.raises(FaersError, match=damage.replace(".", r"\.")):
        connect_engine(wh.path)
    code, out, _ = _cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    assert code == 0 and "the case tables are damaged" in out
    code, _, err = _cli(capsys, "faers", "dedup", "--warehouse", str(wh.path))
    assert code == 0, err
    assert _fingerprint(wh) == fp


def _edit_json(path: Path, **changes) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**doc, **changes}), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"updates": "x"}, "updates ('x') are not a list of update folders"),
        ({"updates": [{"folder": "../../elsewhere"}]}, "are not a list of update folders"),
        ({"after": "88"}, "dedup.json's after is '88', not a count"),
        ({"orphans": []}, "orphans ('[]') are not table names with counts"),
        ({"quarters": ["2023q1"]}, "quarters ("),
        ({"parquet": {"cases.parquet": {"rows": "many"}}}, "parquet record"),
    ],
    ids=[
        "updates-text",
        "updates-outside",
        "after-text",
        "orphans-list",
        "quarters-list",
        "parquet-rows-text",
    ],
)
def test_malformed_dedup_json_is_reported_and_repaired_by_dedup(built, syn, capsys, edit, words):
    wh, fp = built
    _edit_json(wh.path / "dedup.json", **edit)
    st = wh.status()
    assert st.needs_dedup and any(words in d for d in st.damaged), st.damaged
    with pytest.raises(FaersError, match="dedup.json"):
        connect_engine(wh.path)
    code, out, err = _cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    assert code == 0 and "the case tables are damaged" in out and "Traceback" not in err
    code, _, err = _cli(capsys, "signals", "--all-pairs", "--warehouse", str(wh.path))
    assert code != 0 and "dedup.json" in err and "Traceback" not in err
    code, _, err = _cli(capsys, "faers", "dedup", "--warehouse", str(wh.path))
    assert code == 0, err
    assert _fingerprint(wh) == fp


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"rows": {"demo": "120"}}, "rows ("),
        ({"rows": {"demo": -3}}, "rows ("),
        ({"rejects": "none"}, "manifest.json's rejects is 'none', not a count"),
        ({"sha256": 5}, "manifest.json's sha256 is 5, not a text"),
    ],
    ids=["rows-text", "rows-negative", "rejects-text", "sha-number"],
)
def test_malformed_manifest_is_reported_and_repaired_by_reingest(
    built, synth, syn, capsys, edit, words
):
    wh, fp = built
    q = synth[1].quarters[0]
    _edit_json(wh.path / "quarters" / q / "manifest.json", **edit)
    st = wh.status()
    assert any(words in d for d in st.quarters[0].damaged), st.quarters[0].damaged
    code, out, err = _cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    assert code == 0 and f"{q} is damaged" in out and "Traceback" not in err
    code, _, err = _cli(capsys, "signals", "--all-pairs", "--warehouse", str(wh.path))
    assert code != 0 and "Traceback" not in err
    assert not wh.ingest(_zip(synth, 0), synonyms=syn).skipped
    assert _fingerprint(wh) == fp


# --- 7. tables that cannot be read; oversized members -----------------------------------------------------


def _header_renamed(data: bytes) -> bytes:
    head, _, rest = data.partition(b"\n")
    return head.replace(b"pt", b"preferred_term") + b"\n" + rest


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (
            {"REAC": _header_renamed},
            r"cannot be read as the REAC table \(header lacks pt: not a REAC table\)",
        ),
        ({"REAC": lambda d: d.replace(b"$", b",")}, r"REAC table .*comma-separated"),
        ({"REAC": lambda d: d.decode("utf-8").encode("utf-16")}, r"REAC\w*\.txt is UTF-16 text"),
        ({"DEMO": None}, r"no DEMO table file"),
        ({"REAC": None}, r"no REAC table file .*--allow-missing"),
        (
            {
                t: (lambda d: d.split(b"\n")[0] + b"\n")
                for t in ("DEMO", "DRUG", "REAC", "OUTC", "RPSR", "THER", "INDI")
            },
            r"DEMO\w*\.txt cannot be read as the DEMO table \(it has a header and no rows\)",
        ),
    ],
    ids=["renamed-header", "comma", "utf16", "no-demo", "no-reac", "headers-only"],
)
def test_unreadable_table_refuses_the_quarter(synth, tmp_path, capsys, edits, message):
    z = _rezip(_zip(synth, 0), tmp_path / "in" / _zip(synth, 0).name, edits)
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(FaersError, match=message):
        wh.ingest(z)
    assert list((wh.path / "quarters").iterdir()) == []
    assert _staging_threads() == []
    code, _, err = _cli(capsys, "faers", "ingest", str(z), "--warehouse", str(wh.path))
    assert code == 1 and "Traceback" not in err and "nothing was ingested" in err.lower()


def _staging_threads() -> list[str]:
    """Threads still staging zip members (an ingest that failed must stop its staging thread)."""
    return [
        t.name
        for t in threading.enumerate()
        if t.name.startswith("rxcompare-stage") and t.is_alive()
    ]


def test_allow_missing_names_the_table(synth, syn, tmp_path, capsys):
    z = _rezip(_zip(synth, 0), tmp_path / "in" / _zip(synth, 0).name, {"REAC": _header_renamed})
    code, out, err = _cli(
        capsys, "faers", "ingest", str(z), "--warehouse", str(tmp_path / "wh"), "--allow-missing"
    )
    assert code == 0, err
    q = synth[1].quarters[0]
    assert f"{q}: ingested without REAC" in out
    st = Warehouse(tmp_path / "wh").status()
    assert st.quarters[0].missing == ("reac",) and "reac" not in dict(st.quarters[0].rows)


def test_zip_bomb_member_is_refused(synth, tmp_path):
    z = _rezip(_zip(synth, 0), tmp_path / "in" / _zip(synth, 0).name, {"REAC": None})
    with (
        zipfile.ZipFile(z, "a", zipfile.ZIP_DEFLATED) as zf,
        zf.open("ASCII/REAC23Q1.txt", "w") as fh,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(64):
            fh.write(block)
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(
        FaersError, match=r"REAC23Q1.txt expands more than 200 times its compressed size"
    ):
        wh.ingest(z)
    with pytest.raises(
        FaersError, match=r"expands to more than 0 MB \(the cap RXCOMPARE_FAERS_MAX_MEMBER_MB"
    ):
        wh.ingest(_zip(synth, 0), max_member_mb=0.001)
    assert list((wh.path / "quarters").iterdir()) == []
    assert _staging_threads() == []


# --- 8. a zip named for one quarter holding another's tables -------------------------------------------------


def test_zip_named_for_another_quarter(synth, tmp_path):
    q0 = synth[1].quarters[0]
    wrong = tmp_path / "faers_ascii_2023q3.zip"
    shutil.copy(_zip(synth, 0), wrong)
    wh = Warehouse(tmp_path / "wh")
    with pytest.raises(
        FaersError,
        match=rf"faers_ascii_2023q3.zip is named for 2023q3 but holds the tables of {q0}",
    ):
        wh.ingest(wrong)
    assert list((wh.path / "quarters").iterdir()) == []


def test_dedup_json_records_what_it_was_built_from(built, synth):
    wh, _ = built
    doc = json.loads((wh.path / "dedup.json").read_text(encoding="utf-8"))
    assert set(doc["quarters"]) == {q.quarter for q in wh.status().quarters}
    # the second quarter was added as an update layer: each layer's files recorded, and the cases
    # that are current across the layers are those dedup.json counts
    layers = store.local_layers(wh.path)
    assert len(layers) == 2 and doc["built"] == f"updated with {synth[1].quarters[1]}"
    for folder in layers:
        for name in [
            *(f"{n}.parquet" for n in store.DERIVED),
            *([store.RETIRED] if folder else []),
        ]:
            path = store.layer_file("", folder, name)
            assert doc["parquet"][path]["bytes"] == (wh.path / path).stat().st_size, path
    con = wh.connect()
    assert (
        con.execute("SELECT count(*), count(DISTINCT caseid) FROM cases").fetchone()
        == (doc["after"],) * 2
    )


def test_status_of_an_empty_warehouse_says_what_to_do(tmp_path, capsys):
    code, out, err = _cli(capsys, "faers", "status", "--warehouse", str(tmp_path / "new"))
    out = " ".join(out.split())
    assert code == 0 and "no quarter ingested yet" in out and "rxcompare faers ingest" in out
    assert "┏" not in out  # not an empty table


# --- 7. a commit journal from elsewhere is confined to the warehouse (issue 30) ----------------------------


@pytest.mark.parametrize(
    "journal",
    [
        {"steps": [], "cleanup": ["../../victim"]},
        {"steps": [["file", "quarters/x", "../../victim/moved-in"]], "cleanup": []},
        {"steps": [["quarter", "quarters/.tmp-a", "quarters/2023q1", "../outside"]], "cleanup": []},
        {"steps": [], "cleanup": ["ABSOLUTE"]},
        {"steps": [], "cleanup": ["escape/victim-file"]},  # a symlink inside leading out
        {"steps": [], "cleanup": ["."]},
        {"steps": [["move", "a", "b"]], "cleanup": []},
        {"steps": "x", "cleanup": []},
        {"steps": [], "cleanup": [7]},
    ],
    ids=[
        "cleanup-up",
        "step-dst-up",
        "backup-up",
        "absolute",
        "symlink",
        "root-itself",
        "unknown-step",
        "steps-not-list",
        "path-not-text",
    ],
)
def test_a_journal_naming_paths_outside_is_refused_and_named(tmp_path, capsys, journal):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "victim-file").write_text("keep me")
    root = tmp_path / "a" / "wh"
    (root / "quarters").mkdir(parents=True)
    (root / "quarters" / "x").write_text("a file a hostile journal would move out")
    (root / "escape").symlink_to(victim)
    if journal["cleanup"] == ["ABSOLUTE"]:
        journal = {"steps": [], "cleanup": [str(victim)]}
    name = ".commit-deadbeef.json"
    (root / name).write_text(json.dumps(journal))
    before = _files(tmp_path)
    code, _, err = _cli(capsys, "faers", "status", "--warehouse", str(root))
    assert (
        code != 0 and name in err.replace(" ", "") and "refused" in err and "Traceback" not in err
    ), err
    assert _files(tmp_path) == before  # nothing renamed or removed, outside or in
    assert (victim / "victim-file").read_text() == "keep me" and (root / name).exists()


def test_repeated_demo_lines_do_not_inflate_the_report_count(synth, syn, tmp_path, capsys):
    """The issue's probe: DEMO lines repeated in FDA's file counted as more reports in `faers status`."""

    def repeat(data: bytes) -> bytes:
        lines = data.split(b"\n")
        body = [x for x in lines[1:] if x.strip()]
        return b"\n".join([lines[0], *body, *body[:25]]) + b"\n"

    plain = Warehouse(tmp_path / "plain")
    plain.ingest(_zip(synth, 0), synonyms=syn)
    z = _rezip(_zip(synth, 0), tmp_path / "in" / _zip(synth, 0).name, {"DEMO": repeat})
    wh = Warehouse(tmp_path / "wh")
    wh.ingest(z, synonyms=syn)
    want = plain.status().quarters[0].reports
    got = wh.status().quarters[0]
    assert dict(got.rows)["demo"] == want + 25  # the rows as read are kept as they were
    assert got.reports == want
    code, out, _ = _cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    assert code == 0 and f"{want:,}" in out


@pytest.mark.parametrize("layered", [False, True], ids=["rebuilt", "update-layer"])
def test_repeated_demo_lines_are_not_reports_before_deduplication(
    layered, synth, syn, tmp_path, capsys
):
    """dedup's "reports before" counted DEMO lines: 25 lines repeated in FDA's file were 25 reports
    more and 25 "older versions" removed. They are counted apart, as repeated lines, in a full build
    and in an update layer alike; the cases after deduplication are the same."""

    def repeat(data: bytes) -> bytes:
        lines = data.split(b"\n")
        body = [x for x in lines[1:] if x.strip()]
        return b"\n".join([lines[0], *body, *body[:25]]) + b"\n"

    plain = Warehouse(tmp_path / "plain")
    wh = Warehouse(tmp_path / "wh")
    z = _rezip(_zip(synth, 1), tmp_path / "in" / _zip(synth, 1).name, {"DEMO": repeat})
    for w, second in ((plain, _zip(synth, 1)), (wh, z)):
        w.ingest(_zip(synth, 0), synonyms=syn, rebuild=layered)  # built now: the next is a layer
        w.ingest(second, synonyms=syn)
    clean, got = plain.status().dedup, wh.status().dedup
    assert bool(wh.status().updates) == layered
    assert got.rows_before == clean.rows_before + 25  # the lines as read
    assert (got.reports_before, got.removed_repeated) == (clean.reports_before, 25)
    assert clean.removed_repeated == 0
    assert got.removed_older_versions == clean.removed_older_versions
    assert (got.removed_deleted, got.after) == (clean.removed_deleted, clean.after)
    assert (
        clean.reports_before - clean.removed_older_versions - clean.removed_deleted == clean.after
    )
    code, out, _ = _cli(capsys, "faers", "status", "--warehouse", str(wh.path))
    assert code == 0
    assert f"reports {clean.reports_before:,} (25 repeated DEMO lines not counted)" in out


# --- 9. readers beside a writer (issue 30) ----------------------------------------------------------------


def test_a_read_that_a_commit_came_between_is_read_again(synth, syn, tmp_path):
    """The generation (dedup.json's identity, or None while a journal stands) is taken before and
    after a read; a real commit between them makes the read happen again, an error it met included."""
    wh = Warehouse(tmp_path / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    calls: list[int] = []

    def read():
        calls.append(store.generation(wh.path))
        if len(calls) == 1:  # a writer commits while this read is under way
            wh.dedupe(syn)
            raise IndexError(
                "index -7578777351565141 is out of bounds"
            )  # what a half-swapped file gave
        return len(calls)

    assert store.read_consistently(wh.path, read, wait=0) == 2
    assert calls[0] != calls[1] and None not in calls

    def broken():
        raise IndexError("a real bug, no commit came between")

    with pytest.raises(IndexError, match="a real bug"):
        store.read_consistently(wh.path, broken, wait=0)

    def always_changing():
        wh.dedupe(syn)
        return 0

    with pytest.raises(FaersError, match="changed 3 times while it was read"):
        store.read_consistently(wh.path, always_changing, attempts=3, wait=0)
    (wh.path / ".commit-0123abcd.json").write_text('{"steps": [], "cleanup": []}')
    assert store.generation(wh.path) is None  # a commit under way: a reader waits for it


@pytest.fixture(scope="module")
def both(synth, syn, tmp_path_factory):
    """Both synthetic quarters in one warehouse, and its most reported ingredient."""
    wh = Warehouse(tmp_path_factory.mktemp("readers") / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    wh.ingest(_zip(synth, 1), synonyms=syn)
    con = wh.connect()
    try:
        top = con.execute(
            "SELECT ingredient FROM case_drugs WHERE ingredient <> '' "
            "GROUP BY 1 ORDER BY count(DISTINCT caseid) DESC, 1 LIMIT 2"
        ).fetchall()
    finally:
        con.close()
    return wh, [r[0] for r in top]


def _omop_reference(folder: Path, drugs: list[str]) -> Path:
    """A reference set in OMOP's layout naming the warehouse's drugs (ground truth as given)."""
    head = "exposureId,exposureName,outcomeId,outcomeName,groundTruth,indicationId,"
    head += "indicationName,comparatorId,comparatorName,comparatorType"
    rows = [
        f"{i},{d},1,OMOP Acute Liver Failure 1,{i % 2},,,,,"
        for i, d in enumerate(drugs + drugs, start=1)
    ]
    path = folder / "omop.csv"
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return path


# (a reader, the function inside its read that a commit interrupts, its command line)
READERS = {
    "pairs": ("rxcompare.signals.warehouse.signals_from_warehouse", ["signals", "{drug}"]),
    "onset": ("rxcompare.signals.onset.time_to_onset", ["signals", "{drug}", "--onset"]),
    "dedup-sensitivity": (
        "rxcompare.signals.study.dedup_sensitivity",
        ["signals", "{drug}", "--dedup-sensitivity", "-f", "json"],
    ),
    "report": (
        "rxcompare.signals.study.build_study",
        ["signals", "{drug}", "--vs", "{drug2}", "--report", "{out}/study.md"],
    ),
    "evaluate": (
        "rxcompare.signals.evaluate.evaluate_reference",
        ["signals", "--evaluate", "omop", "--reference", "{ref}", "-f", "json"],
    ),
    "export": (
        "rxcompare.sources.faers.export._select",
        ["faers", "export", "--out", "{out}/export"],
    ),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_every_warehouse_reader_reads_one_state(reader, both, syn, tmp_path, capsys, monkeypatch):
    """The issue's probe: readers during a writer met half-swapped files (IndexError, DuckDB
    "Prefetch registered for bytes outside file", FileNotFoundError). Here a real commit (a dedup)
    lands while each reader is reading and the read then fails as a half-swapped file made it
    fail: every reader reads again, in the new state, and answers as it does with no writer; it
    leaves nothing of the read it threw away."""
    import importlib

    wh, (drug, drug2) = both
    target, argv = READERS[reader]
    module, name = target.rsplit(".", 1)
    real = getattr(importlib.import_module(module), name)
    commits = []

    def interrupted(*args, **kw):
        if not commits:
            commits.append(wh.dedupe(syn))  # a writer commits meanwhile
            raise IndexError("index -7578777351565141 is out of bounds")
        return real(*args, **kw)

    def run(out: Path) -> tuple[int, str, str]:
        out.mkdir()
        ref = _omop_reference(out, [drug, drug2])
        fill = {"drug": drug, "drug2": drug2, "out": str(out), "ref": str(ref)}
        args = [a.format(**fill) for a in argv]
        where = ["--warehouse", str(wh.path)]
        return _cli(capsys, *args, *where)

    monkeypatch.setattr(f"{module}.{name}", interrupted)
    code, out, err = run(tmp_path / "during")
    monkeypatch.setattr(f"{module}.{name}", real)
    assert commits and code == 0 and "Traceback" not in err, err
    quiet, out_quiet, _ = run(tmp_path / "quiet")  # the same question, no writer
    assert quiet == 0 and out == out_quiet
    left = sorted(p.name for p in (tmp_path / "during").iterdir())
    assert left == sorted(p.name for p in (tmp_path / "quiet").iterdir())  # no temp folder left
    if reader == "export":

        def rows(d):
            return json.loads((tmp_path / d / "export" / "export.json").read_text())["rows"]

        assert rows("during") == rows("quiet")


def test_suggestions_read_the_names_of_one_state(both, syn, monkeypatch):
    """The web app's suggestions read the warehouse's names again when a commit came meanwhile,
    and again after an ingest or a dedup (keyed on the generation)."""
    from rxcompare.sources.pack import load_pack
    from rxcompare.web import suggest

    try:
        pack = load_pack()
    except Exception as exc:  # noqa: BLE001 - the embedded pack may be absent in a fresh clone
        pytest.skip(f"the embedded knowledge pack is not available ({exc})")
    wh, (drug, _) = both
    real = suggest._read_names
    calls = []

    def interrupted(where):
        calls.append(store.generation(where))
        if len(calls) == 1:
            wh.dedupe(syn)
            raise IndexError("index -7578777351565141 is out of bounds")
        return real(where)

    monkeypatch.setattr(suggest, "_read_names", interrupted)
    index = suggest.DrugIndex(pack, wh.path)
    names = index.warehouse_names()
    assert len(calls) == 2 and drug in [n for _, n, _ in names]
    assert index.ready() and index.warehouse_names() is names  # cached while nothing changes
    wh.dedupe(syn)
    assert not index.ready()
    index.warehouse_names()
    assert len(calls) == 3


def test_the_comparisons_postmarketing_reads_one_state(both, syn, monkeypatch):
    """The comparison's post-marketing source (WarehouseSource) reads its counts again when a
    commit came while it read them, and answers as it does with no writer."""
    from rxcompare.comparison.resolve import resolve_pair
    from rxcompare.sources.faers import postmarketing
    from rxcompare.sources.pack import load_pack

    try:
        pack = load_pack()
    except Exception as exc:  # noqa: BLE001 - the embedded pack may be absent in a fresh clone
        pytest.skip(f"the embedded knowledge pack is not available ({exc})")
    wh, _ = both
    a, b = resolve_pair("kesimpta", "ocrevus", pack)
    groups = {"infections": ("Pneumonia", "Sepsis")}
    real = postmarketing.group_counts
    commits = []

    def interrupted(*args, **kw):
        if not commits:
            commits.append(wh.dedupe(syn))
            raise IndexError("index -7578777351565141 is out of bounds")
        return real(*args, **kw)

    monkeypatch.setattr(postmarketing, "group_counts", interrupted)
    during = postmarketing.WarehouseSource(wh.path).head_to_head(a, b, groups, None)
    monkeypatch.setattr(postmarketing, "group_counts", real)
    assert commits and during == postmarketing.WarehouseSource(wh.path).head_to_head(
        a, b, groups, None
    )


@pytest.mark.parametrize("member", ["DEMO", "DRUG", "DELETE"])
def test_a_password_protected_member_is_refused_and_named(member, synth, syn, tmp_path, capsys):
    """The issue's probe: a password-protected (encrypted) member of a FAERS zip ended in a
    traceback. It is refused before anything is staged, the member named, and what the warehouse
    held is kept as it was."""
    from helpers import write_zip

    wh = Warehouse(tmp_path / "wh")
    wh.ingest(_zip(synth, 0), synonyms=syn)
    before, held = _fingerprint(wh), _files(wh.path)
    src = _zip(synth, 1)
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if member == "DELETE":  # a deleted-case list, read last
        members["ASCII/DELETED/DELETE2023Q1.txt"] = b"123456\n"
    locked = next(n for n in members if n.rsplit("/", 1)[-1].upper().startswith(member))
    (tmp_path / "in").mkdir()
    z = write_zip(tmp_path / "in" / src.name, members, {locked})
    with pytest.raises(FaersError) as exc:
        wh.ingest(z, synonyms=syn)
    assert locked in str(exc.value) and "password" in str(exc.value)
    assert _fingerprint(wh) == before
    code, _, err = _cli(capsys, "faers", "ingest", str(z), "--warehouse", str(wh.path))
    assert code != 0 and "Traceback" not in err and locked in err.replace(" ", ""), err
    assert _fingerprint(wh) == before and _files(wh.path) == held  # no staging left either
    assert not [p for p in wh.path.rglob("*") if p.name.startswith(".tmp")]


def test_a_value_missing_from_its_labels_is_an_error_not_a_garbage_index():
    """The soak's readers met a numpy "invalid value encountered in cast" in the counting layer:
    an event read after a commit, absent from the labels read before it, became the index
    -9223372036854775808 (the issue's `IndexError: index -7578777351565141 is out of bounds` is of
    this kind). It is a FaersError, which a reader's snapshot retry reads again; nulls present on
    both sides still find their label."""
    import pyarrow as pa

    from rxcompare.sources.faers.counts.cells import index_in, sorted_labels

    values = pa.chunked_array([pa.array(["b", None, "a"]), pa.array(["a"])])
    assert index_in(values, sorted_labels(values)).tolist() == [1, 2, 0, 0]
    with pytest.raises(FaersError, match="1 value.* missing from the labels"):
        index_in(pa.array(["a", "z"]), pa.array(["a"]))
