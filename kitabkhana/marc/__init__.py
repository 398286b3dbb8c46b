"""Pure MARC 21 / UNIMARC handling; no Django."""
