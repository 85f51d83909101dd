"""The `jhs-qual` command: a thin click layer over the library.

Each command opens the project, calls the library, and prints. Library errors
become one line on stderr with exit code 2 (bad input or usage) or 1
(failure). Heavy modules (python-docx, spaCy, Textual) are imported inside the
commands that need them, so `jhs-qual --help` stays fast.

`base.py` holds the group and what every command shares; each other module
holds one group of commands and registers them on the group when imported,
which happens when one of its commands is asked for (`base.COMMAND_MODULES`).
"""

from jhs_qual.cli.base import cli, main

__all__ = ["cli", "main"]
