"""The sandbox plays the vendors: nothing under sandbox/ may import the hub's own packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sandbox

HUB_PACKAGES = frozenset(
    {"canonical", "connectors", "mappings", "gateway", "jobs", "reconciliation", "hub"}
)
SANDBOX_ROOT = Path(sandbox.__file__).parent


def imported_modules(source: str) -> set[str]:
    """Every absolute module an import statement names (relative imports stay in sandbox/)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def hub_imports(source: str) -> set[str]:
    return {name for name in imported_modules(source) if name.split(".")[0] in HUB_PACKAGES}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import canonical.money", {"canonical.money"}),
        ("from hub.settings import Settings", {"hub.settings"}),
        ("def f():\n    from mappings import stripe\n", {"mappings"}),
        ("import sandbox.serve\nfrom . import common\nimport hubspot", set()),
    ],
)
def test_the_checker_finds_hub_imports_anywhere_in_a_module(
    source: str, expected: set[str]
) -> None:
    assert hub_imports(source) == expected


def test_no_sandbox_module_imports_the_hub() -> None:
    files = sorted(SANDBOX_ROOT.rglob("*.py"))
    assert len(files) > 10  # the walk really found the package
    offenders = {
        str(path.relative_to(SANDBOX_ROOT)): sorted(found)
        for path in files
        if (found := hub_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
