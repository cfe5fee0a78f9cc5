"""Token authority: keys rotate without breaking live tokens, an external issuer's tokens verify
against its JWKS, nothing else does."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from careweave.app import check_application
from careweave.config import parse_settings
from careweave.connectors.http_source.api_config import (
    ApiClientConfig,
    ApiConfig,
    ApiIssuerConfig,
)
from careweave.exceptions import ConfigError
from careweave.gateway.api.keys import KeyRing, generate_key, load_keys
from careweave.gateway.api.tokens import TokenAuthority, TokenError

CONFIG = ApiConfig(clients=[ApiClientConfig(id="fin", role="finance", secret_env="FIN")])


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_token_survives_one_rotation_not_two() -> None:
    clock = Clock()
    keys = KeyRing.generated(rotation=3600, clock=clock)
    authority = TokenAuthority(CONFIG, {"fin": "s3cret"}, keys)
    token = authority.issue("fin", "s3cret", None).access_token
    assert (await authority.verify(token)).scopes == {"messages:read", "cases:read",
                                                      "masterdata:read", "catalog:read"}  # fmt: skip
    keys.rotate()
    assert (await authority.verify(token)).client_id == "fin"
    assert len(keys.jwks()["keys"]) == 2
    keys.rotate()
    with pytest.raises(TokenError, match="unknown key"):
        await authority.verify(token)


def test_a_generated_key_is_replaced_when_its_time_is_up() -> None:
    clock = Clock()
    keys = KeyRing.generated(rotation=60, clock=clock)
    first = keys.current()
    clock.now += 59
    assert keys.current() is first
    clock.now += 1
    second = keys.current()
    assert second is not first
    assert [k.kid for k in keys.valid_keys()] == [second.kid, first.kid]


async def test_a_forged_or_expired_token_is_refused() -> None:
    keys = KeyRing([generate_key()])
    authority = TokenAuthority(CONFIG, {"fin": "s3cret"}, keys)
    other = KeyRing([generate_key()])
    forger = TokenAuthority(CONFIG, {"fin": "s3cret"}, other)
    forged = forger.issue("fin", "s3cret", None).access_token
    with pytest.raises(TokenError):
        await authority.verify(forged)
    clock = Clock()
    old = TokenAuthority(CONFIG, {"fin": "s3cret"}, keys, clock=clock)
    stale = old.issue("fin", "s3cret", None).access_token  # issued in 1970, long expired
    with pytest.raises(TokenError, match="expired"):
        await authority.verify(stale)
    unsigned = jwt.encode({"iss": "careweave", "sub": "fin", "scope": "phi:read"}, "", "none")
    with pytest.raises(TokenError):
        await authority.verify(unsigned)


def test_keys_load_from_a_pem_file_the_last_one_current(tmp_path: Path) -> None:
    pems = b"".join(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        for _ in range(2)
    )
    (tmp_path / "keys.pem").write_bytes(pems)
    loaded = load_keys(tmp_path / "keys.pem")
    ring = KeyRing(loaded)
    assert ring.current() is loaded[1]
    assert [k.kid for k in ring.valid_keys()] == [loaded[1].kid, loaded[0].kid]
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ConfigError, match="no private key"):
        load_keys(tmp_path / "bad.pem")


@pytest.fixture
def idp() -> Iterator[tuple[str, ec.EllipticCurvePrivateKey]]:
    """An identity provider publishing one EC key's JWKS over HTTP on loopback."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "ES256"}]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    finally:
        server.shutdown()
        server.server_close()


async def test_an_external_issuers_token_is_accepted_with_its_scopes(
    idp: tuple[str, ec.EllipticCurvePrivateKey],
) -> None:
    url, key = idp
    config = ApiConfig(issuer=ApiIssuerConfig(issuer="https://idp.test/", audience="cw",
                                              jwks_url=url))  # fmt: skip
    authority = TokenAuthority(config, {}, KeyRing([generate_key()]))
    claims = {"iss": "https://idp.test/", "aud": "cw", "sub": "u1", "azp": "console",
              "scope": "cases:read", "exp": 4_000_000_000}  # fmt: skip
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "idp-1"})
    principal = await authority.verify(token)
    assert (principal.client_id, principal.scopes) == ("console", frozenset({"cases:read"}))
    wrong_audience = jwt.encode({**claims, "aud": "other"}, key, "ES256", headers={"kid": "idp-1"})
    with pytest.raises(TokenError):
        await authority.verify(wrong_audience)


async def test_check_names_an_api_secret_missing_from_the_environment(tmp_path: Path) -> None:
    settings = parse_settings(
        '[api]\nport = 0\n[[api.clients]]\nid = "ops"\nrole = "auditor"\n'
        'secret_env = "CW_OPS_SECRET"\n'
    )
    with pytest.raises(ConfigError, match="CW_OPS_SECRET"):
        await check_application(settings, settings_dir=tmp_path, env={})
    assert (
        await check_application(settings, settings_dir=tmp_path, env={"CW_OPS_SECRET": "x"}) == []
    )


def test_settings_refuse_a_role_that_does_not_exist() -> None:
    with pytest.raises(ConfigError, match="role"):
        parse_settings('[[api.clients]]\nid = "x"\nrole = "root"\nsecret_env = "X"\n')


def test_settings_refuse_the_api_on_a_channels_port() -> None:
    with pytest.raises(ConfigError, match=r"\$\.api\.port"):
        parse_settings(
            '[[channels]]\nname = "a"\nsource = { type = "mllp", port = 5000 }\n[api]\nport = 5000\n'
        )
