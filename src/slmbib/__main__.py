"""``python -m slmbib``: the same command line as ``slmbib``."""

from .cli import main

if __name__ == "__main__":  # importing the module (as a walk of the package does) runs nothing
    main(prog_name="slmbib")
