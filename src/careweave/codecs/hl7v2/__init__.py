"""careweave.codecs.hl7v2."""
