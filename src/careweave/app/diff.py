"""``careweave diff``: what stored traffic would yield under other settings, against what it did.

Each stored message, oldest first, goes again through the channel the new settings build (its
user steps, mapping, router and flows) without delivering or writing anything. Flows run against a
what-if business state rebuilt in memory from an empty start by re-running the stored history in
commit order under the new settings, each message changing it as its commit would (only when it
ends without error); it is thrown away at the end.
Each message runs with the flows' clock at the time it was received, as it first ran. The effects
it yields are compared, by destination and idempotency key, with those stored for it: *added*,
*removed*, or *changed* (another payload, content type or ordering key).

This is what replaying the messages under the new settings would queue. A stored message keeps the
effects of each of its decodings (a replay adds what was new); diff compares with all of them, the
latest of a key counting. A message whose content retention pruned is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import msgspec

from careweave.app.engine import build_channel
from careweave.app.payload_parts import changed_parts
from careweave.app.registries import Registries, default_registries
from careweave.codecs.hl7v2.header import MessageHeader, parse_header
from careweave.config import Settings
from careweave.engine.channel import Channel
from careweave.engine.runtime import HL7_CONTENT_TYPE
from careweave.engine.store.base import BaseStore
from careweave.exceptions import Hl7Error
from careweave.flows.services import FlowServices
from careweave.masterdata.files import load_master_data
from careweave.model.records import (
    Effect,
    InboundMessage,
    MessageQuery,
    MessageState,
    NewEffect,
    Processing,
)
from careweave.model.state import InMemoryState, StateOverlay, StateTable

_EVERY_MESSAGE = 1 << 62  # list_messages takes a limit; diff picks the oldest itself


class EffectChange(msgspec.Struct, frozen=True, kw_only=True):
    """One effect that the new settings add, remove or change."""

    change: Literal["added", "removed", "changed"]
    destination: str
    idempotency_key: str
    parts: list[str] = msgspec.field(default_factory=list)
    """For ``changed``: what differs, without values (``PID-3``, ``patient.mrn``,
    ``content type``, ``ordering key``); empty when the payload's shape is not known."""


class MessageDiff(msgspec.Struct, frozen=True, kw_only=True):
    """A stored message whose outcome the new settings change."""

    message_id: int
    channel: str
    received_at: dt.datetime
    dedup_key: str | None
    stored_state: MessageState
    state: MessageState
    """Its state under the new settings."""
    error: str | None = None
    """The error under the new settings, when ``state`` is ``error``."""
    effects: list[EffectChange] = msgspec.field(default_factory=list)


class SkippedMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A stored message diff could not re-run, and why."""

    message_id: int
    channel: str
    reason: str


class DiffReport(msgspec.Struct, frozen=True, kw_only=True):
    """What the new settings change on the stored messages compared."""

    compared: int
    """Messages re-run (skipped ones not counted)."""
    unchanged: int
    added: int
    """Effects the new settings add, over all messages."""
    removed: int
    changed: int
    messages: list[MessageDiff]
    """The messages with a change (state or effects), oldest first."""
    skipped: list[SkippedMessage]
    approximate: bool = False
    """True when an earlier message's content was pruned, so the what-if business state started
    from the committed state instead of being rebuilt from the stored history."""

    @property
    def has_changes(self) -> bool:
        """True when some message's state or effects change."""
        return bool(self.messages)


class ReplayClock:
    """The flows' clock during a diff: the time the message being re-run was received."""

    def __init__(self) -> None:
        self._now = dt.datetime.now(dt.UTC)

    def set(self, when: dt.datetime) -> None:
        """Read ``when`` from now on."""
        self._now = when

    def now(self) -> dt.datetime:
        """The received time of the message being re-run."""
        return self._now

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()


def what_if_channels(
    settings: Settings,
    *,
    settings_dir: Path,
    clock: ReplayClock,
    registries: Registries | None = None,
    services: FlowServices | None = None,
) -> dict[str, Channel]:
    """The channels ``settings`` describe, their flows on ``clock`` (ConfigError on a mistake).

    ``services``: what flows are built with (from the settings' ``[masterdata]`` when None).
    No connector is built: nothing is delivered.
    """
    registries = registries if registries is not None else default_registries()
    if services is None:
        on = settings.masterdata.as_of or clock.now().date()
        masterdata = load_master_data(settings.masterdata, base_dir=settings_dir, on=on)
        services = FlowServices.from_master_data(masterdata, clock=clock, claims=settings.claims)
    else:
        services = dataclasses.replace(services, clock=clock)
    return {
        c.name: build_channel(c, registries, services, settings_dir=settings_dir)
        for c in settings.channels
    }


