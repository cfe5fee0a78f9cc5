"""careweave.codecs."""
