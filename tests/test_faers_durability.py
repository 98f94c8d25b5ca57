"""A commit of the FAERS warehouse is durable across a power loss, not only a kill: every staged file
and folder is flushed to disk (fsync) before the journal that names it is written, and the folders the
renames changed are flushed after them.

The order is read from the real system calls of a real ingest with its dedup (os.fsync and os.rename
wrapped, each fsync's file named through /proc/self/fd)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rxcompare.sources.faers.normalise import load_synonyms
from rxcompare.sources.faers.synth import synth_quarters
from rxcompare.sources.faers.warehouse import Warehouse

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="needs /proc to name fsynced files"
)


def test_staged_copies_reach_the_disk_before_their_journal(tmp_path, monkeypatch):
    truth = synth_quarters(tmp_path / "q", reports=300, quarters=1, seed=5, drugs=40, events=60)
    syn = load_synonyms(tmp_path / "q" / "synonyms.csv", use_pack=False)
    root = (tmp_path / "wh").resolve()
    synced: list[str] = []
    commits: list[
        tuple[int, list[str]]
    ] = []  # (fsyncs seen when the journal was put in place, staged entries)
    after: list[set[str]] = []
    fsync, rename = os.fsync, os.rename

    def logged_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        if after:
            after[-1].add(synced[-1])
        return fsync(fd)

    def logged_rename(src, dst, *a, **k):
        if Path(dst).name.startswith(".commit-") and Path(dst).suffix == ".json":
            staged = [str(p) for p in root.rglob("*") if "/.tmp-" in str(p)]
            commits.append((len(synced), staged))
            after.append(set())
        return rename(src, dst, *a, **k)

    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "rename", logged_rename)
    Warehouse(root).ingest(
        tmp_path / "q" / f"faers_ascii_{truth.quarters[0]}.zip", synonyms=syn, rebuild=True
    )
    monkeypatch.undo()

    assert commits, "no commit journal was written"
    for (n, staged), later in zip(commits, after):
        assert any(s.endswith(".parquet") for s in staged), staged
        unsynced = sorted(set(staged) - set(synced[:n]))
        assert not unsynced, f"named by a journal before reaching the disk: {unsynced}"
        assert str(root) in later, "the warehouse folder was not flushed after the commit's renames"
