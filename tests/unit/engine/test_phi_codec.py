"""The PHI codec and keyring: AES-256-GCM values, AES-SIV keys, HMAC search tokens, key rotation,
and one clear error line for a configured key that is missing or malformed."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.cli import app
from careweave.config import EngineConfig
from careweave.engine.store.aes_codec import AesGcmCodec
from careweave.engine.store.codec import PlainCodec
from careweave.engine.store.phi_codec import codec_for
from careweave.engine.store.phi_keys import (
    generate_key,
    load_keyring,
    parse_keyring,
    write_key_file,
)
from careweave.exceptions import ConfigError, StoreError

OLD = base64.b64encode(bytes(range(32))).decode()
NEW = base64.b64encode(bytes(range(100, 132))).decode()
PID = b"PID|1||E2000517^^^RBH^MR||YOUNG^NANCY||19680411|F|||6750 CEDAR CT^^NEENAH^WI"


def codec(text: str) -> AesGcmCodec:
    return AesGcmCodec(parse_keyring(text, "test"))


def test_values_are_sealed_with_a_fresh_nonce_and_open_back() -> None:
    aes = codec(OLD)
    first, second = aes.seal(PID), aes.seal(PID)
    assert first != second  # a fresh nonce each time: equal payloads do not look equal
    for sealed in (first, second):
        assert b"YOUNG" not in sealed and b"E2000517" not in sealed
        assert aes.open(sealed) == PID
    text = aes.seal_text("PID-7: invalid date/time '19701399'")
    assert "19701399" not in text
    assert aes.open_text(text) == "PID-7: invalid date/time '19701399'"


def test_keys_are_sealed_deterministically_and_read_back() -> None:
    aes = codec(OLD)
    sealed = aes.seal_key("discharge:RBH|E2000517:RBMC|282875304")
    assert sealed == aes.seal_key("discharge:RBH|E2000517:RBMC|282875304")
    assert sealed != aes.seal_key("discharge:RBH|E2000518:RBMC|282875304")
    assert "E2000517" not in sealed
    assert aes.open_key(sealed) == "discharge:RBH|E2000517:RBMC|282875304"


def test_a_dedup_key_is_found_whole_or_by_its_control_id() -> None:
    aes = codec(OLD)
    stored = aes.seal_dedup_key("EPIC|RBMC|3629553")
    assert aes.open_dedup_key(stored) == "EPIC|RBMC|3629553"
    assert "3629553" not in stored

    def like(pattern: str, value: str) -> bool:  # SQL LIKE with % only (no _ in our alphabet)
        import fnmatch

        return fnmatch.fnmatchcase(value, pattern.replace("%", "*"))

    assert any(like(p, stored) for p in aes.search_terms("3629553"))
    assert any(like(p, stored) for p in aes.search_terms("EPIC|RBMC|3629553"))
    assert not any(like(p, stored) for p in aes.search_terms("3629554"))
    assert not any(like(p, stored) for p in aes.search_terms("RBMC"))


def test_values_stored_in_clear_before_the_key_was_on_still_read() -> None:
    aes = codec(OLD)
    assert aes.open(PID) == PID
    assert aes.open_text("unreadable MSH") == "unreadable MSH"
    assert aes.open_key("E2000517") == "E2000517"


def test_rotation_seals_with_the_first_key_and_opens_with_any() -> None:
    before = codec(f"old:{OLD}")
    after = codec(f"new:{NEW},old:{OLD}")
    old_value, old_text = before.seal(PID), before.seal_text("E2000517")
    assert after.open(old_value) == PID and after.open_text(old_text) == "E2000517"
    new_value = after.seal(PID)
    assert new_value[5:8] == b"new"  # the key id travels with the value
    with pytest.raises(StoreError, match="'new', not in the keyring"):
        before.open(new_value)
    # Compared keys and tokens come from the last (index) key: unchanged by the rotation.
    assert after.seal_key("E2000517") == before.seal_key("E2000517")
    assert after.search_terms("3629553") == before.search_terms("3629553")


def test_a_wrong_key_or_an_altered_value_is_refused() -> None:
    sealed = codec(OLD).seal(PID)
    with pytest.raises(StoreError, match="does not open with key 'k1'"):
        codec(NEW).open(sealed)
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(StoreError, match="altered row"):
        codec(OLD).open(altered)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not base64!", "is not base64 of 32 bytes"),
        (base64.b64encode(b"short").decode(), "is base64 of 5 bytes, not 32"),
        (f"a:{OLD},a:{NEW}", "key id 'a' is listed twice"),
        (f"a b:{OLD}", "entry 1 is not kid:base64"),
        (f"new:{NEW},{OLD}", "entry 2 is not kid:base64"),
        ("   ", "is empty"),
    ],
)
def test_a_malformed_keyring_is_named_without_quoting_it(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        parse_keyring(text, "CAREWEAVE_PHI_KEY")
    assert str(caught.value).startswith("CAREWEAVE_PHI_KEY")
    assert OLD not in str(caught.value) and NEW not in str(caught.value)


def test_the_keyring_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert load_keyring("", "", {}) is None
    with pytest.raises(ConfigError, match="CAREWEAVE_PHI_KEY is not set"):
        load_keyring("CAREWEAVE_PHI_KEY", "", {})
    ring = load_keyring("CAREWEAVE_PHI_KEY", "", {"CAREWEAVE_PHI_KEY": generate_key()})
    assert ring is not None and ring.current == ring.index == "k1"
    key_file = tmp_path / "phi.key"
    write_key_file(key_file)
    assert key_file.stat().st_mode & 0o077 == 0  # the owner's only
    assert load_keyring("", str(key_file), {}) is not None
    with pytest.raises(ConfigError, match="cannot read"):
        load_keyring("", str(tmp_path / "missing.key"), {})
    with pytest.raises(ConfigError, match="both"):
        load_keyring("CAREWEAVE_PHI_KEY", str(key_file), {})


def test_the_settings_choose_the_codec() -> None:
    assert isinstance(codec_for(EngineConfig(), {}), PlainCodec)
    config = EngineConfig(phi_key_env="CAREWEAVE_PHI_KEY")
    assert isinstance(codec_for(config, {"CAREWEAVE_PHI_KEY": OLD}), AesGcmCodec)


@pytest.mark.parametrize(
    ("env", "words"),
    [({}, "CAREWEAVE_PHI_KEY is not set"), ({"CAREWEAVE_PHI_KEY": "xyz"}, "is not base64")],
)
def test_check_names_a_missing_or_malformed_key_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], words: str
) -> None:
    monkeypatch.delenv("CAREWEAVE_PHI_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "careweave.toml"
    config.write_text(f'[engine]\ndata_dir = "{tmp_path}"\nphi_key_env = "CAREWEAVE_PHI_KEY"\n')
    result = CliRunner().invoke(app, ["check", "--config", str(config)])
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines


def test_keys_generate_prints_a_key_the_keyring_accepts(tmp_path: Path) -> None:
    printed = CliRunner().invoke(app, ["keys", "generate"])
    assert printed.exit_code == 0
    assert parse_keyring(printed.stdout.strip(), "printed").current == "k1"
    with_id = CliRunner().invoke(app, ["keys", "generate", "--kid", "2026-12"])
    assert parse_keyring(with_id.stdout.strip(), "printed").current == "2026-12"
    bad = CliRunner().invoke(app, ["keys", "generate", "--kid", "a b"])
    assert bad.exit_code == 1 and bad.stderr.startswith("error: --kid")
    key_file = tmp_path / "phi.key"
    assert CliRunner().invoke(app, ["keys", "generate", "-o", str(key_file)]).exit_code == 0
    first = key_file.read_text()
    again = CliRunner().invoke(app, ["keys", "generate", "-o", str(key_file)])
    assert again.exit_code == 1 and "never overwritten" in again.stderr
    assert key_file.read_text() == first
