"""Settings of the simulated cloud ERP."""

from __future__ import annotations

from dataclasses import dataclass, field

DEMO_CLIENT_ID = "careweave"
"""The OAuth2 client the simulator registers unless told otherwise."""
DEMO_CLIENT_SECRET = "careweave-secret"  # noqa: S105 (a published demo value, not a secret)
"""Its secret: ``export CAREWEAVE_ERP_SECRET=careweave-secret`` for the example settings."""


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """What goes wrong, how often; the same seed gives the same sequence of faults."""

    seed: int = 0
    """Seed of the fault generator: the n-th gated request always meets the same fate."""
    burst_probability: float = 0.0
    """Chance that a request starts a burst of 503 Service Unavailable answers."""
    burst_length: int = 3
    """How many consecutive requests (the first included) a 503 burst answers."""
    burst_retry_after: int | None = None
    """Retry-After seconds sent with a 503, or None to send none."""
    slow_probability: float = 0.0
    """Chance that a request is answered slowly (the work is done, the answer is late)."""
    slow_seconds: float = 1.0
    """How late a slow answer is."""


@dataclass(frozen=True, slots=True)
class ErpSimulatorConfig:
    """Settings of the simulated ERP: clients, token lifetime, rate limit, faults."""

    clients: dict[str, str] = field(default_factory=lambda: {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    """Registered OAuth2 clients: client_id -> client_secret."""
    token_ttl: float = 60.0
    """Lifetime of an access token, in seconds."""
    rate_limit: float = 20.0
    """Requests per second each client may make to /api (token bucket refill rate)."""
    rate_burst: int = 20
    """Requests a client may make back to back before the rate applies (bucket capacity)."""
    faults: FaultConfig = field(default_factory=FaultConfig)
    """Fault injection settings (none by default)."""
    sunset: str = "Wed, 30 Jun 2027 23:59:59 GMT"
    """HTTP date sent in the Sunset header of every v1 answer."""
    deprecated_since: str = "@1767225600"
    """Deprecation header value of v1 answers (an RFC 9745 structured date: 2026-01-01)."""
