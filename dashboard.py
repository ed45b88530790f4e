"""GapWatch dashboard: `streamlit run dashboard.py`.

Registers the pages. On first open the warehouse layer builds the database
from the shipped public history; the pages themselves never write.
"""

import streamlit as st

from warehouse.bootstrap import ensure_ready
from warehouse.errors import GapWatchError

st.set_page_config(page_title="GapWatch", layout="wide")

try:
    if not ensure_ready():
        st.toast("Built the database from the public history.")
except GapWatchError as exc:
    st.error(f"GapWatch cannot open its database: {exc}")
    st.stop()

pages = [
    st.Page("pages/home.py", title="Overview", icon=":material/monitoring:", default=True),
]
st.navigation(pages).run()
