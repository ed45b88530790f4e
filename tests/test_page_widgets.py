"""Every widget on every page speaks words: what a select box, radio, multiselect, segmented
control or slider offers and shows, and every table's headers, read through AppTest.

Generic on purpose: it visits whatever pages dashboard.py registers and reads whatever widgets
they draw (with every toggle and checkbox of a page also switched on, so widgets drawn on request
are read too), so a new page or widget is checked without a line here. The Chromium test
(test_browser_pages.py, slow) reads the page text but not a widget's options and value: a
select box showing `frontier_a_minus_b` passed it. The SQL page's query results are the
user's own SQL and are not checked.
"""

from helpers import IDENTIFIER
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import _format_value_for_widget
from test_pages import app  # noqa: F401  (the fixture: the dashboard on a copy of the built warehouse)

from bench.pages import registered_pages
from warehouse.analysis import labels
from warehouse.storage import db

CHOICES = ("selectbox", "radio", "multiselect", "button_group", "select_slider")
SWITCHES = ("toggle", "checkbox")


def shown_values(widget) -> list[str]:
    """The current value(s) as the widget displays them (through its format_func)."""
    value = widget.value
    values = value if isinstance(value, (list, tuple)) else [value]  # multiselect, slider range
    return [str(_format_value_for_widget(widget.format_func, v)) for v in values if v is not None]


def texts(at: AppTest, page: str) -> dict[str, list[str]]:
    """What a person reads in the page's widgets and table headers, by where it is."""
    seen: dict[str, list[str]] = {}
    for kind in CHOICES:
        for i, widget in enumerate(getattr(at, kind)):
            where = f"{kind} {i} ({widget.label!r})" if hasattr(widget, "label") else f"{kind} {i}"
            seen[f"{where} label"] = [getattr(widget, "label", "")]
            seen[f"{where} options"] = list(widget.options)
            seen[f"{where} value"] = shown_values(widget)
    if not page.endswith("sql.py"):
        for kind in ("table", "dataframe"):
            for i, element in enumerate(getattr(at, kind)):
                seen[f"{kind} {i} headers"] = [str(c) for c in element.value.columns]
    for kind in SWITCHES + ("button", "text_input", "number_input", "slider"):
        for i, widget in enumerate(getattr(at, kind)):
            seen[f"{kind} {i} label"] = [widget.label]
    return seen


def raw_ids(seen: dict[str, list[str]]) -> dict[str, list[str]]:
    found = {where: sorted({m for text in shown for m in IDENTIFIER.findall(text)})
             for where, shown in seen.items()}
    return {where: ids for where, ids in found.items() if ids}


def visit(at: AppTest, page: str) -> dict[str, list[str]]:
    """The page as opened, then with every switch on: everything read in both."""
    at.switch_page(page).run()
    assert not at.exception, (page, at.exception)
    seen = texts(at, page)
    switches = [w for kind in SWITCHES for w in getattr(at, kind) if not w.value]
    for switch in switches:
        switch.set_value(True)
    if switches:
        at.run()
        assert not at.exception, (page, at.exception)
        seen |= {f"{where} (switches on)": shown for where, shown in texts(at, page).items()}
    return seen


def test_every_widget_and_table_header_on_every_page_is_in_words(app, db_copy):
    pages = [page["script"] for page in registered_pages()]
    seen = {page: visit(app, page) for page in pages}
    problems = {page: raw_ids(shown) for page, shown in seen.items()}
    assert {page: ids for page, ids in problems.items() if ids} == {}
    # It read something: every page but SQL offers a choice.
    choices = {page: [w for w in shown if w.endswith(" options")] for page, shown in seen.items()}
    assert all(choices[page] for page in pages if not page.endswith("sql.py")), choices
    # The Gaps page's "Gap kind" box offers every stored kind, each in its words.
    with db.reading(db_copy) as con:
        kinds = con.execute("SELECT list(DISTINCT gap_kind ORDER BY gap_kind) "
                            "FROM gap_verdicts").fetchone()[0]
    offered = next(options for where, options in seen["pages/gaps.py"].items()
                   if where.startswith("selectbox") and "'Gap kind'" in where
                   and where.endswith(" options"))
    assert len(kinds) >= 3 and offered == [labels.gap_kind(k) for k in kinds]
