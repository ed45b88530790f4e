"""Dashboard UI: page scripts in `pages/screens/`, what they share in `pages/ui/`, and
`pages/assets/`. Reads frames from the warehouse, never writes.

Why nothing else sits at this folder's top level: Streamlit 1.67 starts a fresh server in its
older "pages folder" mode whenever a folder named `pages` sits next to the main script
(PagesManager.uses_pages_directory, set from `pages/` existing). Until dashboard.py's first call
to st.navigation, that mode registers dashboard.py plus every top-level `pages/*.py` except
`__init__.py` (subfolders are not searched) as pages. When page scripts and helpers sat here, a
first visit straight to /gaps ran pages/gaps.py alone: no database check, no menu, a sidebar
listing every helper module; only flipping that private attribute from this file fixed it. With
no script at this level the older mode knows only dashboard.py, so every first visit runs
dashboard.py, whose st.navigation call leaves that mode (a public effect) and runs the asked
page. Keep it so: a module added here becomes a page of that older mode.

What remains: on a fresh server whose first visit is a deep link, the older mode does not know
the page's name before dashboard.py runs, so the browser also shows Streamlit's "Page not found"
dialog (once per server start, over the right page; tests/test_browser.py records it).
"""
