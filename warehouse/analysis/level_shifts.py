"""Steps nobody announced: found here, fitted with the trend by the verdict (`slope_test`).

A listing change, a new rating method or a new machine is recorded where it happens
(`warehouse.analysis.arena`, `method_changes`). Some steps have no such record: a source re-estimates
its scores, a scraper starts reading another column, a model is silently replaced. A trend
test reads such a step as a slope (a 6-sd step in a series without any trend was called
`widening` in 56% of simulated 60-month series), so the warehouse looks for one itself.

The test, on the same monthly points the verdict uses (`trends.monthly`):

* For each month j with at least `MIN_SIDE` months on both sides, the GLS regression of the
  gap on (1, time, step at j) with continuous-time AR(1) errors gives the step's t statistic.
  Why with a time term: a straight trend must not look like a step halfway along it.
* Like the verdict (`trends`), it is judged at every φ from the REML estimate up to φ's
  one-sided 95% upper limit and the *smallest* |t| counts; then the largest over j.
* A shift is declared when that exceeds `SHIFT_T` (chosen by simulation: on the validity
  cells of `bench/validity.py`, series without a step, it fires in at most about 1-2% of
  series; see `python -m bench.validity --shifts`) and the step is at least the unit's
  minimum effect (`trends.MIN_EFFECTS`): a smaller step is not worth a break.

One step per stretch between recorded breaks. It is not a split (issue 24): a frontier gap
moves in steps by construction, and splitting at the strongest one threw the trend away (a true
trend was found in 3-8% of series, against 29-49% for trend and step fitted together). The step
is a column of the verdict's GLS, stored on the verdict row (`step_at`, `step_size`) and in
`method_changes` with kind `level shift`, labelled as a fitted step, so charts still mark it.
"""

import numpy as np
import pandas as pd

from warehouse.analysis import trends

MIN_SIDE = 3  # months with data on each side of a shift
SHIFT_T = 4.5  # |t| of the step, at the worst plausible φ, above which a step is a shift
KIND = "level shift"
PHI_GRID = np.round(np.arange(0.0, 0.995, 0.01), 2)
PHI_UPPER_LEVEL = 0.95  # a step is judged at every φ up to this one-sided upper limit


