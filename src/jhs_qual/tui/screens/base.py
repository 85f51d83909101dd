"""Screens that show project data and refresh when it changes."""

from __future__ import annotations

import functools

from textual.screen import Screen

from jhs_qual.errors import JhsError


def guarded(method):
    """A screen's action or callback: a BadInput or Failure from the store (the file held by
    another program past the busy timeout, a full disk) is said on screen and the workbench
    goes on; what was not stored is not shown as stored (the next refresh shows the file)."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except JhsError as error:
            self.app.bell()
            self.notify(error.one_line(), severity="error", timeout=10)
            self.app.changed()

    return run


def read_aside(path, read):
    """In a worker thread: `read(project)` over a connection of its own (the workbench's belongs
    to the main thread). (Its result, None), or (None, the line that says why not): a file gone,
    held past the busy timeout or damaged is said on screen, and the workbench goes on."""
    import sqlite3

    from jhs_qual.store import Project

    try:
        with Project.open(path) as project:
            return read(project), None
    except JhsError as error:
        return None, error.one_line()
    except sqlite3.Error as error:
        return None, f"the project cannot be read ({error})"


class LiveScreen(Screen):
    """`refresh_data` shows the project as it is now. A screen that was covered
    while the project changed is marked stale and refreshes when it comes back."""

    stale = False

    def refresh_data(self) -> None:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        if self.stale:
            self.stale = False
            self.refresh_data()
