"""careweave.gateway."""
