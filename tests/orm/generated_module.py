"""Running a generated models module in a fresh interpreter: its classes would clash with
app.models (same table names on SQLModel's metadata) in the test process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_in_subprocess(module_file: Path, code: str, *args: str) -> str:
    """Import a generated module as `module` in a fresh interpreter (its classes would
    clash with app.models in this one), run `code` and return what it printed."""
    program = f"import importlib, sys\nmodule = importlib.import_module(sys.argv[1])\n{code}"
    done = subprocess.run(  # noqa: S603  (fixed interpreter and code)
        [sys.executable, "-c", program, module_file.stem, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(module_file.parent)])},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def import_in_subprocess(module_file: Path) -> str:
    """Configure the generated models' mappers; return their table names."""
    return run_in_subprocess(
        module_file,
        "from sqlalchemy.orm import configure_mappers\nconfigure_mappers()\n"
        'print(" ".join(sorted(module.SQLModel.metadata.tables)))',
    )
