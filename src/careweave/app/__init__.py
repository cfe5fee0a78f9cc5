"""The one composition root: settings -> store, connectors, master data, flows, workers (and API).

:func:`build_application` builds a careweave process from its settings, for the CLI, the demo, the
sandbox and tests alike; :func:`check_application` builds the same without opening anything, for
``careweave check``. What settings may name (flows, mappings, formats, connector types) comes from
a :class:`Registries` handed in: :func:`default_registries` gives careweave's own plus the plugins
installed in the ``careweave.*`` entry-point groups.
"""

from careweave.app.application import Application, build_application, check_application
from careweave.app.engine import build_channel, build_connector, build_engine
from careweave.app.formats import DecodeFactory, FormatRegistry, builtin_formats
from careweave.app.registries import (
    ENTRY_POINT_GROUPS,
    Registries,
    builtin_registries,
    default_registries,
    installed_entry_points,
    load_entry_points,
)

__all__ = [
    "ENTRY_POINT_GROUPS",
    "Application",
    "DecodeFactory",
    "FormatRegistry",
    "Registries",
    "build_application",
    "build_channel",
    "build_connector",
    "build_engine",
    "builtin_formats",
    "builtin_registries",
    "check_application",
    "default_registries",
    "installed_entry_points",
    "load_entry_points",
]
