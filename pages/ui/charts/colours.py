"""The dashboard's one colour scheme: closed weights in warm colours (reds, oranges, browns),
open weights in cool ones (blues, greens, teals), a model of unknown openness in grey, on every
page that draws models. Everything else (rating methods, dates, measures) takes NEUTRAL
colours (purple, gold, slate), so no other chart seems to speak of open and closed. Stated
once, in the sidebar (`LEGEND`)."""

OPENNESS = {True: "open weights", False: "closed weights"}
# No olive or yellow-green among the warm colours: it read as "open" (issue 28).
CLOSED = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#b5361c", "#f4a582", "#a6611a"]
OPEN = ["#1f77b4", "#2ca02c", "#17becf", "#393b79", "#66c2a5", "#3182bd", "#31a354"]
UNKNOWN = "#7f7f7f"
COLOURS = {"closed": CLOSED[0], "open": OPEN[0], True: OPEN[0], False: CLOSED[0]}
# Series that are not about openness: the charts' default colour cycle (pages/ui/figure.py).
NEUTRAL = ["#6d3fc0", "#c9a227", "#4c566a", "#b39ddb", "#8d6e63", "#9e9e9e", "#3f51b5",
           "#e6c75f"]
LEGEND = ("Colours on every page: warm (red, orange, brown) = closed weights; cool (blue, "
          "green, teal) = open weights; grey = not known. Purple and gold mark anything else.")


def openness(value) -> bool | None:
    """True, False or None (unknown) from a flag that may be NaN or pandas' NA."""
    try:
        return None if value is None or value != value else bool(value)
    except (TypeError, ValueError):
        return None


def by_model(open_weights: dict) -> dict:
    """model id -> colour: in alphabetical order, the n-th closed model the n-th warm colour,
    and so on; alphabetical, so two charts of the same models colour each model alike
    whatever order they draw them in."""
    counters = {True: 0, False: 0, None: 0}
    out = {}
    for model, flag in sorted(open_weights.items(), key=lambda kv: str(kv[0])):
        kind = openness(flag)
        palette = OPEN if kind else CLOSED if kind is False else [UNKNOWN]
        out[model] = palette[counters[kind] % len(palette)]
        counters[kind] += 1
    return out
