"""The example health system's ``[api]``, for the tests that run a copy of it."""

from __future__ import annotations

EXAMPLE_API_PORT = 27600
"""The port ``examples/health-system/careweave.toml`` serves the API on."""

EXAMPLE_API_SECRETS = {
    "CAREWEAVE_API_ADMIN_SECRET": "demo-admin",
    "CAREWEAVE_API_SUPPLY_SECRET": "demo-supply",
    "CAREWEAVE_API_REVENUE_SECRET": "demo-revenue",
    "CAREWEAVE_API_FINANCE_SECRET": "demo-finance",
    "CAREWEAVE_API_AUDITOR_SECRET": "demo-auditor",
    "CAREWEAVE_API_READONLY_SECRET": "demo-readonly",
    "CAREWEAVE_API_NOSCOPE_SECRET": "demo-noscope",
}
"""Its clients' secrets, the demo values examples/health-system/README.md exports."""
