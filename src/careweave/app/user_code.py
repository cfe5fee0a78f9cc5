"""User-written steps named in a channel's settings: ``module:function`` -> a channel step.

``module`` is looked for first as a file beside the settings file (``site_rules`` ->
``<settings folder>/site_rules.py``, ``rules.adt`` -> ``rules/adt.py``), then among the installed
modules. A file is loaded on its own for each channel, under a private name unique to that load
(never as ``site_rules``): channels and settings folders never share or see each other's copy, and
an installed module of the same name is not shadowed. Two steps of one channel naming the same
file share one copy.

Every mistake is a :class:`~careweave.exceptions.ConfigError` naming the step and the reason (a file
that fails to import, no such module, no such function, not a function of one argument), so that
``careweave check`` refuses what ``run`` would.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from careweave.config import ChannelConfig
from careweave.engine.user_steps import UserFunction, user_filter, user_router, user_transform
from careweave.exceptions import ConfigError
from careweave.model.envelope import Step

_loads = itertools.count(1)


@dataclass
class UserSteps:
    """A channel's user-written steps, by where they run."""

    after_decode: list[Step] = field(default_factory=list)
    """Filters and transforms on the decoded message, before the mapping."""
    after_mapping: list[Step] = field(default_factory=list)
    """Filters and transforms once the mapping has made the events."""
    router: Step | None = None
    """The router, run last."""


def user_steps(config: ChannelConfig, settings_dir: Path | None) -> UserSteps:
    """The steps ``config`` names, resolved from ``settings_dir`` (None: installed modules only)."""
    built = UserSteps()
    if not config.steps and config.router is None:
        return built
    loaded: dict[Path, ModuleType] = {}
    routed = [d.name for d in config.destinations if d.payload != "none"]
    for i, step in enumerate(config.steps):
        try:
            function = resolve_call(step.call, settings_dir, loaded)
        except ConfigError as exc:
            raise ConfigError(f"steps[{i}] ({step.kind} {step.call}): {exc}") from exc
        if step.kind == "filter":
            made = user_filter(step.call, function, routed)
        else:
            made = user_transform(step.call, function, routed, ordering_key=config.ordering_key)
        (built.after_decode if step.after == "decode" else built.after_mapping).append(made)
    if config.router is not None:
        if not routed:
            raise ConfigError(
                f"router {config.router}: the channel has no destination with a raw or events "
                "payload to route to"
            )
        try:
            function = resolve_call(config.router, settings_dir, loaded)
        except ConfigError as exc:
            raise ConfigError(f"router {config.router}: {exc}") from exc
        built.router = user_router(config.router, function, routed)
    return built


def resolve_call(
    call: str, settings_dir: Path | None, loaded: dict[Path, ModuleType] | None = None
) -> UserFunction:
    """The function ``module:function`` names; ``loaded``: files already loaded, by path."""
    module_name, _, qualname = call.partition(":")
    module, origin = _module(module_name, settings_dir, loaded if loaded is not None else {})
    target: Any = module
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ConfigError(f"{origin} has no function {qualname!r}") from None
    if not callable(target):
        raise ConfigError(f"{qualname!r} in {origin} is a {type(target).__name__}, not a function")
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # some builtins have none: let a call say what is wrong
        return target  # type: ignore[no-any-return]
    try:
        signature.bind(None)
    except TypeError:
        parameters = ", ".join(signature.parameters)
        raise ConfigError(
            f"{qualname}({parameters}) in {origin} cannot be called with one argument "
            "(a step gets one StepContext)"
        ) from None
    return target  # type: ignore[no-any-return]


def _module(
    name: str, settings_dir: Path | None, loaded: dict[Path, ModuleType]
) -> tuple[ModuleType, str]:
    beside: Path | None = None
    if settings_dir is not None:
        beside = settings_dir.joinpath(*name.split(".")).with_suffix(".py")
        if beside.is_file():
            path = beside.resolve()
            if path not in loaded:
                loaded[path] = _load_file(name, path)
            return loaded[path], beside.name
    try:
        return importlib.import_module(name), f"module {name}"
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(f"{exc.name}.")):
            where = f"no file {beside} and no" if beside is not None else "no"
            raise ConfigError(f"{where} installed module {name!r}") from None
        raise ConfigError(f"module {name} failed to import: {_reason(exc)}") from None
    except Exception as exc:  # the user's module is broken: say how, without a traceback
        raise ConfigError(f"module {name} failed to import: {_reason(exc)}") from None


def _load_file(name: str, path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    private = f"_careweave_user_steps.{digest}_{next(_loads)}.{name}"
    spec = importlib.util.spec_from_file_location(private, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path.name} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    # Registered under its private name only: dataclasses and msgspec look a class's module up.
    sys.modules[private] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # SyntaxError, an import it lacks, its own bug
        del sys.modules[private]
        raise ConfigError(f"{path.name} failed to import: {_reason(exc)}") from None
    return module


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
