"""`make check` only looks: on a tree with a lint error ruff could fix, it fails and leaves
every file as it was; `make fix` is the one that changes them. Run on a small copy of the
project (its Makefile and settings, one module), with this checkout's virtualenv."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Unsorted imports and an unused one: both fixable by `ruff check --fix`.
FIXABLE = "import sys\nimport os\n\nprint(os.sep)\n"


def _make(target: str, tree: Path) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv") or str(ROOT / ".tools" / "bin" / "uv")
    return subprocess.run(  # noqa: S603 - make with this project's own Makefile
        ["make", "--no-print-directory", target, f"UV={uv}"],  # noqa: S607
        cwd=tree,
        env={**os.environ, "VIRTUAL_ENV": ""},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _small_copy(tmp_path: Path) -> Path:
    tree = tmp_path / "project"
    tree.mkdir()
    for name in ("Makefile", "pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, tree / name)  # mtimes kept: the virtualenv counts as synced
    (tree / ".venv").symlink_to(ROOT / ".venv")
    for package in ("app", "scripts", "tests"):
        (tree / package).mkdir()
        (tree / package / "__init__.py").write_text("")
    (tree / "app" / "sample.py").write_text(FIXABLE)
    return tree


def _contents(tree: Path) -> dict[Path, bytes]:
    """Every file of the tree, without the virtualenv and the tools' caches (git-ignored)."""
    skipped = {".venv", ".ruff_cache", "__pycache__"}
    return {
        path: path.read_bytes()
        for path in tree.rglob("*")
        if path.is_file() and not skipped.intersection(path.relative_to(tree).parts)
    }


def test_make_check_fails_on_fixable_lint_and_changes_nothing(tmp_path: Path) -> None:
    tree = _small_copy(tmp_path)
    before = _contents(tree)

    checked = _make("check", tree)

    assert checked.returncode != 0
    assert "F401" in checked.stdout + checked.stderr  # the unused import, named
    assert _contents(tree) == before

    fixed = _make("fix", tree)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert (tree / "app" / "sample.py").read_text() == "import os\n\nprint(os.sep)\n"
    assert _make("check", tree).returncode == 0
