"""The layer rules (.importlinter, docs/architecture.md) hold, and the check can fail.

Both tests run the real `lint-imports` of import-linter in a subprocess: in-process, grimp
would find the packages already imported from the repository instead of the copy under test.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bench", "pages", "collectors", "warehouse", "core")
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
                "--no-cache", "--no-logo"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` as a person runs it from the repository root (it puts cwd on sys.path)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"COLUMNS": "200"}
    return subprocess.run(LINT_IMPORTS, cwd=root, env=env, capture_output=True, text=True,
                          timeout=60)


def copy_sources(target: Path) -> None:
    """The packages' Python files and the contract, without data folders the graph never reads."""
    def not_python(folder, names):
        def skipped(name):
            if name == "__pycache__":
                return True
            return not name.endswith(".py") and not (Path(folder) / name).is_dir()
        return [name for name in names if skipped(name)]

    for package in PACKAGES:
        shutil.copytree(REPO / package, target / package, ignore=not_python)
    shutil.copy(REPO / ".importlinter", target / ".importlinter")


def test_every_layer_contract_is_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers_contract_and_is_named(tmp_path):
    copy_sources(tmp_path)
    labels = tmp_path / "warehouse" / "analysis" / "labels.py"
    labels.write_text(labels.read_text() + "\nfrom collectors import runner  # deliberately upward\n")
    line = labels.read_text().count("\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Layers: bench above pages above collectors above warehouse above core BROKEN" in result.stdout
    assert "warehouse is not allowed to import collectors:" in result.stdout
    assert f"- warehouse.analysis.labels -> collectors.runner (l.{line})" in result.stdout
