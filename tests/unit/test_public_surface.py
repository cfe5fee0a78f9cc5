"""The package's public surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

import careweave


def test_public_names_are_pinned() -> None:
    assert sorted(careweave.__all__) == sorted(
        [
            "Application",
            "BaseFlow",
            "BaseStore",
            "BusinessEvent",
            "CareweaveError",
            "CaseState",
            "CodecError",
            "ConfigError",
            "DeliveryError",
            "EffectState",
            "Engine",
            "ExceptionCase",
            "FlowOutput",
            "Hl7Error",
            "MappingError",
            "MessageQuery",
            "MessageState",
            "NewCase",
            "NotFoundError",
            "PermanentDeliveryError",
            "Settings",
            "StepContext",
            "StoreError",
            "TransientDeliveryError",
            "ValidationError",
            "__version__",
            "build_application",
            "build_store",
            "load_settings",
            "parse_settings",
        ]
    )
    for name in careweave.__all__:
        assert getattr(careweave, name) is not None


def test_every_exception_docstring_is_its_default_message() -> None:
    for name in ("ConfigError", "StoreError", "TransientDeliveryError", "PermanentDeliveryError"):
        cls = getattr(careweave, name)
        assert str(cls()) == cls.__doc__.strip().splitlines()[0]
    assert careweave.TransientDeliveryError().retryable
    assert not careweave.PermanentDeliveryError().retryable
