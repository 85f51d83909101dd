"""The house rules ARCHITECTURE.md states, checked on the source: the store owns every query,
no module grows past 600 lines, no package reaches into another's private names, and the
architecture names every module."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

SRC = ROOT / "src" / "jhs_qual"
MODULES = sorted(SRC.rglob("*.py"))


def _package(path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def test_only_the_store_queries_the_database():
    found = []
    for path in MODULES:
        if _package(path) == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("db", "conn") and not (
                    isinstance(node.value, ast.Name) and node.value.id == "self"):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("execute", "executemany"):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(SRC)): n for p in MODULES if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_no_package_imports_another_packages_private_names():
    found = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jhs_qual."):
                other = node.module.split(".")[1]
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private and other != _package(path):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.module} {private}")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("textual",
                                                                                                  "textual_serve"):
                assert not [a.name for a in node.names if a.name.startswith("_")], (path, node.module)
    assert found == []


def test_the_architecture_names_every_module():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [str(p.relative_to(SRC)) for p in MODULES if p.name != "__init__.py"
               and not re.search(rf"\b{re.escape(p.name)}\b", text)]
    assert missing == []
