"""Ingest of page folders into digitized items: the background task and its steps."""
