"""careweave's one exception tree.

Every error careweave raises derives from :class:`CareweaveError`. Each exception's docstring is its
default message, and whether an operation that failed with it may be retried is an attribute of the
error (``retryable``), never a guess made by the caller. Foreign exceptions (socket, driver, HTTP
client) are converted at the connector or store boundary.

::

    CareweaveError
    ├── ConfigError                    settings file or environment is wrong
    ├── StoreError                     the durable store failed (retryable)
    │   └── MigrationError             a schema migration could not be applied
    ├── CodecError                     wire data could not be decoded or encoded
    │   ├── Hl7Error                   HL7 v2 (carries an HL7 error code for ERR-3)
    │   │   ├── FramingError           MLLP framing violated (oversized frame, junk, timeout)
    │   │   └── Hl7ParseError          message structure cannot be parsed
    │   ├── X12Error                   X12 tokenizing, parsing or emitting
    │   ├── FhirError                  FHIR JSON or resource shape
    │   └── CsvError                   flat-file rows
    ├── MappingError                   wire message decoded but cannot become canonical events
    ├── StepError                      a user-written channel step raised or returned a wrong value
    ├── ValidationError                business validation rejected a record
    ├── DeliveryError                  an effect could not be delivered to a destination
    │   ├── TransientDeliveryError     retry later (timeouts, 5xx, connection refused, 429)
    │   ├── PermanentDeliveryError     the destination refused the payload (4xx, AR)
    │   └── CircuitOpenError           the destination's circuit breaker is open
    └── NotFoundError                  a message, effect or record does not exist
"""

from __future__ import annotations


class CareweaveError(Exception):
    """careweave failed."""

    retryable: bool = False

    def __init__(self, message: str | None = None, *, retryable: bool | None = None) -> None:
        super().__init__(message or (self.__doc__ or type(self).__name__).strip())
        if retryable is not None:
            self.retryable = retryable

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0])


class ConfigError(CareweaveError):
    """The configuration is invalid."""


class StoreError(CareweaveError):
    """The durable store failed."""

    retryable = True


class MigrationError(StoreError):
    """A schema migration could not be applied."""

    retryable = False


class CodecError(CareweaveError):
    """Wire data could not be decoded or encoded."""


class Hl7Error(CodecError):
    """The HL7 v2 message is invalid.

    ``hl7_code`` is the HL7 table 0357 error code placed in ERR-3 of the negative acknowledgement
    (100 segment sequence error, 101 required field missing, 102 data type error, 103 table
    value not found, 200 unsupported message type, 201 unsupported event code, 202 unsupported
    processing id, 203 unsupported version id, 207 application internal error).
    """

    hl7_code: str = "207"

    def __init__(
        self,
        message: str | None = None,
        *,
        hl7_code: str | None = None,
        location: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        if hl7_code is not None:
            self.hl7_code = hl7_code
        self.location = location


class FramingError(Hl7Error):
    """MLLP framing was violated."""


class Hl7ParseError(Hl7Error):
    """The HL7 v2 message cannot be parsed."""

    hl7_code = "100"


class X12Error(CodecError):
    """The X12 interchange is invalid."""


class FhirError(CodecError):
    """The FHIR resource is invalid."""


class CsvError(CodecError):
    """The CSV file or row is invalid."""


class MappingError(CareweaveError):
    """The message cannot be mapped to canonical events."""


class StepError(CareweaveError):
    """A user-written channel step failed."""


class ValidationError(CareweaveError):
    """The record failed business validation."""


class DeliveryError(CareweaveError):
    """The effect could not be delivered."""

    retryable = True

    def __init__(
        self,
        message: str | None = None,
        *,
        retryable: bool | None = None,
        status: int | None = None,
        response: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.response = response
        self.retry_after = retry_after


class TransientDeliveryError(DeliveryError):
    """The destination is temporarily unable to accept the effect."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """The destination refused the effect; retrying will not help."""

    retryable = False


class CircuitOpenError(DeliveryError):
    """The destination's circuit breaker is open."""

    retryable = True


class NotFoundError(CareweaveError):
    """The record does not exist."""
