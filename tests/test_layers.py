"""The layers of ../shared/ARCHITECTURE.md, enforced: arrows only point down.

radar -> portal -> model -> features. Every import counts, including those inside functions
(the lazy imports that keep start-up fast are still dependencies).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what each package may import (besides itself and third-party code)
ALLOWED = {
    "features": set(),
    "model": {"features"},
    "portal": {"features", "model"},
    "radar": {"features", "model", "portal"},
}


def imported_packages(source: str) -> set[str]:
    """Top-level package names a module imports, anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def back_edges(root: Path) -> list[str]:
    """Every import that points up or sideways, as 'file imports package'."""
    bad = []
    for layer, allowed in ALLOWED.items():
        for path in sorted((root / layer).rglob("*.py")):
            for pkg in imported_packages(path.read_text()) & set(ALLOWED):
                if pkg != layer and pkg not in allowed:
                    bad.append(f"{path.relative_to(root)} imports {pkg}")
    return bad


def test_no_layer_imports_a_layer_above_it():
    assert back_edges(ROOT) == []


def test_a_planted_back_edge_is_caught(tmp_path):
    for layer in ALLOWED:
        (tmp_path / layer).mkdir()
    (tmp_path / "features" / "pipeline.py").write_text("def run():\n    from model import train\n")
    (tmp_path / "model" / "train.py").write_text("import portal.data\n")
    (tmp_path / "portal" / "views.py").write_text("from radar.jobs import score\n")
    (tmp_path / "radar" / "cli.py").write_text("from features import pipeline\nimport model\nimport portal\n")
    assert back_edges(tmp_path) == ["features/pipeline.py imports model", "model/train.py imports portal",
                                    "portal/views.py imports radar"]


def test_every_package_is_checked():
    """A new top-level package must be placed in a layer before it can be imported."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages == set(ALLOWED)
