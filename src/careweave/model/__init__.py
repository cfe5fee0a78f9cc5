"""Canonical business objects and events: what flows see instead of wire formats."""

from careweave.model.base import BusinessEvent

__all__ = ["BusinessEvent"]
