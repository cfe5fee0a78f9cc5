"""MLLP over TLS on real sockets: mutual TLS admits the right client certificate only.

Certificates are made at test time (tests/integration/listener/pki.py). A peer refused at the
handshake never reaches the handler, is counted in ``tls_refused`` and logged with its address,
and costs the other connections nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import parse_header
from careweave.connectors.mllp import (
    MllpClient,
    MllpListener,
    MllpListenerConfig,
    PeerInfo,
    ack_code,
    frame,
)
from careweave.connectors.mllp_destination import (
    MllpClientTlsConfig,
    MllpDestination,
    MllpDestinationConfig,
)
from careweave.connectors.tls import client_context, server_context
from careweave.exceptions import ConfigError, TransientDeliveryError
from careweave.model.records import Effect, EffectState
from tests.integration.listener.pki import Identity, Pki, make_pki

pytestmark = pytest.mark.timeout(30)

ListenerFactory = Callable[..., Awaitable[MllpListener]]


def message(control_id: str) -> bytes:
    return (
        "MSH|^~\\&|EHR|GENHOSP|CAREWEAVE|CW|20250101120000||ADT^A01^ADT_A01|"
        f"{control_id}|P|2.5.1\rPID|1||12345^^^MRN\r"
    ).encode()


class Recorder:
    """Acknowledges AA and remembers the control ids it handled."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, raw: bytes, peer: PeerInfo) -> bytes:
        header = parse_header(raw)
        self.seen.append(header.control_id)
        return build_ack(header, AckCode.ACCEPT)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def start_listener() -> AsyncIterator[ListenerFactory]:
    listeners: list[MllpListener] = []

    async def factory(handler: Recorder, context: ssl.SSLContext, **config: float) -> MllpListener:
        listener = MllpListener(MllpListenerConfig(port=0, tls=context, **config), handler)  # type: ignore[arg-type]
        await listener.start()
        listeners.append(listener)
        return listener

    yield factory
    for listener in listeners:
        await listener.stop(grace=1.0)


def mutual(pki: Pki) -> ssl.SSLContext:
    return server_context(pki.server.cert, pki.server.key, client_ca=pki.ca)


def client(pki: Pki, identity: Identity | None) -> ssl.SSLContext:
    if identity is None:
        return client_context(pki.ca)
    return client_context(pki.ca, identity.cert, identity.key)


async def test_client_with_a_certificate_from_the_trusted_ca_gets_its_acks(start_listener, pki):
    recorder = Recorder()
    listener = await start_listener(recorder, mutual(pki))
    async with MllpClient(
        "127.0.0.1", listener.port, tls=client(pki, pki.trusted_client)
    ) as sender:
        codes = [ack_code(await sender.send(message(f"TLS{i}"))) for i in range(5)]
    assert codes == ["AA"] * 5
    assert recorder.seen == [f"TLS{i}" for i in range(5)]
    assert listener.stats.tls_refused == 0


@pytest.mark.parametrize("who", ["stranger", "no certificate"])
async def test_client_without_the_right_certificate_is_refused(start_listener, pki, who, caplog):
    recorder = Recorder()
    listener = await start_listener(recorder, mutual(pki))
    identity = pki.stranger if who == "stranger" else None
    with caplog.at_level(logging.WARNING, logger="careweave.connectors.mllp.connection"):
        async with MllpClient("127.0.0.1", listener.port, tls=client(pki, identity)) as sender:
            with pytest.raises(TransientDeliveryError):
                await sender.send(message("INTRUDER"))
        # The good client still gets in while (and after) the stranger was turned away.
        async with MllpClient(
            "127.0.0.1", listener.port, tls=client(pki, pki.trusted_client)
        ) as good:
            assert ack_code(await good.send(message("GOOD"))) == "AA"
    assert recorder.seen == ["GOOD"]
    assert listener.stats.tls_refused >= 1
    refusals = [r.getMessage() for r in caplog.records if "TLS handshake failed" in r.getMessage()]
    assert refusals and all("from 127.0.0.1:" in line for line in refusals)


