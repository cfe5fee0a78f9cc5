"""careweave.revenue."""
