import asyncio
from collections import defaultdict

import pytest

from careweave.codecs.hl7v2 import AckCode, build_ack, parse_header
from careweave.connectors.mllp import MllpListener, MllpListenerConfig, PeerInfo
from careweave.exceptions import Hl7ParseError
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario, send_scenario
from careweave.sandbox.ehr.sender import connection_for


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(
        EhrScenarioConfig(seed=5, days=1, encounters_per_day=25, malformed_rate=0.08)
    )


async def test_send_over_real_mllp_keeps_patient_order_and_returns_acks(scenario):
    arrivals: dict[str, list[int]] = defaultdict(list)
    by_raw = {m.raw: m for m in scenario.messages}
    peers: dict[str, set[int]] = defaultdict(set)

    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        message = by_raw[raw]
        arrivals[message.patient_key].append(message.sequence)
        peers[message.patient_key].add(peer.connection_id)
        await asyncio.sleep(0)
        try:
            header = parse_header(raw)
        except Hl7ParseError as exc:
            return build_ack(None, AckCode.REJECT, text=exc.message, error_code=exc.hl7_code)
        return build_ack(header, AckCode.ACCEPT)

    progress: list[tuple[int, int]] = []
    async with MllpListener(MllpListenerConfig(port=0), handler) as listener:
        results = await send_scenario(
            scenario.messages, "127.0.0.1", listener.port, connections=3,
            progress=lambda done, total: progress.append((done, total)),
        )  # fmt: skip
    assert [r.sequence for r in results] == [m.sequence for m in scenario.messages]
    for message, result in zip(scenario.messages, results, strict=True):
        assert not result.error
        assert result.connection == connection_for(message, 3)
        if message.malformed is None or message.malformed.value == "invalid_encoding":
            # A header-only receiver cannot see a bad byte in PID: only its parser will.
            assert result.ack_code == "AA", message
        else:
            assert result.ack_code == "AR", message
    for patient, sequences in arrivals.items():
        assert sequences == sorted(sequences), patient
        assert len(peers[patient]) == 1
    assert len({r.connection for r in results}) == 3
    assert progress[-1] == (len(scenario.messages), len(scenario.messages))


async def test_unreachable_receiver_is_reported_per_message(scenario):
    results = await send_scenario(scenario.messages[:3], "127.0.0.1", 1, connections=2)
    assert all(r.ack_code == "" and "TransientDeliveryError" in r.error for r in results)


async def test_connections_must_be_positive(scenario):
    with pytest.raises(ValueError, match="connections"):
        await send_scenario(scenario.messages, "127.0.0.1", 1, connections=0)
