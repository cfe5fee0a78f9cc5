"""careweave.observability."""
