"""The integration catalog: every interface a settings file describes (channels, flows,
destinations, event streams) and the API's route groups, with owner, systems, message types,
dependencies, SLA, PHI classification, version and lifecycle. ``careweave catalog`` prints it,
``/v1/catalog`` serves it, ``careweave check`` refuses an interface without an owner or an SLA
(:func:`require_governance`). docs/reference/catalog.md."""

from careweave.gateway.catalog.build import build_catalog
from careweave.gateway.catalog.document import Catalog
from careweave.gateway.catalog.governance import require_governance
from careweave.gateway.catalog.markdown import render_markdown

__all__ = ["Catalog", "build_catalog", "render_markdown", "require_governance"]
