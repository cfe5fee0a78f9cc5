"""Registries are instances: careweave's own, plus what installed distributions declare."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from careweave.app import (
    ENTRY_POINT_GROUPS,
    builtin_registries,
    default_registries,
    load_entry_points,
)
from careweave.exceptions import ConfigError
from careweave.flows.month_end_close import CLOSE_REQUEST_FORMAT

PLUGIN = "tests.unit.app.echo_plugin"
ENTRY_POINTS_TXT = f"""
[careweave.flows]
echo-back = {PLUGIN}:register_flows

[careweave.mappings]
echo-words = {PLUGIN}:register_mappings

[careweave.formats]
echo-lines = {PLUGIN}:register_formats

[careweave.connectors]
echo = {PLUGIN}:register_connectors
"""


def install_distribution(site: Path, entry_points: str, name: str = "careweave_echo") -> None:
    """Write an installed distribution's metadata (what pip leaves in site-packages) into ``site``."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_careweave_s_own_names() -> None:
    registries = builtin_registries()
    assert {"supply-to-replenish", "patient-to-billing", "month-end-close"} <= set(
        registries.flows.names()
    )
    assert {"hl7v2", "raw", "fhir", "x12", CLOSE_REQUEST_FORMAT} <= set(registries.formats.names())
    assert {"hl7v2-clinical", "x12-835-finance"} <= set(registries.mappings.names())
    assert {"http", "file", "null", "mllp", "erp"} <= set(registries.connectors.tags())


def test_registries_are_instances_nothing_registers_into_on_import() -> None:
    first, second = builtin_registries(), builtin_registries()
    first.formats.register("lab-csv", lambda _c: None)
    assert "lab-csv" in first.formats and "lab-csv" not in second.formats
    import careweave.flows.month_end_close  # noqa: F401 - importing a flow changes no registry

    assert builtin_registries().formats.names() == second.formats.names()


def test_an_installed_distribution_s_entry_points_are_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "echo-back" not in default_registries().flows
    install_distribution(tmp_path, ENTRY_POINTS_TXT)
    monkeypatch.syspath_prepend(str(tmp_path))
    registries = default_registries()
    assert "echo-back" in registries.flows
    assert "echo-words" in registries.mappings
    assert "echo-lines" in registries.formats
    assert "echo" in registries.connectors
    assert "supply-to-replenish" in registries.flows  # careweave's own are still there


def test_entry_points_can_be_handed_in() -> None:
    group = "careweave.flows"
    entry = importlib.metadata.EntryPoint("echo-back", f"{PLUGIN}:register_flows", group)
    registries = default_registries(entry_points=[entry])
    assert "echo-back" in registries.flows and "echo-words" not in registries.mappings
    assert load_entry_points(builtin_registries(), [entry]) == [f"{group}:echo-back"]


@pytest.mark.parametrize(
    ("value", "group", "words"),
    [
        (f"{PLUGIN}:broken", "careweave.flows", "failed: RuntimeError: the plugin's own bug"),
        ("careweave_no_such_module:register", "careweave.mappings", "ModuleNotFoundError"),
        (f"{PLUGIN}:register_flows", "careweave.widgets", "not a careweave group"),
    ],
)
def test_a_plugin_that_cannot_register_is_named(value: str, group: str, words: str) -> None:
    entry = importlib.metadata.EntryPoint("acme", value, group)
    with pytest.raises(ConfigError) as err:
        default_registries(entry_points=[entry])
    message = str(err.value)
    assert message.startswith(f"entry point 'acme' = '{value}' of group '{group}'")
    assert words in message


def test_a_name_registered_twice_is_refused_naming_the_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(
        tmp_path, f"[careweave.flows]\ntwice = {PLUGIN}:register_flows\n", name="careweave_twice"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registries = builtin_registries()
    load_entry_points(registries, importlib.metadata.entry_points(group="careweave.flows"))
    with pytest.raises(ConfigError) as err:
        load_entry_points(registries, importlib.metadata.entry_points(group="careweave.flows"))
    assert "(distribution careweave_twice 1.0)" in str(err.value)
    assert "flow 'echo-back' is registered twice" in str(err.value)


def test_the_entry_point_groups() -> None:
    assert set(ENTRY_POINT_GROUPS) == {
        "careweave.flows",
        "careweave.mappings",
        "careweave.formats",
        "careweave.connectors",
    }
