"""careweave's command line: ``careweave --help``.

Environment variables are read here and only here; everything below takes explicit settings.
"""

from careweave.cli.app import app, main

__all__ = ["app", "main"]
