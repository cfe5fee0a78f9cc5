"""Finding a patient's messages by MRN (the message's ordering key), as the console's browser does,
on both backends, stored in clear and sealed at rest: the whole key matches, newest first; a part of
it or another patient's does not; the other filters still apply."""

from __future__ import annotations

from careweave.engine.store.base import BaseStore
from careweave.model.records import MessageQuery, MessageState, Processing
from tests.integration.store.builders import message

MRN, OTHER = "E2000517", "E2000518"


async def _ingest(store: BaseStore, control_id: str, mrn: str, state: MessageState) -> int:
    done = Processing(
        state=state, ordering_key=mrn, error="x" if state is MessageState.ERROR else None
    )
    stored = await store.ingest(message(dedup_key=f"EPIC|RBMC|{control_id}"), done)
    return stored.message_id


async def test_messages_are_found_by_their_whole_mrn_newest_first(store: BaseStore) -> None:
    first = await _ingest(store, "1001", MRN, MessageState.PROCESSED)
    await _ingest(store, "1002", OTHER, MessageState.PROCESSED)
    third = await _ingest(store, "1003", MRN, MessageState.ERROR)

    found = await store.list_messages(MessageQuery(ordering_key=MRN))
    assert [m.id for m in found] == [third, first]
    assert {m.ordering_key for m in found} == {MRN}  # read back opened when sealed

    assert await store.list_messages(MessageQuery(ordering_key=MRN[:-1])) == []
    errors = await store.list_messages(MessageQuery(ordering_key=MRN, state=MessageState.ERROR))
    assert [m.id for m in errors] == [third]
    both = await store.list_messages(MessageQuery(ordering_key=MRN, text="1001"))
    assert [m.id for m in both] == [first]
