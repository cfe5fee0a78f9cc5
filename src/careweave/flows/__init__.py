"""The process layer: flows that turn canonical events into effects and exception cases."""

from careweave.flows.base import BaseFlow
from careweave.model.flow import FlowOutput

__all__ = ["BaseFlow", "FlowOutput"]
