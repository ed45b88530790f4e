"""Small helpers shared by page tests."""

import base64
import json
import re
import socket
import subprocess
import time

import httpx
import numpy as np

# A raw identifier where a person should read words: snake_case ids, and the series and source ids
# of the views (`public:...`, `arena:...`, `epoch:...`, `price:...`, `latency:...`).
IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\b"
                        r"|\b(?:public|arena|epoch|price|latency):[A-Za-z0-9_]")


def plotly_values(array) -> list:
    """Plotly ships numeric arrays as typed `{dtype, bdata}`; lists stay lists."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def figure_specs(at) -> list[dict]:
    """Every Plotly figure an AppTest page drew, in page order, as Plotly JSON ({"data": ...,
    "layout": ...}), whichever element drew it: `st.plotly_chart` or pages/ui/figure.py's lighter
    chart element. Iterating `at.main` visits nested blocks too."""
    specs = []
    for element in at.main:
        kind = getattr(element, "type", None)
        if kind == "plotly_chart":
            specs.append(json.loads(element.proto.spec))
        elif kind == "bidi_component" and element.proto.component_name == "gapwatch_chart":
            specs.append(json.loads(json.loads(element.proto.json)))
    return specs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 60,
                 path: str = "/_stcore/health") -> None:
    """Until `url + path` answers 200 (default: a Streamlit server's health route)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server at {url} exited early"
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"no healthy server at {url}")


def verdict_board(at):
    """Overview's verdict board in full, as the page shows it under "Each row in full" (a
    static table: cells in words)."""
    return next(t.value for t in at.table if {"Dimension", "Series"} <= set(t.value.columns))


def compact_board(at):
    """Overview's verdict board as its first screen shows it: one short line per dimension."""
    return next(t.value for t in at.table if "Verdict, last 12 months" in t.value.columns)
