"""docs/user-steps.md is true: its example files are those in examples/user-steps, and its commands
run as written (through the installed ``careweave`` and bash), printing what it shows.

The commands run in a copy of the example folder; the engine the document starts in the background
listens on the example's fixed port, 2591.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "user-steps.md"
EXAMPLE = ROOT / "examples" / "user-steps"
BIN = Path(sys.executable).parent
EXIT_CODES = {
    "careweave diff --config careweave-next.toml": 1,  # something changes
    "careweave check --config broken.toml": 2,  # a settings mistake
}
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")


def blocks(language: str) -> list[str]:
    """The fenced blocks of the document in ``language``."""
    return re.findall(rf"^```{language}\n(.*?)^```$", DOC.read_text(), flags=re.M | re.S)


def commands() -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of the console blocks, with the output lines shown under it."""
    found: list[tuple[str, list[str]]] = []
    for block in blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            else:
                found[-1][1].append(line)
    return found


def shown(lines: list[str]) -> list[str]:
    return [TIME.sub("<time>", line) for line in lines if line.strip()]


def test_the_documented_files_are_the_example_files() -> None:
    (rules,) = blocks("python")
    assert rules == (EXAMPLE / "site_rules.py").read_text()
    next_settings = next(b for b in blocks("toml") if b.startswith("# The next version"))
    assert next_settings == (EXAMPLE / "careweave-next.toml").read_text()
    today = (EXAMPLE / "careweave.toml").read_text().splitlines()[2:]
    broken = (EXAMPLE / "broken.toml").read_text().splitlines()[2:]
    # Today's feed lacks the transform line; the broken one misspells its function.
    assert [line for line in next_settings.splitlines()[2:] if "normalize_mrn" not in line] == today
    assert "\n".join(next_settings.splitlines()[2:]).replace("normalize_mrn", "normalise_mrn") == (
        "\n".join(broken)
    )


def test_the_documented_commands_run_as_written(tmp_path: Path) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 2591))
        except OSError:
            raise AssertionError("port 2591, the example's, is taken on this machine") from None
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "user-steps")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREWEAVE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    cwd = tmp_path
    background: list[subprocess.Popen[bytes]] = []
    ran: list[str] = []
    try:
        for command, output in commands():
            if command.startswith("cd "):
                cwd = cwd / command[3:]
            elif command.endswith("&"):
                background.append(
                    subprocess.Popen(
                        ["bash", "-c", command.removesuffix("&")],
                        cwd=cwd,
                        env=env,
                        start_new_session=True,
                    )
                )
                log = cwd / "run.log"
                deadline = time.monotonic() + 60
                while not (log.exists() and "careweave ready" in log.read_text()):
                    assert background[-1].poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "the engine did not start"
                    time.sleep(0.1)
            else:
                done = subprocess.run(
                    ["bash", "-c", command],
                    cwd=cwd,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    timeout=120,
                    check=False,
                )
                assert done.returncode == EXIT_CODES.get(command, 0), (command, done.stdout)
                if output:
                    assert shown(done.stdout.splitlines()) == shown(output), command
            ran.append(command)
        archive = cwd / "out" / "archive"
        deadline = time.monotonic() + 30
        while len(list(archive.glob("*.hl7"))) < 2:  # the engine delivers in the background
            assert time.monotonic() < deadline, "the two admissions were not archived"
            time.sleep(0.1)
    finally:
        for process in background:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
    assert "careweave diff --config careweave-next.toml" in ran
    assert len(ran) == len(commands())
    assert background and background[0].returncode == 0
    assert len(list(archive.glob("*.hl7"))) == 2  # the test patients were filtered
