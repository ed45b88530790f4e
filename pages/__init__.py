"""Dashboard pages: UI only. Data comes from `pages.data`, figures from `pages.charts`.

Why the code below: `pages/` sits next to dashboard.py (the layout asks for it), so a fresh
Streamlit server starts in its older "pages folder" mode until dashboard.py has called
`st.navigation` once. If the first visit is a deep link (/gaps), that mode runs the page file
by itself: dashboard.py never runs (no database check, no menu) and the sidebar lists every
module in this folder. Every page imports this package first, so the first such run leaves
that mode and reruns, and dashboard.py takes over. Streamlit has no public switch for it.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()
