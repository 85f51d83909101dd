"""Screens that show project data and refresh when it changes."""

from __future__ import annotations

from textual.screen import Screen


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
