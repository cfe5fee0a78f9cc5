"""The store's codec from the ``[engine]`` settings: AES-GCM when a PHI keyring is configured."""

from __future__ import annotations

from collections.abc import Mapping

from careweave.config import EngineConfig
from careweave.engine.store.aes_codec import AesGcmCodec
from careweave.engine.store.codec import PayloadCodec, PlainCodec
from careweave.engine.store.phi_keys import load_keyring


def codec_for(config: EngineConfig, env: Mapping[str, str]) -> PayloadCodec:
    """PlainCodec without a key; AesGcmCodec with one (ConfigError when it is missing/malformed)."""
    keyring = load_keyring(config.phi_key_env, config.phi_key_file, env)
    return PlainCodec() if keyring is None else AesGcmCodec(keyring)
