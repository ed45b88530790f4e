"""The country pair of the lags: Chinese models behind American ones, by Epoch's country label.

Epoch labels each model with the country of its developer (`models.country`). A model labelled
with several countries ("United States of America,China": a joint or multinational developer)
belongs to neither side: counting it as both would let one release set the leader's frontier
and the follower's at once, and picking one of its countries would be a guess Epoch did not
make. Unlabelled models are left out for the same reason. The pair is built like every other
(`verdicts.pairs`), so its level-averaged lag, lag over time and verdict come from the same code;
`record_match` adds the second measure, as `verdicts.eci_lags` does for open vs closed.
"""

import pandas as pd

from warehouse.analysis import lags

LEADER, FOLLOWER = "United States of America", "China"


def pair(eci: pd.DataFrame, min_models: int) -> list[tuple[pd.DataFrame, pd.Series, str, str]]:
    """[(scores, group labels, leader, follower)] for China behind the US when each side has
    `min_models` models labelled with that one country; [] otherwise (or with no labels)."""
    if "country" not in eci:
        return []
    country = eci["country"].where(eci["country"].isin([LEADER, FOLLOWER]))
    counts = country.value_counts()
    if min(counts.get(LEADER, 0), counts.get(FOLLOWER, 0)) < min_models:
        return []
    labelled = country.notna()
    return [(eci[labelled].reset_index(drop=True), country[labelled].reset_index(drop=True),
             LEADER, FOLLOWER)]


def record_match(eci: pd.DataFrame, min_models: int) -> pd.DataFrame:
    """The record-match lag rows (`lags.group_lags`) of the pair, if it has one."""
    found = pair(eci, min_models)
    return lags.group_lags(*found[0]) if found else pd.DataFrame(columns=lags.LAG_COLUMNS)
