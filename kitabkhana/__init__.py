"""Kitabkhana: one system for a national library and its network."""
