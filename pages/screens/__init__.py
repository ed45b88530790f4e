"""The page scripts: one file per page, registered by one `st.Page` line in dashboard.py.

Streamlit runs each as a script (never imports it); it is a package only so that import-linter
checks the scripts' imports against the layer contracts like any other module in `pages`.
"""
