"""Channel formats by name: how a channel's ``format`` decodes its messages (``format = "x12"``).

A format is a factory taking the channel's settings and giving the decode step (or None: no
decoding, as ``raw``). :func:`builtin_formats` gives careweave's own, among them the month-end
close request (``erp-close-request``) and the claim run (``claim-run``); third-party packages
add theirs through the ``careweave.formats`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from careweave.config import ChannelConfig
from careweave.engine.channel import hl7_decode
from careweave.exceptions import ConfigError
from careweave.model.envelope import Step

DecodeFactory = Callable[[ChannelConfig], Step | None]
"""The decode step of a channel of this format (None: the message is not decoded)."""


class FormatRegistry:
    """Decode-step factories by format name."""

    def __init__(self, factories: Mapping[str, DecodeFactory] | None = None) -> None:
        self._factories: dict[str, DecodeFactory] = dict(factories or {})

    def register(self, name: str, factory: DecodeFactory) -> None:
        """Make a format available under ``name`` (a second use of a name fails)."""
        if name in self._factories:
            raise ConfigError(f"format {name!r} is registered twice")
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def decode_step(self, config: ChannelConfig) -> Step | None:
        """The decode step of the channel's format."""
        try:
            factory = self._factories[config.format]
        except KeyError:
            raise ConfigError(
                f"channel {config.name}: unknown format {config.format!r}; known: {self.names()}"
            ) from None
        return factory(config)


def _hl7v2(config: ChannelConfig) -> Step:
    return hl7_decode(config.ordering_key)


def _raw(_config: ChannelConfig) -> None:
    return None


def _fhir(_config: ChannelConfig) -> Step:
    from careweave.connectors.http_source.fhir_step import fhir_decode

    return fhir_decode()


def _x12(_config: ChannelConfig) -> Step:
    from careweave.mappings.x12_decode import x12_decode

    return x12_decode()


def _close_request(config: ChannelConfig) -> Step:
    from careweave.flows.month_end_close import close_request_step

    return close_request_step(config)


def _claim_run(config: ChannelConfig) -> Step:
    from careweave.flows.claim_submission import claim_run_step

    return claim_run_step(config)


def _mpi_decision(config: ChannelConfig) -> Step:
    from careweave.flows.patient_index import decision_step

    return decision_step(config)


def builtin_formats() -> FormatRegistry:
    """careweave's own formats: hl7v2, raw, fhir, x12, erp-close-request, claim-run, mpi-decision."""
    return FormatRegistry(
        {
            "hl7v2": _hl7v2,
            "raw": _raw,
            "fhir": _fhir,
            "x12": _x12,
            "erp-close-request": _close_request,
            "claim-run": _claim_run,
            "mpi-decision": _mpi_decision,
        }
    )
