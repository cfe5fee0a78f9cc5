"""careweave.connectors."""
