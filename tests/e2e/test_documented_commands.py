"""Every command README.md, docs/*.md and examples/*/README.md show runs as written.

The commands are read from the documents' fenced ``sh`` blocks (and the ``$`` lines of ``console``
blocks), so a command added to a document is run here without editing this test. Each runs through
bash from the root of a folder laid out like the repository after ``make``: a copy of ``examples/``
and ``.venv/bin/careweave`` (with ``.venv/bin`` on PATH, as after ``. .venv/bin/activate``, for the
documents that write plain ``careweave``). Each must exit 0, or the code its document states, and
print no traceback.

The documents run one after the other on that folder (so ``docs/operations.md`` works the database
the README's day filled), each as one shell: its ``export`` lines hold for its later commands, and
the servers it starts (``careweave run``, ``careweave sandbox serve``) run in the background from
the line that starts them, once they print their ``ready`` line, to the end of the document, which
stops them with SIGTERM (and expects exit code 0).

What differs from a reader's terminal, and why:

- the example's fixed ports are swapped for free ones, in the copy of its settings and in the
  commands that name them: someone may be running the example on this machine;
- simulated days are small (``--encounters N`` runs with 20) to keep the test near a minute;
- ``make demo`` runs as the command it runs, ``.venv/bin/careweave demo``, on a small day and
  without serving (``--no-serve``: it would serve until Ctrl-C), and ``make test`` does not run:
  this test is part of it.

The ``console`` blocks of docs/user-steps.md are run by
tests/integration/cli/test_user_steps_docs.py, in the user-steps example; a block whose first line
is ``# template`` is a template to fill in, not a command to run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from careweave.cli.app import app
from careweave.codecs.fhir.bundle import Bundle
from careweave.codecs.fhir.decode import bundle_entries, decode_resource
from careweave.codecs.hl7v2 import parse_message
from tests.integration.engine.helpers import free_port
from tests.unit.x12.pyx12_oracle import pyx12_errors

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SAMPLES = ROOT / "examples" / "samples"
EXAMPLE_SETTINGS = "examples/health-system/careweave.toml"
EXAMPLE_PORTS = (27575, 27580, 27590, 27600)
"""The example's fixed ports: its MLLP feed, the revenue-cycle and the ERP simulators, its API."""
SMALL_DAY = 20
RUN = {"sh", "bash", "shell", "console"}
TEMPLATE = "# template"
MOST_TEMPLATES = 2
COVERED_ELSEWHERE = {
    "docs/user-steps.md": "tests/integration/cli/test_user_steps_docs.py",
}
"""Documents whose ``console`` blocks another test runs (here only their ``sh`` blocks run)."""
STAND_INS = {"make demo": f".venv/bin/careweave demo --no-serve --encounters {SMALL_DAY}"}
NOT_RUN = {"make test": "this test is part of `make test`"}
EXIT_CODES: dict[str, int] = {}
"""Documented commands that exit with another code than 0 (the code their document states)."""
SERVERS = {("run",): "careweave ready", ("sandbox", "serve"): "ready"}
"""Long-running sub-commands and the line each prints on stdout once it serves."""
LOOKS_LIKE_A_COMMAND = re.compile(r"^(\$ )?(\S*/)?(careweave|make)( |$)")
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.M | re.S)
SLOW_START = 90.0


@dataclass(frozen=True)
class Block:
    """A fenced block of a document."""

    document: str
    line: int
    language: str
    text: str

    @property
    def template(self) -> bool:
        return self.text.startswith(TEMPLATE)

    @property
    def runs_here(self) -> bool:
        if self.language not in RUN or self.template:
            return False
        return not (self.language == "console" and self.document in COVERED_ELSEWHERE)

    def commands(self) -> list[str]:
        """The block's command lines: ``$`` lines of a console block; a shell block's lines but
        comments, with backslash continuations joined."""
        if self.language == "console":
            return [line[2:] for line in self.text.splitlines() if line.startswith("$ ")]
        found: list[str] = []
        pending = ""
        for line in self.text.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending += line
            if pending.endswith("\\"):
                pending = pending[:-1]
                continue
            found.append(pending.strip())
            pending = ""
        return found


def documents() -> list[str]:
    """The documents whose commands must run, as paths from the repository root."""
    names = ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
    found = [names[0], *(f"docs/{n}" for n in names[1:])]
    found += sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("examples/*/README.md"))
    return found


def blocks(document: str) -> list[Block]:
    text = (ROOT / document).read_text()
    return [
        Block(document, text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2))
        for m in FENCE.finditer(text)
    ]


def words(command: str) -> list[str]:
    """The command's words, without its trailing comment."""
    return shlex.split(command, comments=True)


def subcommand(command: str) -> tuple[str, ...]:
    """The words after ``careweave`` (empty when the command does not run careweave)."""
    argv = words(command)
    for i, word in enumerate(argv):
        if Path(word).name == "careweave":
            return tuple(argv[i + 1 :])
    return ()


