"""The lags as words: the terminal report of `python -m warehouse gaps` and the Gaps page's
sentences, from the rows `lags.group_lags` stores (the `lags` view). Pure functions."""

import pandas as pd

from warehouse.analysis.lags import DAYS_PER_MONTH


LEVEL_AVERAGED = "level-averaged"


def level_averaged_text(r) -> str:
    """The headline lag in words: `4.4 months [3.3, 6.1] ... at least 8.8 months at the top`."""
    ci = ("no interval (fewer than 3 catch-up releases)" if pd.isna(r.ci_low) else
          f"95% interval [{r.ci_low:.1f}, {r.ci_high:.1f}] from a bootstrap over "
          f"{r.n_events:.0f} {r.follower_group} record releases")
    top = (f"at the top, at least {r.top_months_at_least:.1f} months: the {r.leader_group} "
           f"frontier passed the {r.follower_group} best ({r.level:.4g}) on "
           f"{pd.Timestamp(r.leader_date):%Y-%m-%d} and no {r.follower_group} model has matched "
           f"it by {pd.Timestamp(r.follower_date):%Y-%m-%d} (not in the average)"
           if r.top_months_at_least > 0 else f"the {r.follower_group} group is at the top")
    return (f"{r.lag_months:.1f} months behind on average over the levels both reached "
            f"(Epoch's horizontal distance), {ci}; {top}")


def _measure(rows: pd.DataFrame) -> pd.Series:
    return rows.get("measure", pd.Series("record match", index=rows.index)).fillna("record match")


def report_lines(lag_rows: pd.DataFrame) -> list[str]:
    """The lags as terminal text: Epoch's level-averaged lag first, then the record-match lag
    with its median, both intervals, what they mean, and how far behind the follower is at the
    top (for `python -m warehouse gaps`)."""
    level = lag_rows[_measure(lag_rows) == LEVEL_AVERAGED]
    lag_rows = lag_rows[_measure(lag_rows) != LEVEL_AVERAGED]
    summary = lag_rows[lag_rows["is_summary"].astype(bool)]
    lines = []
    if len(level):
        lines += ["", "Lag (headline): how many months the follower's frontier is behind the "
                  "leader's, the horizontal distance between them averaged over the levels both "
                  "reached (Epoch AI's method); caught up = scores at least the level.", ""]
        lines += [f"    {r.metric}  {r.follower_group} behind {r.leader_group}: "
                  f"{level_averaged_text(r)}." for r in level.itertuples()]
    if not len(summary):
        return lines
    lines += ["", "Record-match lag (second measure): months until the follower group matched "
              "each record the leader group set; a record is the longest wait of its step, so "
              "this reads longer than the level-averaged lag. Records not matched yet are "
              "censored (at least the months since), not dropped; median = Kaplan-Meier over "
              "records with its 95% confidence interval; 'sensitivity' = how far the median "
              "moves when the models are resampled (bootstrap), not a confidence interval.", ""]
    both = summary.groupby(["metric", "leader_group", "follower_group"])["tolerance_points"]
    headline = both.transform(lambda t: (t > 0).any()) & (summary["leader_group"] != "frontier")
    for (metric, leader, follower), rows in summary[headline].groupby(
            ["metric", "leader_group", "follower_group"], sort=False):
        lines += [f"    {metric}  {follower} behind {leader}"]
        for r in rows.sort_values("tolerance_points").itertuples():
            levels = _levels_of(lag_rows, r)
            lines += [f"      {rule_text(r.tolerance_points, leader, follower)}:",
                      f"        {_median_text(r, levels)}", f"        = {meaning(r, levels)}"]
        lines += _top_lines(lag_rows, metric, leader, follower)
    lines += _compact(lag_rows, summary[~headline & (summary["leader_group"] != "frontier")],
                      "Other series, threshold rule only:")
    lines += _compact(lag_rows, summary[summary["leader_group"] == "frontier"],
                      "Each organisation behind the overall frontier (threshold rule). Kaplan-Meier "
                      "assumes a waiting record will be matched like earlier ones were: "
                      "optimistic for an organisation that has stopped releasing.")
    return lines


def _compact(lag_rows: pd.DataFrame, summary: pd.DataFrame, title: str) -> list[str]:
    """One line per pair: for the secondary tables (organisations, per-benchmark lags)."""
    if not len(summary):
        return []
    return ["", f"    {title}"] + [
        f"      {r.metric}  {r.follower_group} behind {r.leader_group}: "
        f"{_median_text(r, _levels_of(lag_rows, r))}" for r in summary.itertuples()]


def _levels_of(lag_rows: pd.DataFrame, r) -> pd.DataFrame:
    return lag_rows[~lag_rows["is_summary"].astype(bool) & (lag_rows["metric"] == r.metric)
                    & (lag_rows["leader_group"] == r.leader_group)
                    & (lag_rows["follower_group"] == r.follower_group)
                    & (lag_rows["tolerance_points"] == r.tolerance_points)]


def rule_text(tolerance: float, leader: str, follower: str) -> str:
    if tolerance == 0:
        return (f"threshold rule (caught up when a model of the {follower} group scores at least "
                f"the {leader} group's record)")
    return (f"near tie within {tolerance:g} point (caught up when a model of the {follower} "
            f"group scores within {tolerance:g} point of the record; a fixed tolerance, not "
            f"Epoch's 'not significantly better')")


