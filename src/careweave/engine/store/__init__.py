"""careweave.engine.store."""
