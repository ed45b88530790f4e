"""Loads the modules every page imports, in the background, once per dashboard server.

Why: Python imports a page's helpers (Plotly, SciPy through the lag report, the chart modules)
the first time any visitor opens that page, so after a restart the first visitor of each page
waited for them: 0.4-0.5 s on Gaps for SciPy alone, measured with AppTest. dashboard.py starts
this on its first run, so whichever page a visitor opens next finds its modules loaded. Only
helper modules are imported, never a page script (a page script draws when it runs).
"""

import ast
import importlib
import threading
from pathlib import Path

_started = threading.Lock()


def in_background(page_files: list[Path]) -> None:
    """Start one daemon thread that imports what the page files import; later calls do nothing."""
    if _started.acquire(blocking=False):
        threading.Thread(target=_import_all, args=(page_files,), name="gapwatch-preload",
                         daemon=True).start()


def _import_all(page_files: list[Path]) -> None:
    names = [name for path in page_files for name in sorted(imported_modules(path))]
    for name in dict.fromkeys(names):  # in the pages' order, each once
        try:
            importlib.import_module(name)
        except ImportError:  # `from package import function`: the package itself is loaded
            continue


def imported_modules(page_file: Path) -> set[str]:
    """Modules named by a page file's import statements, `from a import b` as `a` and `a.b`."""
    names = set()
    for node in ast.walk(ast.parse(page_file.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names
