"""Canonical objects: what flows see instead of wire formats, and what every layer above shares.

Business events (``clinical``, ``charges``, ``supplies``, ``revenue``, ``finance``), the engine's
records (``records``: messages, effects, cases, lineage), the channel ``envelope``, the ``flow``
contract, the requests and payloads flows send (``erp``, ``rcm``) and business ``state``. The model
imports nothing else of careweave: it is the bottom layer (docs/architecture.md, "Layers").
"""

from careweave.model.base import BusinessEvent

__all__ = ["BusinessEvent"]
