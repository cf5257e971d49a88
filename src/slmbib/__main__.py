"""``python -m slmbib``: the same command line as ``slmbib``."""

from .cli import main

main(prog_name="slmbib")
