"""The package layering drawn in the README's architecture section, enforced.

Each package may import only from the packages listed for it (and the
cross-cutting root basics). A static read of the source, so a lazy import inside
a function counts too. The README's package map must name real packages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "edge_router"
README = PKG.parent / "README.md"

# The root basics every layer may use: the exception tree, the frozen-model base, and
# registry wheels as data (download, sha256), shared by model and list fetching.
BASICS = {"errors", "frozen", "wheels"}

# package -> edge_router packages (or root modules) it may import, besides itself.
ALLOWED: dict[str, set[str]] = {
    "privacy": set(),
    "load": set(),
    "record": {"config"},  # the audit CLI reads the daemon config to find the store
    "wire": {"privacy"},
    "routing": {"privacy", "wire", "load"},
    "backends": {"wire", "config"},
    "flow": {"privacy", "wire", "routing", "backends", "record", "load", "state", "config"},
    "api": {"flow", "privacy", "wire", "routing", "backends", "record", "load", "state", "config"},
    # The web console sits beside the front doors and reads what they and the state keep.
    "console": {"api", "flow", "privacy", "wire", "routing", "backends", "record", "load"}
    | {"state", "config"},
}


def _edge_imports(path: Path) -> set[str]:
    """The first component under edge_router of every module ``path`` imports."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; use edge_router.<package>"
            if node.module == "edge_router":
                names = [f"edge_router.{a.name}" for a in node.names]
            elif node.module:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "edge_router" and len(parts) > 1:
                found.add(parts[1])
    return found


def _modules() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_lower_layers(package: str) -> None:
    allowed = ALLOWED[package] | BASICS | {package}
    bad = {
        f"{path.relative_to(PKG)} imports edge_router.{target}"
        for path in (PKG / package).rglob("*.py")
        for target in _edge_imports(path)
        if target not in allowed
    }
    assert not bad, sorted(bad)


def test_every_edge_router_import_resolves() -> None:
    """Moves leave no dangling module path behind."""
    missing = set()
    for path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            mods: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            for mod in mods:
                if not mod.startswith("edge_router"):
                    continue
                rel = Path(*mod.split(".")[1:])
                target = PKG / rel
                if not (target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()):
                    missing.add(f"{path.relative_to(PKG)}: {mod}")
    assert not missing, sorted(missing)


def test_root_holds_only_entry_points_and_basics() -> None:
    root = {p.stem for p in PKG.glob("*.py")}
    entry_points = {"__init__", "app", "cli", "config", "configdoc", "lifespan", "state"}
    assert root <= entry_points | BASICS, root


def test_no_module_over_450_lines() -> None:
    """A module past ~400 lines holds two ideas; split it by idea, with no allowance."""
    big = {
        str(p.relative_to(PKG)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > 450
    }
    assert not big, big


def test_readme_package_map_names_real_packages() -> None:
    section = README.read_text().split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`edge_router/([a-z_]+)/`", section))
    assert named >= set(ALLOWED), sorted(set(ALLOWED) - named)
    for name in named:
        assert (PKG / name / "__init__.py").is_file(), name


def test_every_package_says_what_it_owns() -> None:
    for init in PKG.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "May import" in doc, f"{init.parent.name}/__init__.py needs a docstring"
