"""The framework's floor for bench/browser_pages.py: `streamlit run bench/floor_app.py`.

The least a page can cost in the browser with this Streamlit and this machine: the same wide
layout and an eight-entry sidebar as the dashboard, no data. "Text" is a title and a line;
"Charts" adds two three-point Plotly charts, which makes the browser load and run Plotly's
script, as every dashboard page with a chart must. A dashboard page can be no faster than these.
"""

import plotly.graph_objects as go
import streamlit as st

END = "End of the page."


def text_only() -> None:
    st.title("Floor: text")
    st.write(END)


def two_charts() -> None:
    st.title("Floor: two charts")
    for i in range(2):
        st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2 + i])), key=f"chart-{i}")
    st.write(END)


def blank() -> None:
    st.title("Blank")


st.set_page_config(page_title="Floor", layout="wide")
pages = [st.Page(text_only, title="Text", default=True), st.Page(two_charts, title="Charts", url_path="charts")]
pages += [st.Page(blank, title=f"Blank {i}", url_path=f"blank-{i}") for i in range(6)]
st.navigation(pages).run()
