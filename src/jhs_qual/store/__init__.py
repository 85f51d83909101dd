"""The project file: schema and migrations, the one write path, queries."""

from jhs_qual.store.project import DEFAULT_NAME, Project

__all__ = ["DEFAULT_NAME", "Project"]
