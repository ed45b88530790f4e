"""Dashboard UI: one page script per page at this level, what they share in `pages/ui/`
(cached reads, tables, figures by page, the chart element), and `pages/assets/`. Reads frames
from the warehouse, never writes.

Why only page scripts sit at this level, and why the code below: Streamlit 1.67 starts a fresh
server in its older "pages folder" mode whenever a folder named `pages` sits next to the main
script (PagesManager.uses_pages_directory is set from `pages/` existing, not from what is in it),
and GapWatch's layout puts `pages/` there. Until dashboard.py's first st.navigation call, that
mode registers every top-level `pages/*.py` (subfolders are not searched) as a page of its own.
A first visit straight to /gaps then runs pages/gaps.py alone: no database check, no menu. Every
page script imports this package first, so that run leaves the mode and reruns, and dashboard.py
takes over. Without this, either the helper modules join the sidebar (helpers at this level) or
Streamlit shows "Page not found" over the page (page scripts in a subfolder, measured on the
`pagesmove` branch of issue #19): Streamlit has no public switch for the mode before a script
runs. tests/test_browser.py checks the deep link.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()
