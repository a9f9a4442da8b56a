"""Frontdesk: a human-in-the-loop AI receptionist."""

__version__ = "0.1.0"