async def test_plain_tcp_to_a_tls_port_is_refused_and_harms_no_other_connection(
    start_listener, pki
):
    recorder = Recorder()
    listener = await start_listener(recorder, mutual(pki))
    async with MllpClient("127.0.0.1", listener.port, tls=client(pki, pki.trusted_client)) as good:
        assert ack_code(await good.send(message("BEFORE"))) == "AA"
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(frame(message("PLAIN")))
        with contextlib.suppress(ConnectionResetError):
            # Closed with no MLLP answer: at most TLS alert bytes, never an ACK.
            reply = await asyncio.wait_for(reader.read(), timeout=5.0)
            assert b"MSA" not in reply
        writer.close()
        # The same TLS connection as before goes on.
        assert ack_code(await good.send(message("AFTER"))) == "AA"
    assert recorder.seen == ["BEFORE", "AFTER"]
    assert listener.stats.tls_refused == 1


async def test_server_only_tls_admits_clients_without_certificates(start_listener, pki):
    listener = await start_listener(Recorder(), server_context(pki.server.cert, pki.server.key))
    async with MllpClient("127.0.0.1", listener.port, tls=client(pki, None)) as sender:
        assert ack_code(await sender.send(message("ONEWAY"))) == "AA"


async def test_client_refuses_a_server_its_ca_did_not_sign(start_listener, pki):
    listener = await start_listener(Recorder(), mutual(pki))
    untrusting = client_context(pki.other_ca, pki.trusted_client.cert, pki.trusted_client.key)
    sender = MllpClient("127.0.0.1", listener.port, tls=untrusting)
    with pytest.raises(TransientDeliveryError, match="TLS handshake"):
        await sender.connect()
    await sender.close()


async def test_mllp_destination_delivers_over_mutual_tls_with_paths_from_the_settings_folder(
    start_listener, pki
):
    recorder = Recorder()
    listener = await start_listener(recorder, mutual(pki))
    folder = pki.ca.parent
    config = MllpDestinationConfig(
        host="127.0.0.1",
        port=listener.port,
        tls=MllpClientTlsConfig(
            ca=pki.ca.name, cert=pki.trusted_client.cert.name, key=pki.trusted_client.key.name
        ),
    ).with_files_from(folder)
    destination = MllpDestination(config)
    now = dt.datetime.now(dt.UTC)
    effect = Effect(
        id=1,
        message_id=1,
        destination="peer",
        idempotency_key="k1",
        ordering_key=None,
        content_type="application/hl7-v2",
        payload=message("DEST1"),
        state=EffectState.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        last_error=None,
    )
    try:
        receipt = await destination.deliver(effect)
    finally:
        await destination.close()
    assert receipt.response is not None and "AA" in receipt.response
    assert recorder.seen == ["DEST1"]


def test_unusable_tls_files_are_config_errors_naming_the_file(tmp_path: Path, pki):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="cannot read"):
        server_context(tmp_path / "missing.pem", pki.server.key)
    with pytest.raises(ConfigError, match=re.escape(str(garbage))):
        server_context(garbage, pki.server.key)
    with pytest.raises(ConfigError, match="client_ca"):
        server_context(pki.server.cert, pki.server.key, client_ca=garbage)
    # A key that does not belong to the certificate.
    with pytest.raises(ConfigError, match="not a usable certificate and key"):
        server_context(pki.server.cert, pki.trusted_client.key)
    with pytest.raises(ConfigError, match="needs its key"):
        client_context(pki.ca, cert=pki.trusted_client.cert)


def test_mutual_tls_on_uvloop(pki):
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> tuple[list[str], int]:
        recorder = Recorder()
        listener = MllpListener(MllpListenerConfig(port=0, tls=mutual(pki)), recorder)
        codes: list[str] = []
        async with listener:
            async with MllpClient(
                "127.0.0.1", listener.port, tls=client(pki, pki.trusted_client)
            ) as good:
                codes += [ack_code(await good.send(message(f"UV{i}"))) for i in range(3)]
            async with MllpClient("127.0.0.1", listener.port, tls=client(pki, pki.stranger)) as bad:
                with pytest.raises(TransientDeliveryError):
                    await bad.send(message("UVBAD"))
            assert recorder.seen == ["UV0", "UV1", "UV2"]
            return codes, listener.stats.tls_refused

    codes, refused = uvloop.run(scenario())
    assert codes == ["AA"] * 3
    assert refused >= 1


async def test_handshake_that_never_finishes_is_refused_after_the_read_timeout(start_listener, pki):
    listener = await start_listener(Recorder(), mutual(pki), read_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    # Connected, silent: no ClientHello ever comes.
    assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    writer.close()
    assert listener.stats.tls_refused == 1
    assert listener.stats.active == 0
