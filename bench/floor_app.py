"""The framework's floor for bench/browser_pages.py: `streamlit run bench/floor_app.py`.

The least a page can cost in the browser with this Streamlit and this machine: the same wide
layout and an eight-entry sidebar as the dashboard, no data. "Text" is a title and a line;
"Charts" adds two three-point Plotly charts through Streamlit's own element, which makes the
browser load and run the full plotly.js; "Light charts" draws them with the element GapWatch's
pages use (pages/ui/figure.py, plotly.js's basic bundle). Issue #18's target is relative to
"Charts"; "Light charts" is the floor of a page drawn the way GapWatch draws.
"""

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

# Streamlit puts bench/ first on the path, where bench/pages.py would shadow the `pages` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

END = "End of the page."


def text_only() -> None:
    st.title("Floor: text")
    st.write(END)


def two_charts() -> None:
    st.title("Floor: two charts")
    for i in range(2):
        st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2 + i])), key=f"chart-{i}")
    st.write(END)


def two_light_charts() -> None:
    """The same two charts through pages/ui/figure.py's lighter element (plotly.js's basic
    bundle, served from static/: bench/static links to it, since Streamlit serves the folder
    beside the main script)."""
    from pages.ui import figure

    st.title("Floor: two charts, GapWatch's chart element")
    for i in range(2):
        figure.show(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2 + i])), key=f"light-{i}")
    st.write(END)


def blank() -> None:
    st.title("Blank")


st.set_page_config(page_title="Floor", layout="wide")
pages = [st.Page(text_only, title="Text", default=True), st.Page(two_charts, title="Charts", url_path="charts"),
         st.Page(two_light_charts, title="Light charts", url_path="light-charts")]
pages += [st.Page(blank, title=f"Blank {i}", url_path=f"blank-{i}") for i in range(5)]
st.navigation(pages).run()
