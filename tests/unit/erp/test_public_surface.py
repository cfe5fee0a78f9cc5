"""The public names of the ERP connector and simulator packages are pinned."""

import careweave.connectors.erp as connector
import careweave.sandbox.erp as simulator


def test_connector_surface():
    assert sorted(connector.__all__) == [
        "ApiDeprecation",
        "ApiVersion",
        "AsyncRateLimiter",
        "ErpConfig",
        "ErpConnector",
        "ErpDestination",
        "ErpItem",
        "GlSegments",
        "InventoryTransactionRequest",
        "JournalLine",
        "JournalRequest",
        "PostOutcome",
        "PurchaseOrderLine",
        "PurchaseOrderRequest",
        "RequisitionLine",
        "RequisitionRequest",
        "TokenBucket",
        "idempotency_key",
    ]
    assert all(hasattr(connector, name) for name in connector.__all__)


def test_simulator_surface():
    assert sorted(simulator.__all__) == [
        "ErpSimulator",
        "ErpSimulatorConfig",
        "ErpSimulatorServer",
        "ErpState",
        "FaultConfig",
        "seed_demo_books",
        "serve_forever",
    ]
    assert all(hasattr(simulator, name) for name in simulator.__all__)
