"""careweave.mappings."""
