"""GapWatch dashboard: `streamlit run dashboard.py`.

Registers the pages. On first open the warehouse layer builds the database
from the shipped public history; the pages themselves never write.
"""

from pathlib import Path

import streamlit as st

from pages.data import database_ready
from core.errors import GapWatchError

# A local favicon: without one, each page's `:material/...` icon becomes the tab's favicon, which
# the browser fetches from fonts.gstatic.com (the menu's icons come from the bundled font).
FAVICON = Path(__file__).resolve().parent / "pages" / "assets" / "favicon.png"
st.set_page_config(page_title="GapWatch", page_icon=str(FAVICON), layout="wide")

try:
    if not database_ready():
        st.toast("Built the database from the public history.")
except GapWatchError as exc:
    st.error(f"GapWatch cannot open its database: {exc}")
    st.stop()

pages = [
    st.Page("pages/home.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page("pages/gaps.py", title="Gaps", icon=":material/trending_up:", url_path="gaps"),
    st.Page("pages/capability.py", title="Capability", icon=":material/psychology:",
            url_path="capability"),
    st.Page("pages/speed.py", title="Speed", icon=":material/speed:", url_path="speed"),
    st.Page("pages/prices.py", title="Price and cost", icon=":material/payments:",
            url_path="prices"),
    st.Page("pages/fresh.py", title="Leaderboard vs fresh", icon=":material/fact_check:",
            url_path="fresh"),
    st.Page("pages/runs.py", title="Runs and health", icon=":material/history:", url_path="runs"),
    st.Page("pages/sql.py", title="SQL", icon=":material/database:", url_path="sql"),
]
st.navigation(pages).run()
