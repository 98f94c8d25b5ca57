"""Every `rxcompare` command the README shows runs and exits 0, unless it needs what a test has not:
the network, a Spark cluster, a server left running, the user's shell or the user's own files (each
such form is named in SKIP with why, and SKIP itself is checked against the README).

The commands run as written, in the README's order, in an empty folder: the embedded pack, the user
pack and the cache in that folder, and ``W`` (and ``~/faers``) the warehouse the README's own
``faers synth`` and ``faers ingest`` lines make there -- at 3,000 reports a quarter instead of the
README's 100,000, the one change made to a command (its size is an example, not what is tested).
``reports.csv`` is a small long table of reports; ``label.xml`` and ``omopReferenceSet.csv`` are
the real samples of ../shared (those cases skip, saying so, when it is absent).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import shared_path

from rxcompare.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"

SKIP = {
    r"--online\b": "asks the network",
    r"--fetch\b": "asks ClinicalTrials.gov",
    r"^pack update\b": "asks DailyMed and openFDA",
    r"--engine spark\b": "needs a Spark cluster at spark://host:7077",
    r"^serve\b": "serves until stopped (the server is tested in test_cli_conventions and test_browser)",
    r"--install-completion": "writes the user's shell configuration",
    r"^pack build\b": "rebuilds the pack from a checkout's knowledge/ folder",
    r"^pack add\b": "reads the user's own label files",
}


def readme_commands() -> list[str]:
    """The `rxcompare ...` commands of the README's sh blocks, without their comments and without
    optional parts written in brackets (``[--format json]``), in order."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(re.sub(r"\[[^\]]*\]", "", part), comments=True)
                if words[:1] == ["rxcompare"]:
                    out.append(shlex.join(words[1:]))
    return out


def skipped(command: str) -> str | None:
    return next((why for pattern, why in SKIP.items() if re.search(pattern, command)), None)


COMMANDS = readme_commands()
SETUP = [c for c in COMMANDS if c.startswith(("faers synth", "faers ingest"))]


def test_the_readme_shows_commands_and_every_skip_rule_is_used():
    assert len(COMMANDS) > 20 and SETUP and SETUP[0].startswith("faers synth")
    unused = [p for p in SKIP if not any(re.search(p, c) for c in COMMANDS)]
    assert not unused, f"SKIP rules no README command matches: {unused}"
    assert sum(skipped(c) is None for c in COMMANDS) > 20  # most of them run


def run(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """An empty folder with the README's warehouse ``W`` made by its own synth and ingest lines."""
    root = tmp_path_factory.mktemp("readme")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    mp.setenv("RXCOMPARE_EMBEDDED_PACK", "1")
    mp.setenv("RXCOMPARE_USER_PACK", str(root / "user-pack.json"))
    mp.setenv("RXCOMPARE_CACHE", str(root / "cache"))
    mp.setenv("COLUMNS", "100")
    for var in ("RXCOMPARE_PACK", "RXCOMPARE_WAREHOUSE", "RXCOMPARE_SYNONYMS"):
        mp.delenv(var, raising=False)
    rows = ["id,var1,var2"] + [f"{i},D{i % 7},E{i % 5}" for i in range(300)]
    (root / "reports.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for command in SETUP:
        argv = shlex.split(command.replace("--reports 100000", "--reports 3000"))
        if "synth/*.zip" in argv:
            i = argv.index("synth/*.zip")
            argv[i : i + 1] = sorted(str(p) for p in (root / "synth").glob("*.zip"))
        assert run(*argv) == 0, command
    yield root
    mp.undo()


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in SETUP])
def test_readme_command_exits_0(folder, capsys, command):
    why = skipped(command)
    if why:
        pytest.skip(f"`rxcompare {command}`: {why}")
    if "label.xml" in command:
        shutil.copy(shared_path("spl", "humira.xml"), folder / "label.xml")
    if "omopReferenceSet.csv" in command:
        shutil.copy(
            shared_path("reference-sets", "omopReferenceSet.csv"), folder / "omopReferenceSet.csv"
        )
    argv = [str(folder / "W") if w == "~/faers" else w for w in shlex.split(command)]
    code = run(*argv)
    assert code == 0, f"`rxcompare {command}` exited {code}: {capsys.readouterr().err[-2000:]}"