def _whiten(v: np.ndarray, r: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Continuous-time AR(1) whitening of the columns of v (n × m) at every φ: (P, n, m)."""
    out = np.empty(r.shape[:1] + v.shape)
    out[:, 0] = v[0]
    out[:, 1:] = (v[None, 1:] - r[..., None] * v[None, :-1]) / s[..., None]
    return out


def step_fits(t: np.ndarray, y: np.ndarray, phis: np.ndarray = PHI_GRID) -> dict:
    """t statistic, size and REML log-likelihood of a step at each candidate month, per φ:
    arrays (P, J) for P values of φ and J candidate months.

    Frisch–Waugh: the step column and y are both freed of (1, time) in whitened space, so
    the step's coefficient, its standard error and the likelihood come without a 3×3 solve
    per (φ, month); log det(X'X) splits into the (1, time) block and the freed step.
    """
    n = len(t)
    cuts = np.arange(MIN_SIDE, n - MIN_SIDE + 1)
    steps = (np.arange(n)[:, None] >= cuts[None, :]).astype(float)
    r = np.asarray(phis, dtype=float)[:, None] ** np.diff(t)[None, :]
    s = np.sqrt(1 - r ** 2)
    q, upper = np.linalg.qr(_whiten(np.c_[np.ones(n), (t - t.mean()) / 12], r, s))
    free = lambda v: v - q @ (np.swapaxes(q, 1, 2) @ v)
    wy, ws = free(_whiten(y[:, None], r, s))[..., 0], free(_whiten(steps, r, s))
    sxx = (ws ** 2).sum(axis=1)
    size = np.einsum("pnj,pn->pj", ws, wy) / sxx
    s2 = np.maximum((wy ** 2).sum(axis=1)[:, None] - size ** 2 * sxx, 1e-300) / (n - 3)
    logdet = 2 * np.log(np.abs(np.diagonal(upper, axis1=1, axis2=2))).sum(axis=1)
    loglik = -0.5 * ((n - 3) * np.log(s2) + 2 * np.log(s).sum(axis=1)[:, None]
                     + logdet[:, None] + np.log(sxx))
    return {"t": size / np.sqrt(s2 / sxx), "size": size, "loglik": loglik}


def find(t: np.ndarray, y: np.ndarray, min_effect: float = 0.0) -> dict | None:
    """The strongest step in monthly points (t in months, y) if it is a shift, else None:
    {"index": first month after the step (position in t), "size", "t"}.

    Each candidate month is judged under its own model (with the step), at every φ from its
    REML estimate up to its one-sided 95% upper limit: the smallest |t| counts. Why its own
    φ: without the step in the model a real step looks like persistence (φ near 1), and at
    φ near 1 a step is one large difference among many.
    """
    if len(y) < max(2 * MIN_SIDE + 2, trends.MIN_POINTS) or np.ptp(y) == 0:
        return None
    fits = step_fits(t, y)
    best = fits["loglik"].argmax(axis=0)
    bound = trends.stats.chi2.ppf(1 - 2 * (1 - PHI_UPPER_LEVEL), 1)
    rows = np.arange(len(PHI_GRID))[:, None]
    tested = (rows >= best) & (2 * (fits["loglik"].max(axis=0) - fits["loglik"]) <= bound)
    worst = np.where(tested, np.abs(fits["t"]), np.inf).min(axis=0)
    j = int(np.argmax(worst))
    if worst[j] <= SHIFT_T or abs(fits["size"][best[j], j]) < min_effect:
        return None
    return {"index": MIN_SIDE + j, "size": float(fits["size"][best[j], j]), "t": float(worst[j])}


def minimum_step(unit: str, overrides: dict | None = None) -> float:
    """The smallest step worth a break: the unit's minimum effect (0 when none is declared)."""
    if overrides and unit in overrides:
        return float(overrides[unit])
    effect = trends.min_effect_for(unit)
    return effect.value if effect else 0.0


def shift_date(dates: pd.Series, months: np.ndarray, index: int) -> pd.Timestamp:
    """The first point's date in the month the shift begins."""
    days = pd.to_datetime(dates)
    first = days.min().to_period("M")
    month = (first + int(months[index])).to_timestamp()
    return days[days >= month].min()


def steps(group: pd.DataFrame, min_effect: float = 0.0) -> list[dict]:
    """The step found in each stretch between recorded breaks of one series (rows with
    `segment_start`): [{"changed_at_utc", "shift"}]. The series is not split: the verdicts fit
    each step with the trend (`slope_test`)."""
    group = group.dropna(subset=["value"]).sort_values("bucket_start", kind="stable")
    days = pd.to_datetime(group["bucket_start"])
    starts = pd.to_datetime(group["segment_start"]).fillna(days.min())
    found = []
    for start in starts.unique():
        inside = (starts == start).to_numpy()
        t, y, _ = trends.monthly(days[inside], group["value"][inside])
        shift = find(t, y, min_effect)
        if shift:
            found.append({"changed_at_utc": shift_date(days[inside], t, shift["index"]),
                          "shift": shift})
    return found


def find_all(series: pd.DataFrame, units: dict, label,
             min_effects: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """Every series' steps in each stretch between recorded breaks: ({series key: [dates]},
    the steps as break rows of kind `level shift`). `label(key, shift)` words a break row;
    `min_effects` maps a unit to a minimum step overriding `trends.MIN_EFFECTS`."""
    found, rows = {}, []
    for key, group in series.groupby(trends.SERIES_KEY, sort=False, dropna=False):
        shifts = steps(group, minimum_step(units.get((key[0], key[1]), ""), min_effects))
        found[key] = [pd.Timestamp(s["changed_at_utc"]) for s in shifts]
        rows += [{"changed_at_utc": pd.Timestamp(s["changed_at_utc"]).tz_localize("UTC"),
                  "scope": key[0], "kind": KIND, "label": label(key, s["shift"])} for s in shifts]
    return found, pd.DataFrame(rows, columns=["changed_at_utc", "scope", "kind", "label"])
