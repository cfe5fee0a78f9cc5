"""``careweave cases`` as operators run it, in its own process, beside a process holding the store.

Assign, comment and discard write beside the running engine (the SQLite file opened shared);
``cases payload`` and ``cases edit-payload`` correct a message parked by the real supply flow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.casework import CaseSeverity
from careweave.model.records import CaseState, MessageState, NewCase, Processing
from tests.integration.cli.test_erp_cli import careweave, erp_day
from tests.integration.store.builders import message


async def test_assign_comment_discard_and_show_beside_a_running_engine(tmp_path: Path) -> None:
    config = tmp_path / "careweave.toml"
    config.write_text(f'[engine]\ndata_dir = "{tmp_path / "data"}"\n')
    store = SqliteStore(SqliteConfig(path=tmp_path / "data" / "careweave.db"))
    await store.open()  # holds the file as a running engine does
    try:
        for n, item in enumerate(("EHR-4471", "EHR-9000")):
            case = NewCase(
                case_key=f"item-miss:{item}",
                reason_code="ITEM_NOT_IN_MASTER",
                owning_team="supply-chain",
                summary=f"EHR item {item} is not in the ERP item master [implant]",
                suggested_fix="map it in the item crosswalk",
                severity=CaseSeverity.HIGH,
            )
            await store.ingest(
                message(trace_id=f"t{n}"), Processing(state=MessageState.PARKED, cases=(case,))
            )
        first, second = await store.list_cases()
        c = str(config)

        code, out, err = await careweave("cases", "assign", str(first.id), "--to", "ana", "-c", c)
        assert (code, out.strip()) == (0, f"case {first.id} assigned to ana"), err
        code, _out, err = await careweave(
            "cases",
            "comment",
            str(first.id),
            "vendor says [GTIN] changed",
            "--actor",
            "ana",
            "-c",
            c,
        )
        assert code == 0, err
        code, out, err = await careweave(
            "cases",
            "discard",
            str(second.id),
            "--reason",
            "test patient",
            "--actor",
            "raj",
            "-c",
            c,
        )
        assert (code, out.strip()) == (0, f"case {second.id} discarded; nothing replayed"), err

        # What the running process reads is what the other process wrote.
        worked = await store.get_case(first.id)
        assert worked.assignee == "ana"
        assert [(e.actor, e.detail) for e in worked.comments] == [
            ("ana", "vendor says [GTIN] changed")
        ]
        discarded = await store.get_case(second.id)
        assert (discarded.state, discarded.resolution) == (CaseState.DISCARDED, "test patient")

        code, out, err = await careweave("cases", "show", str(first.id), "-c", c)
        assert code == 0, err
        assert "severity: high" in out and "assignee: ana" in out
        assert "[implant]" in out  # people's text is shown as written, not as markup
        assert re.search(r"\d{2}:\d{2}:\d{2}\+00:00 ana: vendor says \[GTIN\] changed", out)
        code, out, err = await careweave("cases", "show", str(second.id), "-c", c, "--json")
        assert code == 0, err
        shown = json.loads(out)
        assert (shown["state"], shown["severity"], shown["resolution"]) == (
            "discarded",
            "high",
            "test patient",
        )
        code, out, err = await careweave("cases", "list", "--state", "discarded", "-c", c)
        assert code == 0 and f"{second.id} " in out, err

        # Mistakes: one error line, exit 2, nothing changed.
        for args, says in (
            (("assign", "424242", "--to", "ana"), "exception case 424242 does not exist"),
            (("discard", str(second.id), "--reason", "again"), "is discarded: cannot discard"),
            (("assign", str(second.id), "--to", "ana"), "is discarded: cannot assign"),
            (("comment", str(first.id), "  "), "a comment needs some text"),
            (("discard", str(first.id), "--reason", " "), "--reason must say why"),
        ):
            code, out, err = await careweave("cases", *args, "-c", c)
            assert code == 2, (args, out, err)
            assert err.startswith("error: ") and says in err, err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert (await store.get_case(first.id)).state is CaseState.OPEN
    finally:
        await store.close()


async def test_edit_payload_replays_the_corrected_message_and_closes_the_case(
    tmp_path: Path,
) -> None:
    day = erp_day(tmp_path, "http://127.0.0.1:9")  # no ERP: the movements are only queued
    async with day.application() as application:
        for generated in day.messages:
            await application.engine.receive_hl7("ehr", generated.raw)
        misses = await application.store.list_cases(limit=1000)
    missing = {c.case_key.removeprefix("item-miss:") for c in misses}
    case = min(misses, key=lambda c: len(c.message_ids))  # the code parked on fewest messages
    code = case.case_key.removeprefix("item-miss:")
    c = str(day.config)

    corrected: list[int] = []
    for n, message_id in enumerate(case.message_ids):
        status, text, err = await careweave(
            "cases", "payload", str(case.id), str(message_id), "-c", c
        )
        assert status == 0, err
        assert text.startswith("MSH|") and "\r" not in text  # one segment a line, to edit
        mapped = next(
            found
            for found in re.findall(r"^ZSU\|\d+\|([^^|]+)\^", text, flags=re.MULTILINE)
            if found not in missing
        )
        edited = tmp_path / f"fixed-{message_id}.hl7"
        edited.write_text(text.replace(f"|{code}^", f"|{mapped}^"))
        status, out, err = await careweave(
            "cases",
            "edit-payload",
            str(case.id),
            str(message_id),
            "--file",
            str(edited),
            "--actor",
            "ana",
            "-c",
            c,
        )
        assert status == 0, err
        found = re.match(rf"message {message_id} superseded by message (\d+) \((\w+)\); ", out)
        assert found is not None, out
        corrected.append(int(found.group(1)))
        assert found.group(2) == "processed", out  # its other supplies are all in the crosswalk
        last = n == len(case.message_ids) - 1
        assert out.rstrip().endswith(
            f"case {case.id} resolved" if last else "stays open with other parked work"
        ), out

    status, _out, err = await careweave(
        "cases",
        "edit-payload",
        str(case.id),
        str(case.message_ids[0]),
        "--file",
        str(tmp_path / "fixed-missing.hl7"),
        "-c",
        c,
    )
    assert status == 2 and err.startswith("error: cannot read"), err

    async with day.application() as application:
        store = application.store
        closed = await store.get_case(case.id)
        assert (closed.state, closed.resolution) == (CaseState.RESOLVED, "payload edited by ana")
        assert closed.message_ids == []
        for original, copy in zip(case.message_ids, corrected, strict=True):
            assert (await store.get_message(original)).state is MessageState.SUPERSEDED
            stored = await store.get_message(copy)
            assert stored.sender == "edited by ana" and stored.raw is not None
            assert f"|{code}^".encode() not in stored.raw and b"\n" not in stored.raw
            lineage = await store.lineage(copy)
            assert (
                lineage.replays[0].reason == f"payload edited by ana: corrects message {original}"
            )
            # The corrected supply went on: its inventory movement is queued for the ERP.
            assert lineage.effects, "the corrected message queued no effect"
        assert await store.list_cases(case_key=case.case_key) == []
