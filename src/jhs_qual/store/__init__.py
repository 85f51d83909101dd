"""The project file: schema and migrations, the one write path, queries."""

import sys

# sqlite-utils imports pandas and numpy whenever they are installed (0.1 to 0.4 s at every start),
# only to create columns for their values in insert_all(), which jhs-qual does not use (it
# writes with SQL): they are kept from it while it loads, so the workbench and the listings start
# without them. Loaded already (a test, a benchmark), they stay as they are.
_hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
for _name in _hidden:
    sys.modules[_name] = None  # type: ignore[assignment]  # import NAME -> ImportError
try:
    import sqlite_utils  # noqa: F401
finally:
    for _name in _hidden:
        del sys.modules[_name]

from jhs_qual.store.project import DEFAULT_NAME, Project  # noqa: E402

__all__ = ["DEFAULT_NAME", "Project"]
