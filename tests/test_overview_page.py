"""The Overview page, run headless with AppTest on the public history: the verdict board (one
row per dimension, never contradicting its own columns), its source filter and the freshness."""

import pandas as pd
from helpers import verdict_board
from streamlit.testing.v1 import AppTest
from test_pages import DASHBOARD, app, metric, one, shown_number  # noqa: F401 (app is a fixture)

from warehouse.analysis import labels, verdicts
from warehouse.contract import board_queries
from warehouse.storage import db, gap_tables


def board(at: AppTest):
    return verdict_board(at)



def test_board_has_one_row_per_dimension_with_the_eci_verdict(app, db_copy):
    rows = board(app).set_index("Dimension")
    assert list(rows.index) == ["understanding", "generation", "reasoning", "memory",
                                "overall capability", "months behind (open vs closed)",
                                "human preference (Arena)", "price", "speed"]
    lag_verdict = one(db_copy, """SELECT verdict FROM gap_verdicts WHERE series_id = 'epoch:eci'
                                  AND gap_kind = 'lag_months' AND period = 'last 12 months'""")[0]
    months = rows.loc["months behind (open vs closed)"]
    assert months["Verdict"] == lag_verdict and "months/yr" in months["Trend per year [95% interval]"]
    verdict, slope, low, high, start = one(db_copy, """
        SELECT verdict, slope_per_year, ci_low, ci_high, period_start FROM gap_verdicts
        WHERE series_id = 'epoch:eci' AND gap_kind = 'frontier_a_minus_b' AND period = 'last 12 months'""")
    whole = one(db_copy, """SELECT verdict FROM gap_verdicts WHERE series_id = 'epoch:eci'
                            AND gap_kind = 'frontier_a_minus_b' AND period = 'whole history'""")[0]
    overall = rows.loc["overall capability"]
    assert overall["Series"] == "Epoch Capabilities Index: closed weights vs open weights"
    assert overall["Verdict"] == verdict
    assert overall["Whole history"].startswith(f"{whole}, ")
    # rounded as on the Gaps page: two significant figures of the interval's half-width
    d = labels.decimals_for(low, high)
    assert d <= 1  # ECI's interval is about ±10 points: at most one decimal is supported
    assert overall["Trend per year [95% interval]"] == (
        f"{labels.number(slope, d, signed=True)} ECI points/yr "
        f"[{labels.number(low, d, signed=True)}, {labels.number(high, d, signed=True)}]")
    latest = one(db_copy, "SELECT value FROM gap_series WHERE series_id = 'epoch:eci' "
                          "ORDER BY bucket_start DESC LIMIT 1")[0]
    then = one(db_copy, f"SELECT value FROM gap_series WHERE series_id = 'epoch:eci' "
                        f"AND bucket_start = DATE '{start:%Y-%m-%d}'")[0]
    # both levels to three significant figures of the larger: 10.23 and 5.22 read 10.2 and 5.2
    assert 10 <= latest < 100 and (overall["Gap now"], overall["Gap then"]) == (
        f"{latest:,.1f}", f"{then:,.1f}".replace("-", "−"))
    points = one(db_copy, "SELECT count(*) FROM gap_series WHERE series_id = 'epoch:eci'")[0]
    assert len(overall["History"]) == min(12, points) and set(overall["History"]) <= set("▁▂▃▄▅▆▇█")
    assert "cheapest" in rows.loc["price", "Series"]  # the price of a fixed ECI level (issue 16)
    for dim in ("understanding", "generation", "reasoning", "memory"):  # issue 16: public answers
        assert rows.loc[dim, "Series"] != "—"  # the dimension's composite, not an empty row
        assert rows.loc[dim, "Verdict"] != "not enough data"
    assert rows.loc["speed", "Verdict"] == "not enough data"


def test_a_sparkline_spans_the_lowest_to_the_highest_point():
    from pages.ui import tables

    assert tables.sparkline([1, 2, 3]) == "▁▅█"
    assert tables.sparkline(list(range(100)), width=24)[::23] == "▁█"
    assert len(tables.sparkline(list(range(100)), width=24)) == 24
    assert tables.sparkline([2.0, 2.0, None]) == "▄▄" and tables.sparkline([5]) == "—"


