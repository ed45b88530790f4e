"""Closed vs open prices that compare like with like (pure; no database).

The catalogue median ratio (`verdicts.price_series`) moves whenever the *mix* of listed models
changes: a wave of cheap small open models lowers the open median without any model getting
cheaper. Two series that do not have that problem, both from OpenRouter's price history (the
shipped one, then what the price and public collectors observe), on the blended price
(3 input : 1 output tokens, as Artificial Analysis blends):

* **Price of a fixed capability** (the way Epoch AI tracks the cost of a capability level):
  each month, the cheapest closed and the cheapest open model whose Epoch Capabilities Index is
  at least `level`, from the price in force on the month's first day. A model counts only from
  its release (OpenRouter ids are sometimes re-pointed to newer models). The level is the
  highest multiple of 5 that both groups reach in the first month of price data, so both
  sides exist through the whole period; it is part of the metric name.
* **Fixed panel**: only offerings listed in every month of the period; per month, the mean
  log10 price of the closed panel minus that of the open panel (a ratio of geometric means).
  Nothing enters or leaves, so the series moves only when these offerings' prices move.

Both are log10(dearer group / cheaper group): positive when the leader (the group cheaper over
the whole history) is cheaper, `widening` when its price advantage grows.
"""

import numpy as np
import pandas as pd

from warehouse.analysis import gaps

SQL = {
    "price_offers": """
        SELECT p.model_id, p.source_name, p.effective_from, p.effective_to,
               CAST(p.last_seen_utc AS DATE) AS last_seen, p.usd_per_mtok_in, p.usd_per_mtok_out,
               p.source, m.open_weights
        FROM prices p JOIN models m USING (model_id)
        WHERE p.source IN ('public:openrouter_price_changes', 'openrouter')
          AND p.source_name NOT LIKE '%:free'
          AND p.usd_per_mtok_out > 0 AND p.usd_per_mtok_in > 0 AND m.open_weights IS NOT NULL""",
    # one row per version and release: a model's ECI counts from its own release only
    "eci_levels": """SELECT model_id, max(value) AS eci, measured_at_utc AS released
                     FROM capability_scores WHERE pack = 'epoch:eci'
                     GROUP BY model_id, measured_at_utc""",
}
LEVEL_STEP = 5
FIXED_LEVEL = "price:cheapest_usd_per_mtok_blended@eci"
PANEL = "price:panel_usd_per_mtok_blended"


def monthly(offers: pd.DataFrame) -> pd.DataFrame:
    """Blended price in force on each month's first day, per offering."""
    if offers.empty:
        return offers.assign(measured_at_utc=pd.Series(dtype="datetime64[ns]"), value=np.nan)
    offers = offers.assign(**{c: pd.to_datetime(offers[c])
                              for c in ("effective_from", "effective_to", "last_seen")})
    out = gaps.in_force_at(offers, "MS")
    return out.assign(value=(3 * out["usd_per_mtok_in"] + out["usd_per_mtok_out"]) / 4,
                      group=out["open_weights"].map({True: "open", False: "closed"}))


def capable(prices: pd.DataFrame, eci: pd.DataFrame) -> pd.DataFrame:
    """Monthly prices of models with an ECI, from their release on."""
    released = pd.to_datetime(eci["released"], utc=True).dt.tz_localize(None)
    out = prices.merge(eci.assign(released=released), on="model_id")
    return out[out["measured_at_utc"] >= out["released"]]


def fixed_level(priced: pd.DataFrame) -> float | None:
    """Highest multiple of LEVEL_STEP both groups reach in the first month (None: no level)."""
    first = priced[priced["measured_at_utc"] == priced["measured_at_utc"].min()]
    best = first.groupby("group")["eci"].max()
    if not {"open", "closed"} <= set(best.index):
        return None
    return float(np.floor(best.min() / LEVEL_STEP) * LEVEL_STEP)


def cheapest_at_level(priced: pd.DataFrame, level: float) -> pd.DataFrame:
    """Per month and group: the cheapest model at or above `level`, its price and its ECI."""
    able = priced[priced["eci"] >= level].sort_values("value", kind="stable")
    return (able.groupby(["measured_at_utc", "group"], as_index=False)
            .agg(value=("value", "first"), model_id=("model_id", "first"), eci=("eci", "first"),
                 n_models=("model_id", "nunique")))


def series(offers: pd.DataFrame, eci: pd.DataFrame) -> pd.DataFrame:
    """The fixed-capability and fixed-panel gap series (GAP_COLUMNS)."""
    prices = monthly(offers)
    parts = [panel_gap(prices)]
    priced = capable(prices, eci) if len(prices) else prices
    level = fixed_level(priced) if len(priced) else None
    if level is not None:
        parts.append(_ratio(cheapest_at_level(priced, level), f"{FIXED_LEVEL}{level:g}",
                            "log10_cheapest_ratio", offers))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=gaps.GAP_COLUMNS)


def panel_gap(prices: pd.DataFrame) -> pd.DataFrame:
    """Mean log10 blended price, closed panel minus open panel, per month."""
    if prices.empty:
        return pd.DataFrame(columns=gaps.GAP_COLUMNS)
    months = prices["measured_at_utc"].nunique()
    listed = prices.groupby("source_name")["measured_at_utc"].nunique()
    panel = prices[prices["source_name"].isin(listed.index[listed == months])]
    per_group = (panel.assign(log_price=np.log10(panel["value"]))
                 .groupby(["measured_at_utc", "group"], as_index=False)
                 .agg(log_price=("log_price", "mean"), n_models=("source_name", "nunique")))
    per_group = per_group.assign(value=10 ** per_group["log_price"])
    return _ratio(per_group, PANEL, "log10_geomean_ratio", prices)


def _ratio(per_group: pd.DataFrame, metric: str, kind: str, rows: pd.DataFrame) -> pd.DataFrame:
    """log10(dearer / cheaper) per month; the cheaper group over the whole history leads."""
    wide = per_group.pivot_table(index="measured_at_utc", columns="group", values="value")
    count = per_group.pivot_table(index="measured_at_utc", columns="group", values="n_models",
                                  aggfunc="sum")
    if not {"open", "closed"} <= set(wide.columns):
        return pd.DataFrame(columns=gaps.GAP_COLUMNS)
    a, b = ("open", "closed") if wide["open"].median() < wide["closed"].median() else ("closed", "open")
    wide = wide.dropna(subset=[a, b])
    out = pd.DataFrame({"bucket_start": wide.index, "leader_value": wide[a].to_numpy(),
                        "follower_value": wide[b].to_numpy(),
                        "n_models": count.loc[wide.index, [a, b]].sum(axis=1).to_numpy()})
    return out.assign(metric=metric, gap_kind=kind, group_a=a, group_b=b,
                      source=rows["source"].iloc[0] if "source" in rows else "public",
                      value=np.log10(out["follower_value"] / out["leader_value"]))[gaps.GAP_COLUMNS]


def unit(metric: str) -> str | None:
    return None  # log10 ratios: `verdicts.unit_for` names them from the gap kind
