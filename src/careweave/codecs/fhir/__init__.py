"""careweave.codecs.fhir."""
