"""The test tree mirrors src/ (issue 21): a folder per package, ``__init__.py`` in every folder, and no test
line that checks nothing."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src" / "koclassify"
CROSS_CUTTING = {"robustness"}  # hostile inputs through every command: no single package to sit under
PACKAGE_WIDE = {"imports", "layout"}  # top-level tests about the whole package, not one module


def _folders() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*") if p.is_dir() and p.name != "__pycache__" and not p.name.startswith("."))


def test_every_test_folder_is_a_src_package() -> None:
    stray = [str(p.relative_to(TESTS)) for p in _folders() if p.relative_to(TESTS).parts[0] not in CROSS_CUTTING
             and not (SRC / p.relative_to(TESTS) / "__init__.py").is_file()]  # fmt: skip
    assert stray == []


def test_every_src_package_with_modules_has_a_test_folder() -> None:
    packages = [p.parent.relative_to(SRC) for p in SRC.rglob("__init__.py") if p.parent != SRC]
    with_code = [p for p in packages if any(f.name != "__init__.py" for f in (SRC / p).glob("*.py"))]
    assert [str(p) for p in with_code if not (TESTS / p).is_dir()] == []


def test_every_top_level_test_file_names_a_top_level_module() -> None:
    names = [p.stem.removeprefix("test_") for p in TESTS.glob("test_*.py")]
    assert [n for n in names if n not in PACKAGE_WIDE and not (SRC / f"{n}.py").is_file()] == []


def test_init_files_everywhere() -> None:
    """Everywhere, so that test modules are named by their folder (two ``test_backend.py`` can coexist)."""
    assert [str(p.relative_to(TESTS)) for p in _folders() if not (p / "__init__.py").is_file()] == []


def test_no_assertion_is_a_tuple() -> None:
    """``assert_allclose(a, b), "why"`` builds a tuple and checks nothing after the call (``err_msg=`` says why)."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Tuple)):
                continue  # `a.save(x), b.save(y)` runs both calls: only a message in the tuple gives it away
            if any(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert found == []
