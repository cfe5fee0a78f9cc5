"""PHI masking: one function, applied to every response model, driven by the models' declarations.

A response Struct names its PHI fields in a ``__phi__`` class variable (patient names, MRNs, birth
dates, SSNs, addresses, raw message bodies, event and effect payloads, error text that quotes the
message). :func:`mask_phi` returns a copy of a response with each of those fields replaced by
:data:`MASK` (None stays None), recursing into nested models and lists; the handlers call
it through :func:`present`, never field by field.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from careweave.gateway.api.scopes import Scope

MASK = "[masked]"
"""What a PHI field holds for a token without ``phi:read``."""

T = TypeVar("T")


def phi_fields(struct_type: type[msgspec.Struct]) -> frozenset[str]:
    """The PHI fields a response model declares."""
    return frozenset(getattr(struct_type, "__phi__", ()))


def mask_phi(value: T) -> T:
    """``value`` with every declared PHI field masked, at any depth."""
    if isinstance(value, msgspec.Struct):
        hidden = phi_fields(type(value))
        changes: dict[str, Any] = {}
        for name in value.__struct_fields__:
            current = getattr(value, name)
            if name in hidden:
                if current is not None:
                    changes[name] = MASK if isinstance(current, str) else None
            elif (replaced := mask_phi(current)) is not current:
                changes[name] = replaced
        return msgspec.structs.replace(value, **changes) if changes else value
    if isinstance(value, list):
        items = [mask_phi(v) for v in value]
        changed = any(a is not b for a, b in zip(items, value, strict=True))
        return items if changed else value  # type: ignore[return-value]
    return value


def present(value: T, scopes: frozenset[str]) -> T:
    """A response as the token may see it: whole with ``phi:read``, PHI masked without."""
    return value if Scope.PHI_READ in scopes else mask_phi(value)
