"""The rule for what tests need from outside the repository (tests/conftest.py).

A missing corpus or service skips the test that needs it, inside the test and with a reason; when
``CI`` is set it fails the test instead. Nothing is decided at import or collection.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    CORPUS_MISSING,
    ROOT,
    corpus_names,
    corpus_path,
    require_service,
    service_url,
)

Skipped = pytest.skip.Exception
Failed = pytest.fail.Exception


@pytest.fixture
def corpus_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A corpus of three files, found through CAREWEAVE_CORPUS_DIR."""
    for name in ("hl7v2/a/one.hl7", "hl7v2/a/two.txt", "hl7v2/b/three.hl7"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("MSH|")
    monkeypatch.setenv("CAREWEAVE_CORPUS_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def no_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CAREWEAVE_CORPUS_DIR naming a folder that does not exist."""
    missing = tmp_path / "no-corpus-here"
    monkeypatch.setenv("CAREWEAVE_CORPUS_DIR", str(missing))
    return missing


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def open_port() -> Iterator[int]:
    """A port a plain socket listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_the_corpus_is_read_where_the_variable_says(corpus_dir: Path) -> None:
    assert corpus_path("hl7v2", "a", "one.hl7") == corpus_dir / "hl7v2" / "a" / "one.hl7"
    assert corpus_names("hl7v2", pattern="**/*.hl7") == ["a/one.hl7", "b/three.hl7"]
    assert corpus_names("hl7v2", pattern="**/*", keep=lambda n: n.startswith("a/")) == [
        "a/one.hl7",
        "a/two.txt",
    ]


def test_the_default_corpus_is_beside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREWEAVE_CORPUS_DIR", raising=False)
    monkeypatch.delenv("CI", raising=False)
    try:
        found = corpus_path()
    except Skipped as skipped:
        assert str(ROOT.parent / "shared" / "corpus") in str(skipped)
    else:
        assert found == ROOT.parent / "shared" / "corpus"


def test_a_missing_corpus_skips_with_its_reason(
    no_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match=r"the corpus is not at .*CAREWEAVE_CORPUS_DIR") as skipped:
        corpus_path("hl7v2")
    assert str(no_corpus) in str(skipped.value)


def test_a_missing_corpus_fails_in_ci(no_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="required when CI is set"):
        corpus_path("hl7v2")


def test_a_file_missing_from_the_corpus_is_named(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match=r"four\.hl7 is not in the corpus"):
        corpus_path("hl7v2", "a", "four.hl7")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(Failed, match=r"four\.hl7 is not in the corpus"):
        corpus_path("hl7v2", "a", "four.hl7")


def test_listing_at_collection_never_skips_nor_fails(
    no_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A missing corpus gives one placeholder, which the test's corpus_path call then reports.
    monkeypatch.setenv("CI", "1")
    assert corpus_names("hl7v2", pattern="**/*.hl7") == [CORPUS_MISSING]
    with pytest.raises(Failed):
        corpus_path("hl7v2", CORPUS_MISSING)


def test_services_default_to_the_local_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREWEAVE_TEST_POSTGRES_URL", raising=False)
    monkeypatch.delenv("CAREWEAVE_TEST_NATS_URL", raising=False)
    assert service_url("PostgreSQL") == "postgresql://postgres@127.0.0.1:5432/test"
    assert service_url("NATS") == "nats://127.0.0.1:4222"


def test_a_service_is_found_where_its_variable_says(
    open_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"nats://127.0.0.1:{open_port}"
    monkeypatch.setenv("CAREWEAVE_TEST_NATS_URL", url)
    assert require_service("NATS") == url


def test_a_missing_service_skips_or_fails_in_ci(
    closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port}/test"
    monkeypatch.setenv("CAREWEAVE_TEST_POSTGRES_URL", url)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match=f"PostgreSQL is not listening on 127.0.0.1:{closed_port}"):
        require_service("PostgreSQL")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(Failed, match=r"CAREWEAVE_TEST_POSTGRES_URL.*required when CI is set"):
        require_service("PostgreSQL")


# The modules that once skipped at import when ../shared was absent, and one that lists the corpus
# to parametrize: collected in another pytest without the corpus, with and without CI.
CORPUS_MODULES = (
    "tests/unit/hl7v2/test_corpus.py",
    "tests/unit/mappings/test_converter_agreement.py",
    "tests/integration/listener/test_listener_fuzz.py",
)


def _pytest_without_corpus(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CAREWEAVE_CORPUS_DIR"] = str(tmp_path / "no-corpus-here")
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *CORPUS_MODULES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_without_the_corpus_its_tests_skip_inside_the_test(tmp_path: Path) -> None:
    result = _pytest_without_corpus(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout
    assert "error" not in result.stdout.lower(), result.stdout
    assert "the corpus is not at" in result.stdout
    assert "corpus-missing" not in result.stdout  # reported by reason, not by placeholder name


def test_without_the_corpus_in_ci_its_tests_fail(tmp_path: Path) -> None:
    result = _pytest_without_corpus(tmp_path, ci=True)
    assert result.returncode == 1, result.stdout  # tests failed; 2 would be a collection error
    assert "during collection" not in result.stdout, result.stdout
    assert "required when CI is set" in result.stdout
