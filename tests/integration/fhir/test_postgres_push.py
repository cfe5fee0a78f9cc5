"""The FHIR endpoint on the shared PostgreSQL store: a retried push is still processed once."""

from __future__ import annotations

import uuid

import httpx
import msgspec
import psycopg
import pytest
from psycopg import sql

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.engine.store.postgres import PostgresConfig, PostgresStore
from careweave.model.records import MessageQuery, MessageState
from careweave.sandbox.ehr_fhir import cardiology_case
from tests.integration.fhir.conftest import fhir_channel_toml, fhir_url


@pytest.mark.postgres
async def test_retried_transaction_on_postgres(postgres_url):
    schema = f"cw_fhir_{uuid.uuid4().hex[:10]}"
    store = PostgresStore(PostgresConfig(url=postgres_url, schema=schema))
    await store.open()
    engine = build_engine(parse_settings(fhir_channel_toml()), store)
    await engine.start(deliver=False)
    entries = [
        {"resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
        for r in cardiology_case(6)
    ]
    bundle = msgspec.json.encode(
        {"resourceType": "Bundle", "id": "pg-tx", "type": "transaction", "entry": entries}
    )
    try:
        async with httpx.AsyncClient() as client:
            answers = [
                await client.post(
                    fhir_url(engine),
                    content=bundle,
                    headers={"Content-Type": "application/fhir+json"},
                )
                for _ in range(2)
            ]
        (message,) = await store.list_messages(MessageQuery(channel="fhir-in"))
        lineage = await store.lineage(message.id)
    finally:
        await engine.stop()
        await store.close()
        with psycopg.connect(postgres_url, autocommit=True) as pg:
            pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert message.state is MessageState.PROCESSED and message.duplicates == 1
    assert [e.event_type for e in lineage.events] == [
        "PatientAdmitted",
        "ProcedureDocumented",
        "ChargeCaptured",
    ]
