"""Snapshots of the main screens (pytest-textual-snapshot). Review the SVGs in
tests/__snapshots__/ before updating them with `pytest --snapshot-update`."""

from __future__ import annotations

from jhs_qual.config import Config
from jhs_qual.store import Project
from jhs_qual.tui.app import JhsApp
from tests.test_tui import no_suggestions, project_path  # noqa: F401  (fixture)

SIZE = (120, 36)


def app_on(path) -> JhsApp:
    return JhsApp(Project.open(path), coder="anna", config=Config(path=path.parent / "config.toml"),
                  suggester=no_suggestions)


def test_project_screen(snap_compare, project_path):  # noqa: F811
    assert snap_compare(app_on(project_path), terminal_size=SIZE)


def test_coding_screen(snap_compare, project_path):  # noqa: F811
    assert snap_compare(app_on(project_path), press=["enter", "a", "j", "v", "f"],
                        terminal_size=SIZE)


def test_summary_screen(snap_compare, project_path):  # noqa: F811
    async def counted(pilot):  # the summary is counted in a worker
        await pilot.press("enter", "a", "j", "a", "f4")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_on(project_path), run_before=counted, terminal_size=SIZE)
