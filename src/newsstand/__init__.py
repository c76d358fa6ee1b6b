"""newsstand: feeds in, news portal out."""

__version__ = "0.1.0"
