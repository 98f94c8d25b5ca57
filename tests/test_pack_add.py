"""``rxcompare pack add FILE...``: real SPL labels and an openFDA drug/label reply (built from a real
SPL file in the reply's shape) into a pack, offline, then compared offline; refusals leave the pack
file as it was. ``pack build`` outside a checkout writes the user pack. Skipped without ../shared."""

from __future__ import annotations

import json

import pytest
from conftest import shared_path
from helpers import fixture_pack_file, openfda_result

from rxcompare.cli import main
from rxcompare.sources.pack import load_pack


def run(capsys, *argv):
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


@pytest.fixture
def start(tmp_path):
    """A pack of two fictional products to add real labels to."""
    return fixture_pack_file(tmp_path)


def reply(tmp_path, name: str) -> str:
    """An openFDA drug/label.json reply holding the label of a real SPL file."""
    path = tmp_path / f"{name}.json"
    doc = {
        "meta": {"results": {"skip": 0, "limit": 1, "total": 1}},
        "results": [openfda_result(name)],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_spl_and_openfda_labels_are_added_and_compared_offline(
    tmp_path, capsys, start, monkeypatch
):
    monkeypatch.setenv("RXCOMPARE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "user.json"
    humira, lipitor = shared_path("spl", "humira.xml"), shared_path("spl", "lipitor-orig.xml")
    viagra = reply(tmp_path, "viagra-64f8040f.xml")
    code, text, err = run(
        capsys, "pack", "add", humira, lipitor, viagra, "--pack", start, "--out", out
    )
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0].startswith(
        f"humira: Humira from {humira}: added, label set id 608d4f0d-b19f-46d3-749a-7159aa5f933d version 1560 of 2013-09-30"
    )
    assert lines[1].startswith(
        f"lipitor: Lipitor from {lipitor}: added, label set id c6e131fe-e7df-4876-83f7-9156fc4e8228 version 11"
    )
    assert lines[2].startswith(f"viagra: Viagra from {viagra}: added")
    assert f"wrote {out}" in err
    pack = load_pack(out)
    assert {p.id for p in pack.products} == {
        "alphex",
        "alphex-iv",
        "betanib",
        "humira",
        "lipitor",
        "viagra",
    }
    assert (pack.source_of("humira"), pack.source_of("viagra")) == ("spl", "openfda")
    assert pack.label_of("viagra").version == "20" and pack.facts_for("viagra")
    # the openfda block's identity codes stay on the product (the reply's rxcui), SPL gives none
    assert (pack.product("viagra").rxcui, pack.product("humira").rxcui) == (("000000",), ())
    # offline: no network setting is needed, and an address nothing listens on would fail any request
    monkeypatch.setenv("RXCOMPARE_OPENFDA_BASE", "http://127.0.0.1:9")
    code, text, err = run(capsys, "compare", "humira", "viagra", "--pack", out, "-f", "json")
    assert code == 0, err
    doc = json.loads(text)
    assert (
        doc["provenance"]["humira"]
        == "parsed from label set id 608d4f0d-b19f-46d3-749a-7159aa5f933d, version 1560, effective 2013-09-30"
    )
    assert doc["provenance"]["viagra"].startswith("parsed from label set id ")
    # the same labels again change nothing, and nothing is written
    before = out.read_bytes()
    code, text, err = run(
        capsys, "pack", "add", tmp_path / "viagra-64f8040f.xml.json", humira, "--out", out
    )
    assert code == 0 and "already holds version 20" in text and "was not written" in err
    assert out.read_bytes() == before


def test_a_folder_is_its_label_files(tmp_path, capsys, start):
    folder = tmp_path / "labels"
    folder.mkdir()
    for name in ("humira.xml", "viagra-64f8040f.xml"):
        (folder / name).write_bytes(shared_path("spl", name).read_bytes())
    (folder / "notes.txt").write_text("not a label", encoding="utf-8")
    code, text, err = run(
        capsys, "pack", "add", folder, "--pack", start, "--out", tmp_path / "u.json"
    )
    assert code == 0, err
    assert [line.split(":")[0] for line in text.splitlines()] == ["humira", "viagra"]


def _older_lipitor(tmp_path):
    path = tmp_path / "lipitor-v9.xml"
    data = shared_path("spl", "lipitor-orig.xml").read_bytes()
    assert data.count(b'<versionNumber value="11"/>') == 1
    path.write_bytes(data.replace(b'<versionNumber value="11"/>', b'<versionNumber value="9"/>'))
    return path


@pytest.mark.parametrize(
    "second, message",
    [
        (
            _older_lipitor,
            "version 9 of 2014-01-13 is older than version 11 of 2014-01-13 that the pack holds for 'lipitor'; refused",
        ),
        (
            lambda _t: shared_path("spl", "lipitor-repack.xml"),
            "another product under the same id; refused",
        ),
    ],
    ids=["older-version", "other-product-same-id"],
)
def test_a_refused_label_leaves_the_pack_as_it_was(tmp_path, capsys, start, second, message):
    out = tmp_path / "user.json"
    code, _, err = run(
        capsys, "pack", "add", shared_path("spl", "lipitor-orig.xml"), "--pack", start, "--out", out
    )
    assert code == 0, err
    before = out.read_bytes()
    humira = shared_path("spl", "humira.xml")  # taken alone, but not with a refused label
    code, text, err = run(capsys, "pack", "add", humira, second(tmp_path), "--out", out)
    assert code == 1 and message in err and "nothing was added" in err and "Traceback" not in err
    assert out.read_bytes() == before and text == ""


@pytest.mark.parametrize(
    "name, message",
    [("missing.xml", "no such file or folder"), ("empty", "a folder without label files")],
)
def test_files_that_are_not_there_are_said(tmp_path, capsys, start, name, message):
    (tmp_path / "empty").mkdir()
    code, _, err = run(
        capsys, "pack", "add", tmp_path / name, "--pack", start, "--out", tmp_path / "u.json"
    )
    assert code == 1 and message in err and not (tmp_path / "u.json").exists()


def test_pack_build_outside_a_checkout_writes_the_user_pack(tmp_path, capsys, monkeypatch):
    user = tmp_path / "data" / "pack.json"
    user.parent.mkdir()
    monkeypatch.setenv("RXCOMPARE_USER_PACK", str(user))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "pack", "build", "--spl", shared_path("spl", "humira.xml"))
    assert code == 0, err
    assert f"not in a checkout of rxcompare: writing the user pack {user}" in err
    assert [p.id for p in load_pack(user).products] == ["humira"]
    assert not (tmp_path / "src").exists()
