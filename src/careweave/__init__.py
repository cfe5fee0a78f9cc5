"""careweave: a healthcare integration engine that understands the money and the supplies."""

from careweave.exceptions import (
    CareweaveError,
    CodecError,
    ConfigError,
    DeliveryError,
    Hl7Error,
    PermanentDeliveryError,
    StoreError,
    TransientDeliveryError,
)

__version__ = "0.1.0"

__all__ = [
    "CareweaveError",
    "CodecError",
    "ConfigError",
    "DeliveryError",
    "Hl7Error",
    "PermanentDeliveryError",
    "StoreError",
    "TransientDeliveryError",
    "__version__",
]
