"""GapWatch dashboard: `streamlit run dashboard.py`.

Registers the pages: one `st.Page` line per script in pages/screens/ (pages/__init__.py says
why nothing else goes at the top of pages/). On first open the warehouse layer builds the database
from the shipped public history; the pages themselves never write.
"""

from pathlib import Path

import streamlit as st

from pages.ui.data import database_ready
from warehouse.errors import GapWatchError

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
    st.Page("pages/screens/home.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page("pages/screens/gaps.py", title="Gaps", icon=":material/trending_up:", url_path="gaps"),
    st.Page("pages/screens/capability.py", title="Capability", icon=":material/psychology:",
            url_path="capability"),
    st.Page("pages/screens/speed.py", title="Speed", icon=":material/speed:", url_path="speed"),
    st.Page("pages/screens/prices.py", title="Price and cost", icon=":material/payments:",
            url_path="prices"),
    st.Page("pages/screens/fresh.py", title="Leaderboard vs fresh", icon=":material/fact_check:",
            url_path="fresh"),
    st.Page("pages/screens/runs.py", title="Runs and health", icon=":material/history:",
            url_path="runs"),
    st.Page("pages/screens/sql.py", title="SQL", icon=":material/database:", url_path="sql"),
]
st.navigation(pages).run()
