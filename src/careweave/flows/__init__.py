"""The process layer: flows that turn canonical events into effects and exception cases."""

from careweave.engine.flow_api import FlowOutput
from careweave.flows.base import BaseFlow

__all__ = ["BaseFlow", "FlowOutput"]
