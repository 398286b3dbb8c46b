"""Bibliographic, authority and holdings records: storage with full history, import/export, search index."""