async def diff_stored(
    store: BaseStore,
    channels: Mapping[str, Channel],
    *,
    clock: ReplayClock,
    channel: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 1000,
) -> DiffReport:
    """Re-run the ``limit`` oldest stored messages (of ``channel``, received at or after
    ``since``) through ``channels`` and compare their effects with the stored ones.

    Business state is rebuilt in memory from an empty start by re-running every earlier stored
    message (of every channel, in commit order) through the new settings too, so each compared
    message sees the state the new settings would have left before it, as it did when it first
    ran: identical settings give no change. Only when an earlier message's content was pruned does
    the what-if start from the committed state instead (``approximate`` in the report).
    """
    listed = sorted(
        await store.list_messages(MessageQuery(limit=_EVERY_MESSAGE)), key=lambda m: m.id
    )
    wanted = [m for m in listed if _in_window(m, channel, since)][:limit]
    last = wanted[-1].id if wanted else 0
    wanted_ids = {m.id for m in wanted}
    state = InMemoryState()
    approximate = False
    changes: list[MessageDiff] = []
    skipped: list[SkippedMessage] = []
    compared = 0
    for info in listed:
        if info.id > last:
            break
        pipeline = channels.get(info.channel)
        if info.id not in wanted_ids:
            # History before (or beside) the window only rebuilds the what-if state.
            if pipeline is not None and pipeline.stateful and not approximate:
                earlier = await store.get_message(info.id)
                if earlier.raw is None:
                    state, approximate = await committed_state(store), True
                else:
                    clock.set(info.received_at)
                    rerun(pipeline, earlier, state)
            continue
        if pipeline is None:
            reason = "its channel is not in the new settings"
            skipped.append(SkippedMessage(message_id=info.id, channel=info.channel, reason=reason))
            continue
        lineage = await store.lineage(info.id)
        if lineage.message.raw is None or any(e.payload is None for e in lineage.effects):
            reason = "content pruned by retention"
            skipped.append(SkippedMessage(message_id=info.id, channel=info.channel, reason=reason))
            continue
        clock.set(info.received_at)
        processing = rerun(pipeline, lineage.message, state)
        compared += 1
        effects = compare_effects(lineage.effects, processing.effects)
        if effects or processing.state is not info.state:
            changes.append(_message_diff(info, processing, effects))
    counted = [e.change for m in changes for e in m.effects]
    return DiffReport(
        compared=compared,
        unchanged=compared - len(changes),
        added=counted.count("added"),
        removed=counted.count("removed"),
        changed=counted.count("changed"),
        messages=changes,
        skipped=skipped,
        approximate=approximate,
    )


def _in_window(info: InboundMessage, channel: str | None, since: dt.datetime | None) -> bool:
    if channel is not None and info.channel != channel:
        return False
    return since is None or info.received_at >= since


async def committed_state(store: BaseStore) -> InMemoryState:
    """Every committed business-state row, copied into memory."""
    state = InMemoryState()
    for table in StateTable:
        for key, value in await store.state_rows(table):
            state.put(table, key, value)
    return state


def rerun(channel: Channel, stored: InboundMessage, state: InMemoryState) -> Processing:
    """Process a stored message again as the engine would; flows change ``state`` (in memory)."""
    assert stored.raw is not None
    header: MessageHeader | None = None
    if stored.content_type == HL7_CONTENT_TYPE:
        try:
            header = parse_header(stored.raw)
        except Hl7Error as exc:
            return Processing(state=MessageState.ERROR, error=f"unreadable MSH: {exc}")
    message = stored.resubmitted()
    if not channel.stateful:
        return channel.process(message, header)
    overlay = StateOverlay(state.get)
    processing = channel.process(message, header, overlay)
    if processing.state in (MessageState.PROCESSED, MessageState.PARKED):
        state.apply(overlay.changes())  # as the store keeps the changes of a message stored well
    return processing


def compare_effects(stored: Sequence[Effect], new: Sequence[NewEffect]) -> list[EffectChange]:
    """Effects added, removed and changed, by destination and idempotency key."""
    before = {(e.destination, e.idempotency_key): e for e in sorted(stored, key=lambda e: e.id)}
    after = {(e.destination, e.idempotency_key): e for e in new}
    changes: list[EffectChange] = []
    for (destination, key), effect in after.items():
        old = before.get((destination, key))
        if old is None:
            changes.append(
                EffectChange(change="added", destination=destination, idempotency_key=key)
            )
            continue
        parts = changed_parts(old.payload or b"", effect.payload)
        if old.payload != effect.payload and not parts:
            parts = ["payload"]
        if old.content_type != effect.content_type:
            parts.append("content type")
        if old.ordering_key != effect.ordering_key:
            parts.append("ordering key")
        if parts:
            changes.append(
                EffectChange(
                    change="changed", destination=destination, idempotency_key=key, parts=parts
                )
            )
    changes.extend(
        EffectChange(change="removed", destination=destination, idempotency_key=key)
        for destination, key in before
        if (destination, key) not in after
    )
    return changes


def _message_diff(
    info: InboundMessage, processing: Processing, effects: list[EffectChange]
) -> MessageDiff:
    return MessageDiff(
        message_id=info.id,
        channel=info.channel,
        received_at=info.received_at,
        dedup_key=info.dedup_key,
        stored_state=info.state,
        state=processing.state,
        error=processing.error,
        effects=effects,
    )
