"""GapWatch dashboard: `streamlit run dashboard.py`.

Registers the pages: one line of PAGES per script in pages/ (pages/__init__.py says why only
page scripts sit there). On first open the warehouse layer builds the database from the shipped
public history; the pages themselves never write.
"""

from pathlib import Path

import streamlit as st

from core.errors import GapWatchError
from pages.ui import preload
from pages.ui.charts import colours
from pages.ui.data import database_ready

# A local favicon: without one, each page's `:material/...` icon becomes the tab's favicon, which
# the browser fetches from fonts.gstatic.com (the menu's icons come from the bundled font).
HERE = Path(__file__).resolve().parent
FAVICON = HERE / "pages" / "assets" / "favicon.png"
st.set_page_config(page_title="GapWatch", page_icon=str(FAVICON), layout="wide")

try:
    if not database_ready():
        st.toast("Built the database from the public history.")
except GapWatchError as exc:
    st.error(f"GapWatch cannot open its database: {exc}")
    st.stop()

PAGES = [  # page file in pages/, menu title, Material icon, address ("" for the default page)
    ("home.py", "Overview", "monitoring", ""),
    ("gaps.py", "Gaps", "trending_up", "gaps"),
    ("capability.py", "Capability", "psychology", "capability"),
    ("speed.py", "Speed", "speed", "speed"),
    ("prices.py", "Price and cost", "payments", "prices"),
    ("fresh.py", "Leaderboard vs fresh", "fact_check", "fresh"),
    ("runs.py", "Runs and health", "history", "runs"),
    ("sql.py", "SQL", "database", "sql"),
]
pages = [st.Page(f"pages/{file}", title=title, icon=f":material/{icon}:", default=not url,
                 **({"url_path": url} if url else {})) for file, title, icon, url in PAGES]
# In menu order, so Overview's modules load first: the page most visitors open next.
preload.in_background([HERE / "pages" / file for file, *_ in PAGES])
st.sidebar.caption(colours.LEGEND)  # the one colour scheme, stated once for every page
try:
    st.navigation(pages).run()
except GapWatchError as exc:  # e.g. a damaged block met by a page's query: one line, its way out
    st.error(f"GapWatch cannot read its database: {exc}")
