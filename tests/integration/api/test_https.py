"""HTTPS for the API and for a channel's HTTP source, mutual TLS on the source; bad files refused.

Certificates are made at test time (tests/integration/listener/pki.py); the application is built
from settings and served on loopback; clients are httpx with the test CA as their trust store.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.exceptions import ConfigError
from tests.integration.listener.pki import make_pki

SETTINGS = """
[engine]
data_dir = "{data_dir}"
log_level = "error"

[api]
port = 0
tls = {{ cert = "pki/server.pem", key = "pki/server.key" }}

[[api.clients]]
id = "ops"
role = "integration-admin"
secret_env = "OPS_SECRET"

[[channels]]
name = "fhir"
format = "fhir"
source = {{ type = "http", port = 0, path = "/fhir", tls = {{ {mutual} }} }}
"""
MUTUAL = 'cert = "pki/server.pem", key = "pki/server.key", client_ca = "pki/ca.pem"'


def _settings(folder: Path) -> str:
    return SETTINGS.format(data_dir=folder, mutual=MUTUAL)


async def test_the_api_serves_https_and_the_source_requires_a_client_certificate(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path / "pki")
    application = build_application(
        parse_settings(_settings(tmp_path)),
        settings_dir=tmp_path,
        env={"OPS_SECRET": "s3cret"},
        middleware=[],
    )
    async with application:
        await application.start()
        assert application.api is not None and application.api.port is not None
        api = f"https://127.0.0.1:{application.api.port}"
        trust = ssl.create_default_context(cafile=str(pki.ca))
        async with httpx.AsyncClient(verify=trust) as client:
            token = await client.post(
                f"{api}/v1/oauth/token",
                data={"grant_type": "client_credentials", "client_id": "ops",
                      "client_secret": "s3cret"},
            )  # fmt: skip
            assert token.status_code == 200, token.text
        async with httpx.AsyncClient() as plain:
            with pytest.raises(httpx.HTTPError):
                await plain.get(f"http://127.0.0.1:{application.api.port}/v1/oauth/jwks")

        source = application.engine.http_sources["fhir"]
        assert source.base_url.startswith("https://")
        async with httpx.AsyncClient(verify=trust) as anonymous:
            with pytest.raises(httpx.HTTPError):  # no client certificate: the handshake fails
                await anonymous.get(f"{source.base_url}/fhir/metadata")
        mutual = ssl.create_default_context(cafile=str(pki.ca))
        mutual.load_cert_chain(pki.trusted_client.cert, pki.trusted_client.key)
        async with httpx.AsyncClient(verify=mutual) as ehr:
            answer = await ehr.get(f"{source.base_url}/fhir/metadata")
            assert answer.status_code == 200


def test_unusable_tls_files_are_refused_when_the_application_is_built(tmp_path: Path) -> None:
    make_pki(tmp_path / "pki")
    (tmp_path / "pki" / "server.key").write_text("not a key")
    with pytest.raises(ConfigError, match=r"tls: .*server\.key"):
        build_application(
            parse_settings(_settings(tmp_path)),
            settings_dir=tmp_path,
            env={"OPS_SECRET": "s3cret"},
            middleware=[],
        )
