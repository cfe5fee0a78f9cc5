"""careweave.flows."""
