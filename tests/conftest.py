"""Shared fixtures: a fresh project per test, the CLI runner, sample paths."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from jhs_qual.cli import cli
from jhs_qual.codebook import load_codebook
from jhs_qual.store import Project

ROOT = Path(__file__).resolve().parent.parent
CODEBOOKS = ROOT / "codebooks"
SAMPLES = ROOT / "transcripts_sample"
SHARED = ROOT.parent / "shared" / "reference-data"
CODEBOOK_FILES = [CODEBOOKS / f"{name}.yaml" for name in ("bronstein", "professional_topics", "pupil_topics")]


async def wait_for(pilot, condition, seconds: float = 60.0) -> None:
    """In a workbench under test: wait on a condition, not a fixed time (CI machines are loaded)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


@pytest.fixture
def forked(monkeypatch):
    """workers.in_order forks its workers here, whatever threads the test session runs and
    processors it has (a forked worker takes the test's patches along)."""
    from jhs_qual import workers

    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    monkeypatch.setattr(workers, "_processors", lambda: 2)


@pytest.fixture(autouse=True)
def own_config_home(tmp_path_factory, monkeypatch):
    """Tests never read the developer's ~/.config/jhs-qual/config.toml."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))


@pytest.fixture
def project(tmp_path) -> Project:
    p = Project.create(tmp_path / "test.jhsq")
    yield p
    p.close()


@pytest.fixture
def loaded_project(project) -> Project:
    for path in CODEBOOK_FILES:
        project.load_codebook(load_codebook(path))
    return project


class Cli:
    """Runs `jhs-qual` in-process with a project path."""

    def __init__(self, project_path: Path):
        self.project_path = project_path
        self.runner = CliRunner()

    def __call__(self, *args: str, project: bool = True, input: str | None = None):
        argv = list(args)
        if project:
            argv += ["--project", str(self.project_path)]
        return self.runner.invoke(cli, argv, input=input, catch_exceptions=False)


@pytest.fixture
def run(tmp_path) -> Cli:
    path = tmp_path / "cli.jhsq"
    runner = Cli(path)
    result = runner("init", str(path), *sum((["--codebook", str(f)] for f in CODEBOOK_FILES), []), project=False)
    assert result.exit_code == 0, result.output
    return runner


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
