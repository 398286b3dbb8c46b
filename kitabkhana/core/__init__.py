"""Shared foundations: the error tree, backend loading by dotted path, and project-wide commands."""
