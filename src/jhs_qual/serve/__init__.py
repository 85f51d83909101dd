"""The workbench in a browser: `jhs-qual serve` (the optional extra `jhs_qual[serve]`).

users.py   the coders who may sign in: a side file beside the project, argon2id hashes
server.py  the web server (aiohttp, textual-serve's page and app process): sign-in, sessions,
           Origin and Host checks, limits; one workbench process per browser tab, as its coder
"""

from jhs_qual.errors import BadInput


def need_extra() -> None:
    """A clear error when the optional dependencies are not installed."""
    try:
        import argon2  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError as error:
        raise BadInput(f"the browser workbench needs packages that are not installed ({error.name})",
                       hint="pip install 'jhs_qual[serve]'") from None
