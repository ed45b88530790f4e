"""pages/ui/figure.py: which element draws a figure, and the bundle the lighter one loads."""

import hashlib
import re
from pathlib import Path

import httpx
import plotly
import plotly.graph_objects as go

from pages.ui import figure

REPO = Path(__file__).resolve().parent.parent
BUNDLE = REPO / "static" / "plotly-basic.min.js"


def test_only_scatter_bar_and_pie_figures_go_to_the_basic_bundle():
    assert figure.is_basic(go.Figure([go.Scatter(x=[1], y=[1]), go.Bar(x=[1], y=[2])]))
    assert not figure.is_basic(go.Figure([go.Scatter(x=[1], y=[1]), go.Box(y=[1, 2, 3])]))
    assert not figure.is_basic(go.Figure(go.Violin(y=[1, 2, 3])))


def test_the_bundle_is_the_plotly_js_version_the_python_package_writes_for():
    """A figure is Plotly JSON for the plotly.js the Python package ships; the basic bundle must
    be that same version, or a plotly upgrade could draw charts wrong without an error."""
    shipped = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:500]
    python_js = re.search(r"plotly\.js v([0-9.]+)", shipped).group(1)
    assert f"plotly.js (basic - minified) v{python_js}" in BUNDLE.read_text()[:200]


def test_the_dashboard_serves_the_bundle_itself(dashboard_url):
    """The lighter chart element loads plotly.js from the dashboard's own address, never a CDN."""
    assert figure.BUNDLE_URL == "./app/static/plotly-basic.min.js"
    reply = httpx.get(f"{dashboard_url}/app/static/plotly-basic.min.js", timeout=30)
    assert reply.status_code == 200
    assert hashlib.sha256(reply.content).hexdigest() == hashlib.sha256(BUNDLE.read_bytes()).hexdigest()
