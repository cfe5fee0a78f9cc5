"""A simulated cloud ERP: items, locations, stock, procurement and the general ledger over REST.

It behaves like the real thing where integrations get hurt: OAuth2 client-credentials tokens that
expire, a per-client rate limit (429 + Retry-After), a v1 API deprecated in favour of a v2 with
restructured fields, bulk endpoints, Idempotency-Key on every POST, and seeded 503 bursts and slow
answers. Run it in-process with :class:`ErpSimulatorServer` or as ``python -m careweave.sandbox.erp``.
"""

from careweave.sandbox.erp.app import ErpSimulator
from careweave.sandbox.erp.config import ErpSimulatorConfig, FaultConfig
from careweave.sandbox.erp.seed import seed_demo_books
from careweave.sandbox.erp.server import ErpSimulatorServer, serve_forever
from careweave.sandbox.erp.state import ErpState

__all__ = [
    "ErpSimulator",
    "ErpSimulatorConfig",
    "ErpSimulatorServer",
    "ErpState",
    "FaultConfig",
    "seed_demo_books",
    "serve_forever",
]
