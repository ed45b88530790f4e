"""China behind the US: models keep Epoch's country label, and the country pair's lags (Epoch's
level-averaged lag, the lag over time and its verdict) come from the same code as open vs closed.
Read from a real built warehouse (the bundled public history) through the views."""

import pandas as pd
import pytest

from warehouse.analysis import countries
from warehouse.storage import db, gap_tables

US, CN = "United States of America", "China"
PAIR = "leader_group = 'United States of America' AND follower_group = 'China'"
SERIES = ("series_id = 'epoch:eci' AND gap_kind = 'lag_months' "
          "AND group_a = 'United States of America' AND group_b = 'China'")
BEST = """SELECT max(s.value) FILTER (WHERE m.country = 'United States of America'),
                 max(s.value) FILTER (WHERE m.country = 'China')
          FROM capability_scores s JOIN models m USING (model_id) WHERE s.pack = 'epoch:eci'"""


def test_models_keep_epochs_country_label_as_given(built_db):
    with db.reading(built_db) as con:
        labels = dict(con.execute("SELECT model_id, country FROM models WHERE model_id IN "
                                  "('deepseek/deepseek-v3.2', 'openai/gpt-4o-2024-05-13', "
                                  "'mistralai/mistral-medium-3')").fetchall())
        joint = con.execute("SELECT count(*) FROM models WHERE country = "
                            "'United States of America,China'").fetchone()[0]
        unlabelled = con.execute("SELECT count(*) FROM models WHERE country IS NULL "
                                 "AND source = 'arena'").fetchone()[0]
    assert labels == {"deepseek/deepseek-v3.2": CN, "openai/gpt-4o-2024-05-13": US,
                      "mistralai/mistral-medium-3": "France"}
    assert joint >= 1  # a multi-country label stays as Epoch gives it
    assert unlabelled > 100  # a model only Arena names has no country (not a guess)


def test_china_behind_the_us_has_a_level_averaged_lag_and_a_lag_over_time(built_db):
    with db.reading(built_db) as con:
        row = con.execute(f"""SELECT lag_months, ci_low, ci_high, top_months_at_least, n_events,
                                     level FROM lags WHERE series_id = 'epoch:eci'
                                     AND measure = 'level-averaged' AND {PAIR}""").df()
        series = con.execute(f"SELECT bucket_start, value, leader_value, follower_value "
                             f"FROM gap_series WHERE {SERIES} ORDER BY bucket_start").df()
        verdicts = con.execute(f"SELECT period, verdict, unit FROM gap_verdicts WHERE {SERIES}").df()
        records = con.execute(f"""SELECT tolerance_points, lag_months, ci_low, censored FROM lags
                                  WHERE series_id = 'epoch:eci' AND measure = 'record match'
                                    AND is_summary AND {PAIR} ORDER BY 1""").df()
        best_us, best_cn = con.execute(BEST).fetchone()
    print("\n" + row.to_string() + "\n" + verdicts.to_string())
    assert len(row) == 1
    r = row.iloc[0]
    assert r["ci_low"] < r["lag_months"] < r["ci_high"] and 2 < r["lag_months"] < 15
    assert r["n_events"] >= 5 and r["top_months_at_least"] > 3 and r["level"] == best_cn
    assert len(series) >= 24 and (series["value"] >= 0).all() and series["value"].max() < 36
    # the series' frontiers are those of the models labelled exactly one of the two countries
    assert series["leader_value"].max() == best_us and series["follower_value"].max() == best_cn
    assert set(verdicts["period"]) == {"whole history", "last 12 months"}
    assert set(verdicts["unit"]) == {"months"}
    assert verdicts["verdict"].isin(["widening", "narrowing", "no clear change"]).all()
    # the second measure, as for open vs closed: record match under both catch-up rules
    assert list(records["tolerance_points"]) == [0.0, 1.0]
    assert (records["lag_months"].between(2, 24)).all() and not records["censored"].any()


def test_the_terminal_names_the_country_pair_in_words(built_db):
    from warehouse.analysis import lag_report
    with db.reading(built_db) as con:
        rows = con.execute("SELECT series_id AS metric, * EXCLUDE (series_id) FROM lags "
                           "WHERE series_id = 'epoch:eci'").df()
    lines = "\n".join(lag_report.report_lines(rows))
    assert "epoch:eci  China behind United States of America: " in lines
    assert "at least 8.8 months: the United States of America frontier passed the China best" in lines
    assert "\n    epoch:eci  China behind United States of America\n      threshold rule" in lines


def test_a_joint_or_unlabelled_model_is_in_neither_country():
    scores = pd.DataFrame({"country": [US] * 5 + [CN] * 5 + [f"{US},{CN}", None, "France"],
                           "value": range(13)})
    (rows, group, leader, follower), = countries.pair(scores, min_models=5)
    assert (leader, follower) == (US, CN) and list(group) == [US] * 5 + [CN] * 5
    assert list(rows["value"]) == list(range(10))
    assert countries.pair(scores.iloc[1:], min_models=5) == []  # 4 US models: no pair


@pytest.mark.slow  # one recomputation of every gap (~10 s)
def test_a_joint_or_unlabelled_model_leaves_both_frontiers_when_stored(db_copy):
    """Relabel the best American model 'United States of America,China' and the best Chinese
    one unlabelled: neither may then set either frontier of the stored lag over time (counted as
    China, the joint model would put China at the top)."""
    with db.writing(db_copy, atomic=False) as con:
        before_us, before_cn = con.execute(BEST).fetchone()
        con.execute("""UPDATE model_registry SET country = 'United States of America,China'
                       WHERE model_id = (SELECT arg_max(s.model_id, s.value) FROM capability_scores s
                                         JOIN models m USING (model_id) WHERE s.pack = 'epoch:eci'
                                          AND m.country = 'United States of America')""")
        con.execute("""UPDATE model_registry SET country = NULL
                       WHERE model_id = (SELECT arg_max(s.model_id, s.value) FROM capability_scores s
                                         JOIN models m USING (model_id) WHERE s.pack = 'epoch:eci'
                                          AND m.country = 'China')""")
        gap_tables.refresh(con)
    with db.reading(db_copy) as con:
        best_us, best_cn = con.execute(BEST).fetchone()
        leader, follower = con.execute(f"SELECT max(leader_value), max(follower_value) "
                                       f"FROM gap_series WHERE {SERIES}").fetchone()
        level = con.execute(f"SELECT level FROM lags WHERE measure = 'level-averaged' AND {PAIR}"
                            ).fetchone()[0]
    assert best_us < before_us and best_cn < before_cn
    assert (leader, follower, level) == (best_us, best_cn, best_cn)
