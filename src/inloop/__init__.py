"""inloop: a static status-page generator."""

__version__ = "0.1.0"