@dataclass
class Shell:
    """One document's terminal: its working folder, its environment and its servers."""

    cwd: Path
    env: dict[str, str]
    ports: dict[int, int]
    logs: Path
    servers: list[tuple[str, subprocess.Popen[bytes], list[IO[bytes]]]] = field(
        default_factory=list
    )

    def prepare(self, command: str) -> str:
        """The command with the example's ports moved and its simulated day made small."""
        for fixed, free in self.ports.items():
            command = re.sub(rf"\b{fixed}\b", str(free), command)
        return re.sub(r"--encounters \d+", f"--encounters {SMALL_DAY}", command)

    def run(self, command: str) -> str | None:
        """Run one documented command; what went wrong, or None."""
        key = " ".join(words(command))
        if key in NOT_RUN:
            return None
        if key.startswith("export "):
            for assignment in words(command)[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = value
            return None
        if key.startswith("cd "):
            self.cwd = self.cwd / words(command)[1]
            return None
        line = self.prepare(STAND_INS.get(key, command))
        for prefix, ready in SERVERS.items():
            if subcommand(line)[: len(prefix)] == prefix:
                return self.start(line, ready)
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=180,
            check=False,
        )
        expected = EXIT_CODES.get(key, 0)
        if done.returncode != expected or "Traceback" in done.stdout:
            return f"exit code {done.returncode} (expected {expected}):\n{done.stdout[-3000:]}"
        return None

    def start(self, line: str, ready: str) -> str | None:
        """Start a server in the background; None once it printed ``ready``."""
        n = len(list(self.logs.glob("*.out")))
        out, err = (self.logs / f"{n}.out").open("wb"), (self.logs / f"{n}.err").open("wb")
        process = subprocess.Popen(
            ["bash", "-c", f"exec {line}"],
            cwd=self.cwd,
            env=self.env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        self.servers.append((line, process, [out, err]))
        deadline = time.monotonic() + SLOW_START
        while ready not in (self.logs / f"{n}.out").read_text().splitlines():
            if process.poll() is not None or time.monotonic() > deadline:
                return f"did not print {ready!r}:\n{(self.logs / f'{n}.err').read_text()[-3000:]}"
            time.sleep(0.05)
        return None

    def close(self) -> list[str]:
        """Stop the servers (SIGTERM, as Ctrl-C would); what did not stop cleanly."""
        problems = []
        for line, process, files in reversed(self.servers):
            early = process.poll()
            if early is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait(timeout=30)
            for file in files:
                file.close()
            if early is not None:
                problems.append(
                    f"{line}\n  stopped before the end of its document: exit code {code}"
                )
            elif code != 0:
                problems.append(f"{line}\n  exit code {code} after SIGTERM")
        self.servers.clear()
        return problems


def site(folder: Path) -> dict[int, int]:
    """``folder`` laid out like the repository after ``make``; the example's ports, moved."""
    shutil.copytree(ROOT / "examples", folder / "examples")
    (folder / ".venv" / "bin").mkdir(parents=True)
    (folder / ".venv" / "bin" / "careweave").symlink_to(BIN / "careweave")
    ports = {port: free_port() for port in EXAMPLE_PORTS}
    settings = folder / EXAMPLE_SETTINGS
    text = settings.read_text()
    for fixed, free in ports.items():
        assert str(fixed) in text, f"{EXAMPLE_SETTINGS} no longer uses port {fixed}"
        text = re.sub(rf"\b{fixed}\b", str(free), text)
    settings.write_text(text)
    return ports


def test_every_command_shown_in_the_documents_runs_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "careweave"
    ports = site(folder)
    logs = tmp_path / "logs"
    logs.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREWEAVE_")}
    base.pop("FORCE_COLOR", None)
    base["PATH"] = f"{folder / '.venv' / 'bin'}{os.pathsep}{base.get('PATH', '')}"
    failures: list[str] = []
    ran = 0
    for document in documents():
        shell = Shell(folder, dict(base), ports, logs)
        try:
            for block in blocks(document):
                if not block.runs_here:
                    continue
                for command in block.commands():
                    problem = shell.run(command)
                    ran += 1
                    if problem is not None:
                        failures.append(f"{document}:{block.line}: {command}\n  {problem}")
        finally:
            failures += [f"{document}: {p}" for p in shell.close()]
    assert not failures, "\n\n".join(failures)
    assert ran >= 50, f"only {ran} documented commands found: is the extraction broken?"


def test_no_command_hides_where_it_is_not_run() -> None:
    """A command line in a block the test does not run is either run elsewhere or a template."""
    hidden, templates = [], []
    for document in documents():
        for block in blocks(document):
            if block.template:
                templates.append(f"{document}:{block.line}")
            elif block.runs_here or (
                block.language == "console" and block.document in COVERED_ELSEWHERE
            ):
                continue
            elif any(LOOKS_LIKE_A_COMMAND.match(line.strip()) for line in block.text.splitlines()):
                hidden.append(f"{document}:{block.line} ({block.language or 'no language'})")
    assert not hidden, f"commands in blocks that are neither sh nor a template: {hidden}"
    assert len(templates) <= MOST_TEMPLATES, f"keep templates few: {templates}"
    shown = {
        " ".join(words(c))
        for d in documents()
        for b in blocks(d)
        if b.language in RUN
        for c in b.commands()
    }
    assert set(STAND_INS) | set(NOT_RUN) <= shown, "an exception names a command no longer shown"
    for test in COVERED_ELSEWHERE.values():
        assert (ROOT / test).is_file(), test


@pytest.mark.parametrize("name", ["claims.837", "remittance.835"])
def test_the_x12_samples_validate(name: str) -> None:
    result = CliRunner().invoke(app, ["x12", "validate", str(SAMPLES / name)])
    assert result.exit_code == 0, result.output
    assert result.output == "valid\n"
    assert pyx12_errors(SAMPLES / name) == []


def test_the_hl7_and_fhir_samples_are_what_the_documents_say() -> None:
    admit = parse_message((SAMPLES / "adt-a01.hl7").read_bytes())
    assert admit.get("MSH-9") == "ADT^A01^ADT_A01"
    assert admit.get("PV1-2") == "I"
    bundle = decode_resource((SAMPLES / "bundle.json").read_bytes())
    assert isinstance(bundle, Bundle)
    assert bundle.type == "transaction"
    kinds = sorted(type(resource).__name__ for _, resource in bundle_entries(bundle))
    assert kinds == ["ChargeItem", "Device", "Encounter", "Patient", "Procedure"]
