"""careweave.engine."""
