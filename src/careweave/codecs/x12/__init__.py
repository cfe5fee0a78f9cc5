"""careweave.codecs.x12."""
