"""careweave.sandbox."""
