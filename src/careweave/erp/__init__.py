"""careweave.erp."""
