"""Dependencies point one way: core ← organizations ← customers ← loyalty ← audiences ←
memberships. A lower app never imports a higher one (at module level or inside a function);
it offers a hook or a registry instead (core.hooks, audiences.rules.register_rule_field)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    "core",
    "organizations",
    "customers",
    "loyalty",
    "audiences",
    "memberships",
    "campaigns",
    "dashboard",
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_an_app_imports_no_app_above_it(app):
    higher = LAYERS[LAYERS.index(app) + 1 :]
    offenders = []
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts or "management" in path.parts:
            continue  # migrations are history; the demo command seeds every app
        for name in imported_modules(path):
            if name.split(".")[0] in higher:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert sorted(set(offenders)) == []
