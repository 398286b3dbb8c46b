"""Signals core sends so that apps above it can act without core importing them."""

from django.dispatch import Signal

# Sent by `kitabkhana serve` just before the server starts accepting requests.
serving_started = Signal()
