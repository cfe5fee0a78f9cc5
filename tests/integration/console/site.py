"""A running application with ``[api]`` console users, on loopback, for the console's tests.

The application is built from settings as ``careweave run`` builds it (SQLite, the example's master
data, the ``ehr`` channel running the three fan-out flows of tests/integration/app/test_fan_out.py
with null destinations) and served by uvicorn in a thread of its own, so a browser or httpx talks
to it over a real socket. It is seeded with a simulated day's charge messages that use one implant
the crosswalk lacks: they park on one item-miss case, their charges still go to billing.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from careweave.app import Application, build_application
from careweave.codecs.hl7v2 import parse_message
from careweave.config import parse_settings
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.records import MessageState
from careweave.model.supplies import SupplyUsed
from careweave.sandbox.erp_books import erp_item_number
from careweave.sandbox.health_system import simulated_day
from careweave.sandbox.masterdata_export import FILES

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[3]
USERS = {
    "ops": ("integration-admin", "CW_TEST_CONSOLE_OPS", "ops-pass-1"),
    "dana": ("supply-chain", "CW_TEST_CONSOLE_DANA", "dana-pass-1"),
    "fin": ("finance", "CW_TEST_CONSOLE_FIN", "fin-pass-1"),
}
"""Console users: name -> (role, password variable, password)."""


def settings_text(data_dir: Path) -> str:
    """Settings: the fan-out ``ehr`` channel, the example's master data, ``[api]`` with users."""
    masterdata = "\n".join(f'{key} = "masterdata/{name}"' for key, name in FILES.items())
    users = "".join(
        f'\n[[api.users]]\nname = "{name}"\nrole = "{role}"\npassword_env = "{env}"\n'
        for name, (role, env, _password) in USERS.items()
    )
    return f"""
[engine]
data_dir = "{data_dir.as_posix()}"
log_level = "error"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["patient-to-billing", "supply-to-replenish", "cost-allocation"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "null" }}

[[channels.destinations]]
name = "erp"
payload = "none"
connector = {{ type = "null" }}

[masterdata]
{masterdata}

[api]
port = 0
{users}
"""


@dataclass
class Seeded:
    """What the site holds: the parked messages, their patient and control ids, their case."""

    code: str = ""
    """The implant code the crosswalk lacks."""
    item_number: str = ""
    """The ERP item it is."""
    case_id: int = 0
    parked_ids: list[int] = field(default_factory=list)
    mrn: str = ""
    """The MRN (ordering key) of the first parked message."""
    control_id: str = ""
    """The MSH-10 of the first parked message."""


@dataclass
class ConsoleSite:
    """The application, its loop's thread and what was seeded."""

    application: Application
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    seeded: Seeded = field(default_factory=Seeded)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:port`` of the API and console."""
        assert self.application.api is not None
        return f"http://127.0.0.1:{self.application.api.port}"

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the application's loop and wait for it."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=60)


def _unknown_implant_messages() -> tuple[str, list[bytes]]:
    """A code the example's crosswalk lacks and the charge messages of a day that use it."""
    day = simulated_day(seed=11, encounters=40, malformed_rate=0.0)
    missing = day.catalog.missing_from_erp
    by_code: dict[str, list[bytes]] = {}
    for message in day.well_formed():
        supplies = [e for e in map_message(parse_message(message.raw)) if isinstance(e, SupplyUsed)]
        codes = {s.item.code for s in supplies if s.item.code in missing}
        if len(codes) == 1:
            by_code.setdefault(codes.pop(), []).append(message.raw)
    code = max(sorted(by_code), key=lambda c: len(by_code[c]))
    return code, by_code[code]


async def _seed(application: Application) -> Seeded:
    engine, store = application.engine, application.store
    code, messages = _unknown_implant_messages()
    ids = [(await engine.receive_hl7("ehr", raw))[0].message_id for raw in messages]
    [case] = await store.list_cases(case_key=f"item-miss:{code}")
    first = await store.get_message(case.message_ids[0])
    assert first.state is MessageState.PARKED and first.ordering_key and first.dedup_key
    return Seeded(
        code=code,
        item_number=erp_item_number(code),
        case_id=case.id,
        parked_ids=[i for i in ids if i in case.message_ids],
        mrn=first.ordering_key,
        control_id=first.dedup_key.rsplit("|", 1)[-1],
    )


def environment() -> dict[str, str]:
    """The users' passwords."""
    return {env: password for _role, env, password in USERS.values()}


def start_site(folder: Path) -> ConsoleSite:
    """Copy the example's master data to ``folder``, build the application, serve and seed it."""
    shutil.copytree(ROOT / "examples" / "health-system" / "masterdata", folder / "masterdata")
    settings = parse_settings(settings_text(folder / "data"))
    application = build_application(settings, settings_dir=folder, env=environment())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="careweave-console-site", daemon=True)
    thread.start()
    site = ConsoleSite(application, loop, thread)
    site.run(application.open())
    site.run(application.start())
    site.seeded = site.run(_seed(application))
    return site


def stop_site(site: ConsoleSite) -> None:
    """Stop and close the application, end its loop."""
    try:
        site.run(site.application.close())
    finally:
        site.loop.call_soon_threadsafe(site.loop.stop)
        site.thread.join(timeout=30)
        site.loop.close()
