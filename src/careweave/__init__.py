"""careweave: a healthcare integration engine that understands the money and the supplies.

The names most users need are re-exported here; a test pins this surface.
"""

from careweave.app import Application, build_application
from careweave.config import Settings, load_settings, parse_settings
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.engine.store.factory import build_store
from careweave.engine.user_steps import StepContext
from careweave.exceptions import (
    CareweaveError,
    CodecError,
    ConfigError,
    DeliveryError,
    Hl7Error,
    MappingError,
    NotFoundError,
    PermanentDeliveryError,
    StoreError,
    TransientDeliveryError,
    ValidationError,
)
from careweave.flows import BaseFlow, FlowOutput
from careweave.model.base import BusinessEvent
from careweave.model.records import (
    CaseState,
    EffectState,
    ExceptionCase,
    MessageQuery,
    MessageState,
    NewCase,
)

__version__ = "0.1.0"

__all__ = [
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
