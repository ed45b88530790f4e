"""The dashboard's two weight groups in colour: closed weights warm, open weights cool, on every
page that compares them (capability, prices, public vs held-out)."""

OPENNESS = {True: "open weights", False: "closed weights"}
CLOSED = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#b5361c"]
OPEN = ["#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#393b79", "#637939"]
COLOURS = {"closed": "#d62728", "open": "#1f77b4"}
