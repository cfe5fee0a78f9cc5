"""careweave.masterdata."""
