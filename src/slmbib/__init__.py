"""slmbib: the reference database and bibliography of the Small Language Models survey."""

__version__ = "0.1.0"
