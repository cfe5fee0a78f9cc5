"""careweave reads the simulated EHR as a SMART backend service, over real sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from careweave.codecs.fhir.administration import Patient
from careweave.codecs.fhir.care import Encounter
from careweave.connectors.fhir_client import FhirClient, FhirClientConfig
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError
from careweave.sandbox.ehr_fhir import EhrFhirServer, generate_client_key
from tests.integration.engine.helpers import free_port
from tests.integration.fhir.conftest import CLIENT_ID, write_key


def _config(ehr: EhrFhirServer, key_path: Path, **extra) -> FhirClientConfig:
    return FhirClientConfig(
        base_url=ehr.fhir_base,
        token_url=ehr.token_url,
        client_id=CLIENT_ID,
        private_key_path=str(key_path),
        key_id="es-1",
        algorithm="ES384",
        **extra,
    )


async def test_search_follows_next_links_across_pages(ehr, es384_key, tmp_path, clock):
    async with FhirClient(_config(ehr, write_key(tmp_path, es384_key)), clock=clock) as client:
        pages = [page async for page in client.search_pages("Patient", {"_count": "3"})]
        patients = [p async for p in client.search("Patient", {"_count": "3"})]
    assert [len(p.entry) for p in pages] == [3, 3, 1]
    assert all(p.type == "searchset" and p.total == 7 for p in pages)
    assert [p.id for p in patients if isinstance(p, Patient)] == [f"p{n}" for n in range(1, 8)]
    searches = [path for method, path, _ in ehr.simulator.requests if method == "GET"]
    assert any("_offset=6" in path for path in searches)


async def test_read_and_search_by_patient(ehr, es384_key, tmp_path, clock):
    async with FhirClient(_config(ehr, write_key(tmp_path, es384_key)), clock=clock) as client:
        encounter = await client.read("Encounter", "e5")
        found = [r async for r in client.search("Encounter", {"patient": "Patient/p5"})]
        with pytest.raises(PermanentDeliveryError) as missing:
            await client.read("Encounter", "nope")
    assert isinstance(encounter, Encounter) and encounter.status == "in-progress"
    assert [r.id for r in found if isinstance(r, Encounter)] == ["e5"]
    assert missing.value.status == 404


async def test_token_is_verified_cached_and_refreshed_after_a_401(ehr, es384_key, tmp_path, clock):
    tokens = ehr.simulator.tokens
    async with FhirClient(_config(ehr, write_key(tmp_path, es384_key)), clock=clock) as client:
        await client.read("Patient", "p1")
        await client.read("Patient", "p2")
        assert tokens.issued == 1  # verified by the simulator against the registered JWKS
        assert client.tokens is not None and client.tokens.fetched == 1
        tokens.expire_all()  # the EHR forgets every token: the next call sees a 401
        patient = await client.read("Patient", "p3")
    assert isinstance(patient, Patient) and patient.id == "p3"
    assert tokens.issued == 2
    statuses = [status for _, path, status in ehr.simulator.requests if path.endswith("/p3")]
    assert statuses == [401, 200]
    assert tokens.refused == []


async def test_token_is_fetched_again_shortly_before_it_expires(ehr, es384_key, tmp_path, clock):
    async with FhirClient(_config(ehr, write_key(tmp_path, es384_key)), clock=clock) as client:
        await client.read("Patient", "p1")
        clock.offset += 600 - 30  # within the leeway before the 600 s token expires
        await client.read("Patient", "p1")
    assert ehr.simulator.tokens.issued == 2
    assert [s for *_, s in ehr.simulator.requests] == [200, 200]  # no 401 was needed


@pytest.mark.parametrize("algorithm", ["RS384", "ES384"])
async def test_both_smart_algorithms_are_verified(ehr, tmp_path, clock, algorithm):
    key = generate_client_key(algorithm, key_id=f"{algorithm}-key")
    ehr.simulator.tokens.register("other-client", key.jwks)
    config = FhirClientConfig(
        base_url=ehr.fhir_base,
        token_url=ehr.token_url,
        client_id="other-client",
        private_key_path=str(write_key(tmp_path, key)),
        key_id=key.key_id,
        algorithm=algorithm,
    )
    async with FhirClient(config, clock=clock) as client:
        assert isinstance(await client.read("Patient", "p1"), Patient)


async def test_a_key_the_ehr_does_not_know_is_refused(ehr, tmp_path, clock):
    stranger = generate_client_key("ES384", key_id="es-1")  # right kid, wrong key
    async with FhirClient(_config(ehr, write_key(tmp_path, stranger)), clock=clock) as client:
        with pytest.raises(PermanentDeliveryError, match="refused the client assertion"):
            await client.read("Patient", "p1")
    assert "Signature verification failed" in ehr.simulator.tokens.refused[0]


async def test_an_unreachable_ehr_is_a_transient_error(es384_key, tmp_path):
    port = free_port()
    config = FhirClientConfig(
        base_url=f"http://127.0.0.1:{port}/fhir",
        token_url=f"http://127.0.0.1:{port}/token",
        client_id=CLIENT_ID,
        private_key_path=str(write_key(tmp_path, es384_key)),
        algorithm="ES384",
        timeout=2.0,
    )
    async with FhirClient(config) as client:
        with pytest.raises(TransientDeliveryError, match="token request"):
            await client.read("Patient", "p1")