def store_board_verdicts(db_path, plan: dict[str, str]) -> None:
    """The built warehouse's gap results stored again through the production store
    (`gap_tables.store`), with the `last 12 months` verdict of each board dimension in `plan`
    replaced: the shipped history has no widening or narrowing headline to check."""
    board = board_queries.verdict_board(board_queries.gap_overview("public", db_path)).set_index("dimension")
    key = ["gap_kind", "group_a", "group_b", "source"]
    with db.writing(db_path, atomic=False) as con:
        frames = [con.execute(f"SELECT {', '.join(columns)} FROM {table}").df()
                  for table, columns in verdicts.TABLES.items()]
        table = frames[1]
        for dimension, verdict in plan.items():
            row = board.loc[dimension]
            hit = ((table["metric"] == row["series_id"]) & (table["period"] == "last 12 months")
                   & (table[key].fillna("") == row[key].fillna("")).all(axis=1))
            assert hit.sum() == 1, dimension
            table.loc[hit, "verdict"] = verdict
        gap_tables.store(con, *frames[:3])


def test_no_board_row_contradicts_its_own_columns(db_copy, monkeypatch):
    """The page as a person reads it: a widening row's gap rose from then to now, a narrowing
    row's fell. Built so there is something to check: one rising headline stored as widening,
    one falling as narrowing, and one rising stored as narrowing, which the board must not
    show as it is."""
    headlines = board_queries.verdict_board(board_queries.gap_overview("public", db_copy))
    moved = (headlines["gap_now"] - headlines["gap_then"]).set_axis(headlines["dimension"]).dropna()
    rising, falling = list(moved[moved > 0].index), list(moved[moved < 0].index)
    assert len(rising) >= 2 and falling, moved
    store_board_verdicts(db_copy, {rising[0]: "widening", falling[0]: "narrowing",
                                   rising[1]: "narrowing"})
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    app = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    assert not app.exception
    for source in ("both", "public"):
        app.segmented_control(key="board_source").set_value(source).run()
        shown = board(app).set_index("Dimension")
        assert (shown.loc[rising[0], "Verdict"], shown.loc[falling[0], "Verdict"]) == (
            "widening", "narrowing"), source
        assert shown.loc[rising[1], "Verdict"] == "no clear change", source
        checked = 0
        for dimension, r in shown.iterrows():
            if r["Verdict"] in ("widening", "narrowing"):
                moved = shown_number(r["Gap now"]) - shown_number(r["Gap then"])
                assert moved * (1 if r["Verdict"] == "widening" else -1) >= 0, (dimension, r)
                checked += 1
        assert checked == 2, source


def test_the_board_function_never_says_narrowing_beside_a_doubled_gap():
    row = {"dimension": "overall capability", "series_id": "epoch:eci", "verdict": "narrowing",
           "gap_then": 5.22, "gap_now": 10.23, "period_end": pd.Timestamp("2026-03-01"),
           "n_points": 13, "trend": [5.22, 10.23]}
    out = board_queries.verdict_board(pd.DataFrame([row])).set_index("dimension")
    assert out.loc["overall capability", "verdict"] == "no clear change"
    kept = board_queries.verdict_board(pd.DataFrame([row | {"verdict": "widening"}]))
    assert kept.set_index("dimension").loc["overall capability", "verdict"] == "widening"


def test_board_source_filter_my_measurements_is_not_enough_data(app):
    app.segmented_control(key="board_source").set_value("measured").run()
    assert not app.exception
    assert set(board(app)["Verdict"]) == {"not enough data"}
    app.segmented_control(key="board_source").set_value("public").run()
    assert board(app).set_index("Dimension").loc["price", "Verdict"] != "not enough data"


def test_overview_shows_freshness_and_the_last_collection(app, db_copy):
    fresh = next(t.value for t in app.table if "Collector" in t.value.columns)
    n = one(db_copy, "SELECT count(DISTINCT collector) FROM runs WHERE valid")[0]
    assert len(fresh) == n and "Epoch AI Capabilities Index" in set(fresh["Collector"])
    status = one(db_copy, "SELECT status FROM runs ORDER BY started_at_utc DESC LIMIT 1")[0]
    assert metric(app, "Last collection").value == status
    assert metric(app, "Last collection finished").value.startswith("20")
    assert "times in UTC" in " ".join(c.value for c in app.caption)
    assert metric(app, "Newest data").value.startswith("2026-")
