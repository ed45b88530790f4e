"""The dashboard loads every page's modules in the background on its first run, so the first
visitor of a page after a restart does not wait for Python imports."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from pages.ui.preload import imported_modules

REPO = Path(__file__).resolve().parent.parent


def test_a_page_files_imports_are_read_without_running_it(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("import pandas as pd\nfrom pages import charts, data\nfrom . import local\n"
                    "import streamlit as st\nst.title('not run')\n")
    assert imported_modules(page) == {"pandas", "pages", "pages.charts", "pages.data", "streamlit"}


def test_opening_one_page_loads_the_modules_of_the_others(db_copy):
    """A fresh interpreter opens only the SQL page; Gaps' lag report (and SciPy through it) and
    the Runs page's helpers are loaded without those pages being visited."""
    script = textwrap.dedent(f"""
        import sys, time
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(REPO / 'dashboard.py')!r}, default_timeout=120)
        at.switch_page("pages/sql.py").run()
        assert not at.exception, at.exception
        for _ in range(300):
            if {{"warehouse.analysis.lag_report", "scipy", "pages.ui.actions"}} <= set(sys.modules):
                break
            time.sleep(0.1)
        print(sorted(m for m in sys.modules if m in ("warehouse.analysis.lag_report", "scipy", "pages.ui.actions")))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "GAPWATCH_DB": str(db_copy)}, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['pages.ui.actions', 'scipy', 'warehouse.analysis.lag_report']"
