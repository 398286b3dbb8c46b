"""Institutions of the network (national library, provincial centres, partners, publishers) and staff roles."""
