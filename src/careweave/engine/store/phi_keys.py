"""The PHI keyring: the keys that seal what the store holds, read from the environment or a file.

A key is 32 random bytes written in base64. A keyring is one key, or several ``kid:base64`` entries
separated by commas: the first seals new values, every one of them opens (rotation without
downtime: put the new key first, keep the old ones after it). The last entry is the *index* key:
the deterministic forms of the keys the store compares (dedup, ordering, idempotency keys) and the
search tokens are derived from it, so they stay comparable across a rotation as long as it stays
listed last. Secrets never live in the settings file: ``[engine] phi_key_env`` names an environment
variable, ``phi_key_file`` a file holding the same text.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from careweave.exceptions import ConfigError

KEY_BYTES = 32
"""AES-256."""

_KID = re.compile(r"^[A-Za-z0-9.-]{1,32}$")
DEFAULT_KID = "k1"
"""The key id of a keyring given as one bare base64 key."""
FOLDER_KEY_FILE = "phi.key"
"""The key file a sandbox folder keeps beside its database (``careweave demo`` writes one)."""


@dataclass(frozen=True)
class Keyring:
    """Key id -> key; ``current`` seals, ``index`` makes the deterministic keys and tokens."""

    keys: Mapping[str, bytes]
    current: str
    index: str


def valid_kid(kid: str) -> bool:
    """Whether ``kid`` can name a key (letters, digits, ``.`` and ``-``; at most 32)."""
    return bool(_KID.match(kid))


def generate_key() -> str:
    """A new random key, base64 (what ``careweave keys generate`` prints)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where} is not base64 of {KEY_BYTES} bytes") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{where} is base64 of {len(key)} bytes, not {KEY_BYTES}")
    return key


def parse_keyring(text: str, where: str) -> Keyring:
    """Read ``base64`` or ``kid:base64,kid:base64,...``; ConfigError naming ``where`` if malformed.

    The error never quotes the key material.
    """
    entries = [e.strip() for e in text.strip().split(",")]
    if not entries or not entries[0]:
        raise ConfigError(f"{where} is empty")
    if len(entries) == 1 and ":" not in entries[0]:
        return Keyring({DEFAULT_KID: _decode_key(entries[0], where)}, DEFAULT_KID, DEFAULT_KID)
    keys: dict[str, bytes] = {}
    for n, entry in enumerate(entries, 1):
        kid, sep, material = entry.partition(":")
        if not sep or not _KID.match(kid):
            raise ConfigError(
                f"{where}: entry {n} is not kid:base64 (a key id of letters, digits, '.' or '-')"
            )
        if kid in keys:
            raise ConfigError(f"{where}: key id {kid!r} is listed twice")
        keys[kid] = _decode_key(material, f"{where}: key {kid!r}")
    ids = list(keys)
    return Keyring(keys, ids[0], ids[-1])


def load_keyring(env_name: str, file_name: str, env: Mapping[str, str]) -> Keyring | None:
    """The keyring the ``[engine]`` settings point at, or None when PHI protection is off.

    ConfigError (naming the variable or file, never the key) when one is configured but missing or
    malformed, or when both are.
    """
    if env_name and file_name:
        raise ConfigError("[engine] sets both phi_key_env and phi_key_file; choose one")
    if env_name:
        value = env.get(env_name, "")
        if not value.strip():
            raise ConfigError(
                f"[engine] phi_key_env: {env_name} is not set in the environment "
                "(generate a key with `careweave keys generate`)"
            )
        return parse_keyring(value, f"{env_name} ([engine] phi_key_env)")
    if file_name:
        path = Path(file_name)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
            raise ConfigError(f"[engine] phi_key_file: cannot read {path}: {reason}") from None
        return parse_keyring(text, f"{path} ([engine] phi_key_file)")
    return None


def write_key_file(path: Path) -> None:
    """Write a new key to ``path``, readable by its owner only (the demo keeps one per folder)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(generate_key() + "\n")
