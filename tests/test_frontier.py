"""The price-capability frontier: who nobody beats on price and score, on each date."""

from datetime import date
from pathlib import Path

import pandas as pd
from helpers import figure_specs, plotly_values
from streamlit.testing.v1 import AppTest

from warehouse.analysis import frontier
from warehouse.contract import queries
from warehouse.storage import db

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")


def test_the_frontier_keeps_only_models_no_cheaper_one_beats():
    day = pd.DataFrame({"model_id": ["cheap-weak", "cheap-weaker", "mid", "dear-worse", "dear-best",
                                     "same-price-worse"],
                        "usd_per_mtok_blended": [0.1, 0.1, 1.0, 5.0, 10.0, 1.0],
                        "score": [100, 90, 120, 110, 150, 115]})
    assert list(frontier.pareto(day)["model_id"]) == ["cheap-weak", "mid", "dear-best"]


def test_half_years_run_from_the_first_price_to_today():
    assert frontier.half_years(date(2024, 3, 5), date(2025, 2, 1)) == \
        [date(2024, 7, 1), date(2025, 1, 1), date(2025, 2, 1)]


def test_eci_frontier_on_the_public_history_gets_cheaper_and_better(db_copy):
    with db.reading(db_copy) as con:
        points = queries.frontier_points(con, "epoch:eci", "eci", [date(2024, 7, 1), date(2026, 1, 1)])
    fronts = frontier.frontiers(points)
    early, late = (fronts[fronts["day"] == pd.Timestamp(d)] for d in ("2024-07-01", "2026-01-01"))
    assert len(early) >= 3 and len(late) >= 3
    assert late["score"].max() > early["score"].max()
    # what the best of mid-2024 scored, 2026 sold cheaper
    cheapest_match = late[late["score"] >= early["score"].max()]["usd_per_mtok_blended"].min()
    assert cheapest_match < early["usd_per_mtok_blended"].max()


def test_price_page_draws_one_frontier_per_date(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    at.switch_page("pages/prices.py").run()
    assert not at.exception, at.exception
    spec = next(s for s in figure_specs(at) if "frontier" in s["layout"]["title"]["text"])
    names = [trace["name"] for trace in spec["data"]]
    assert names[0].startswith("models priced on ") and "2025-01-01" in names and "2025-07-01" in names
    assert spec["layout"]["xaxis"]["type"] == "log"
    steps = next(t for t in spec["data"] if t["name"] == "2025-07-01")
    scores = plotly_values(steps["y"])
    assert scores == sorted(scores) and len(scores) >= 3  # a frontier only climbs as price rises
    prices = plotly_values(steps["x"])
    assert prices == sorted(prices)  # cheapest first
