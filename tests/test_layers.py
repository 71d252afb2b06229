"""Imports point one way: the adapters (``api``, ``cli``) → ``gis_app``; never back.

Every module is parsed (not imported), so a forbidden import is found even in a function body
or a branch that no test runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: packages the core must not import: the adapters, the map builders and the web framework
FORBIDDEN_IN_CORE = {"api", "cli", "maps", "fastapi", "starlette"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # ``from pkg import name`` may import the submodule pkg.name
            out += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return out


def test_the_core_imports_no_adapter_map_or_web_framework() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules("gis_app")
        for line, name in _imports(path)
        if name.split(".")[0] in FORBIDDEN_IN_CORE
    ]
    assert len(_modules("gis_app")) > 50  # the walk found the package
    assert not found, "\n".join(found)


def test_no_router_imports_another_router() -> None:
    routers = _modules("api/routers")
    names = {_module_name(p) for p in routers} - {"api.routers"}
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in routers
        for line, name in _imports(path)
        if any(name == r or name.startswith(r + ".") for r in names - {_module_name(path)})
    ]
    assert len(names) > 10  # the walk found the routers
    assert not found, "\n".join(found)
