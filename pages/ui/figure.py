"""Draws a Plotly figure on a page: every page calls `show(fig)`, never `st.plotly_chart` itself.

Why not always `st.plotly_chart`: Streamlit's chart element ships the full plotly.js (4.7 MB),
which the browser compiles and runs before the first trace is drawn; on this 2-core VM that is
most of a page's first load (docs/performance.md). Figures made only of scatter, bar and pie
traces, which is nearly all of GapWatch's, are drawn instead by a small Streamlit component
with plotly.js's "basic" bundle (1.2 MB, the same plotly.js version as the Python package,
served locally from static/ by `server.enableStaticServing`). Other figures (the Speed page's
box plots) still go to `st.plotly_chart`. Either way the figure is the same Plotly JSON, which
tests read with `tests.helpers.figure_specs`, and both paths use one template, so a chart looks
the same whichever element draws it.
"""

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from pages.ui.charts.colours import NEUTRAL

BASIC_TRACES = {"scatter", "bar", "pie"}  # what plotly.js-basic-dist-min 4.1.1 can draw
BUNDLE_URL = "./app/static/plotly-basic.min.js"
# Streamlit's font; neutral colours by default, since warm and cool say closed and open
# weights on every page (pages/ui/charts/colours.py).
TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(
    colorway=NEUTRAL,
    font={"family": '"Source Sans", "Source Sans Pro", sans-serif', "size": 14,
          "color": "#31333f"},
    paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", hoverlabel={"font_size": 13})

# The script tag is added once per browser tab; every chart waits for the same load.
_JS = """
function plotly() {
  if (!window.__gapwatchPlotly) window.__gapwatchPlotly = new Promise((ok, fail) => {
    const script = document.createElement('script');
    script.src = '%s';
    script.onload = () => ok(window.Plotly);
    script.onerror = () => fail(new Error('plotly.js did not load from %s'));
    document.head.appendChild(script);
  });
  return window.__gapwatchPlotly;
}
export default function (component) {
  const { data, parentElement } = component;
  let div = parentElement.querySelector('div.gapwatch-chart');
  if (!div) {
    div = document.createElement('div');
    div.className = 'gapwatch-chart';
    div.style.width = '100%%';
    parentElement.appendChild(div);
  }
  const figure = JSON.parse(data);
  plotly().then(Plotly => Plotly.react(div, figure.data, figure.layout,
                                       {displaylogo: false, responsive: true}));
}
""" % (BUNDLE_URL, BUNDLE_URL)

_basic_chart = st.components.v2.component("gapwatch_chart", js=_JS, isolate_styles=False)


def show(fig: go.Figure, key: str | None = None) -> None:
    """Draw `fig` across the page's width with the lighter element when its traces allow."""
    fig.update_layout(template=TEMPLATE)  # no GapWatch chart sets a template of its own
    if is_basic(fig):
        _basic_chart(data=pio.to_json(fig, validate=False), key=key)
    else:
        st.plotly_chart(fig, width="stretch", theme=None, key=key)


def is_basic(fig: go.Figure) -> bool:
    return all(trace.type in BASIC_TRACES for trace in fig.data)