def _median_text(r, levels: pd.DataFrame) -> str:
    n, waiting = len(levels), int(levels["censored"].astype(bool).sum())
    counts = f"{n} record{'s' if n != 1 else ''}, {waiting} not matched yet"
    if bool(r.censored):
        return (f"median: at least {r.lag_months:.1f} months (more than half of the records are "
                f"not matched yet); sensitivity {_interval(r.sensitivity_low_months, r.sensitivity_high_months)}; {counts}")
    ci = "— (too few records)" if pd.isna(r.ci_low) else _interval(r.ci_low, r.ci_high)
    return (f"median {r.lag_months:.1f} months, 95% CI {ci}; "
            f"sensitivity {_interval(r.sensitivity_low_months, r.sensitivity_high_months)}; {counts}")


def _interval(low, high) -> str:
    show = (lambda v: "no upper limit" if pd.isna(v) else f"{v:.1f}")
    return "—" if pd.isna(low) else f"[{low:.1f}, {show(high)}]"


def meaning(r, levels: pd.DataFrame) -> str:
    since = pd.Timestamp(levels["leader_date"].min())
    if bool(r.censored):
        return (f"of the {r.leader_group} records since {since:%Y-%m}, fewer than half have been "
                f"matched: the median wait is at least {r.lag_months:.1f} months (counting each "
                "waiting record at the months it has waited so far) and still growing.")
    waiting = int(levels["censored"].astype(bool).sum())
    said = (f"half of the {r.leader_group} group's records since {since:%Y-%m} get matched by "
            f"the {r.follower_group} group within {r.lag_months:.1f} months (Kaplan-Meier: the "
            f"{waiting} still waiting count as waiting, not as matched)")
    if pd.isna(r.ci_low):
        return said + "; too few records for a confidence interval."
    ceiling = (f"at least {r.ci_low:.1f} months, with no upper limit yet (too many records "
               "still waiting)" if pd.isna(r.ci_high)
               else f"between {r.ci_low:.1f} and {r.ci_high:.1f} months")
    return said + (f"; treating records as independent events, the median wait is {ceiling} "
                   "(95% confidence).")


def top_bound(levels: pd.DataFrame) -> dict | None:
    """How far behind the follower is at the top: it has not matched the lowest censored
    record, which the leader set on `since`, so it is at least `months` behind (None if none)."""
    waiting = levels[levels["censored"].astype(bool)].sort_values("level")
    if not len(waiting):
        return None
    first = waiting.iloc[0]
    return {"months": float(first["lag_months"]), "since": pd.Timestamp(first["leader_date"]),
            "level_low": float(first["level"]), "level_high": float(waiting["level"].max())}


def _top_lines(lag_rows: pd.DataFrame, metric: str, leader: str, follower: str) -> list[str]:
    rows = lag_rows[~lag_rows["is_summary"].astype(bool) & (lag_rows["metric"] == metric)
                    & (lag_rows["leader_group"] == leader)
                    & (lag_rows["follower_group"] == follower)]
    bounds = {t: top_bound(g) for t, g in rows.groupby("tolerance_points")}
    threshold = bounds.get(0.0)
    if threshold is None:
        return [f"      at the top: the {follower} group has matched every {leader} record."]
    end = threshold["since"] + pd.Timedelta(days=round(threshold["months"] * DAYS_PER_MONTH))
    text = (f"      at the top: by {end:%Y-%m-%d} (the last release in the data) the {follower} "
            f"group has not reached the {leader} records of {threshold['level_low']:.4g} to "
            f"{threshold['level_high']:.4g} points; the {leader} group passed "
            f"{threshold['level_low']:.4g} on {threshold['since']:%Y-%m-%d}, so the {follower} "
            f"group is at least {threshold['months']:.1f} months behind")
    others = [f"at least {b['months']:.1f} months within {t:g} point" for t, b in bounds.items()
              if t != 0 and b is not None]
    return [text + (f" ({'; '.join(others)})" if others else "") + "."]


def median_help(r) -> str:
    """One summary row's two intervals, for a tooltip."""
    if bool(r.censored):
        first = f"The median is not reached yet: at least {r.lag_months:.1f} months."
    else:
        first = (f"95% confidence interval {_interval(r.ci_low, r.ci_high)} months "
                 "(Kaplan–Meier over the leader's records; records not matched yet are censored).")
    return (f"{first} Sensitivity {_interval(r.sensitivity_low_months, r.sensitivity_high_months)}"
            " months: how far the median moves when the models are resampled, not a confidence "
            "interval.")


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Summary rows as a readable table: who behind whom, rule, median, both intervals."""
    return pd.DataFrame({
        "Follower": summary["follower_group"].str.replace(r",(?=\S)", ", ", regex=True), "Leader": summary["leader_group"],
        "Caught up when": ["scores at least the record" if t == 0 else f"within {t:g} point"
                           for t in summary["tolerance_points"]],
        "Median lag (months)": [("at least " if c else "") + f"{v:.1f}"
                                for v, c in zip(summary["lag_months"], summary["censored"])],
        "95% confidence interval": [_interval(lo, hi) for lo, hi in
                                    zip(summary["ci_low"], summary["ci_high"])],
        "Sensitivity (models resampled)": [
            _interval(lo, hi) for lo, hi in zip(summary["sensitivity_low_months"],
                                                summary["sensitivity_high_months"])],
    })


