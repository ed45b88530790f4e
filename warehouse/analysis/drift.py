"""Is the model behind a name still the one measured? One drift check, item by item (pure).

A drift run asks every model the same canary items (collectors/drift.py). A check pairs this
run's answers with the baseline run's, item by item, and weighs two kinds of evidence:

* **Decisive by itself**, because an unchanged model cannot produce it: the server reports
  another model (llama.cpp's file hash, size, parameters, vocabulary, quantisation, context or
  build; an API's `system_fingerprint` set or served model name disjoint from the baseline's;
  a model-version header with another value), or the tokenizer counts differently (the fixed
  probe text, or the prompt tokens the API reports for the same item).
* **Paired tests**, whose false-alarm rate is bounded: exact McNemar on full marks (statsmodels),
  Wilcoxon signed-rank on the item scores and on the output lengths (scipy), and a one-sided
  exact binomial test of the number of changed answers against the model's own answer noise.
  That noise is the one-sided 95% upper Clopper–Pearson limit of the share of answers that
  changed in the model's earlier `same model` checks; before it has one, the answer test is not
  run (an API may change wording at temperature 0 without changing model). Once the baseline
  has 5 such checks, items whose baseline answer never came back are left out of it
  (`answer_noise`). The tests are
  combined by Bonferroni: `p_value` is the smallest p times the number of tests run, and
  `changed` needs `p_value < ALPHA`.

Verdicts: `changed` (decisive evidence, or `p_value < ALPHA`), `same model`, or `not enough
data` (no baseline yet, or fewer than `MIN_ITEMS` items answered in both runs). The evidence
is a sentence a person can check.
"""

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05
MIN_ITEMS = 10
STABLE_CHECKS = 5  # `same model` checks against a baseline before its one-off answers are known
NOISE_CONFIDENCE = 0.95  # one-sided upper limit of the answer noise
SAME, CHANGED, NOT_ENOUGH = "same model", "changed", "not enough data"
VERDICTS = (SAME, CHANGED, NOT_ENOUGH)
ITEM_COLUMNS = ["item_id", "answer_sha256", "score", "input_tokens", "output_tokens",
                "error_class", "served_model", "system_fingerprint"]
TEST_WORDS = {"p_mcnemar": "McNemar", "p_scores": "scores", "p_output_length": "answer length",
              "p_answers": "changed answers"}
# What a llama.cpp server reports (collectors.local_models.served_identity), in words.
IDENTITY_WORDS = {"file_sha256": "model file", "file_bytes": "model file size",
                  "parameters": "parameters", "vocabulary": "vocabulary",
                  "context_trained": "trained context", "embedding": "embedding width",
                  "quantisation": "quantisation", "context": "context", "slots": "parallel slots",
                  "build": "server build"}


def compare(now: pd.DataFrame, base: pd.DataFrame | None, *, probe: int | None = None,
            base_probe: int | None = None, identity: dict | None = None,
            base_identity: dict | None = None, headers: dict | None = None,
            base_headers: dict | None = None, noise: tuple[int, int] = (0, 0),
            history: pd.DataFrame | None = None) -> dict:
    """The check of one model: this run's items (`now`) against the baseline's (`base`, None
    when there is none yet); `noise` = (answers changed, answers compared) in the model's
    earlier `same model` checks; `history`: per item, in the `same model` checks against this
    baseline, `checks` and how many `differed` (see `answer_noise`). Returns the
    `drift_check_row` columns the analysis fills."""
    now = _answered(now)
    row = {"n_correct": int((now["score"] >= 1).sum()),
           "output_tokens_median": _median(now["output_tokens"]), "probe_tokens": probe}
    if base is None:
        return row | {"n_items": len(now), "verdict": NOT_ENOUGH,
                      "evidence": f"first run on this canary set ({len(now)} items answered): "
                                  "it is the baseline later runs are compared with"}
    base = _answered(base)
    pairs = now.merge(base, on="item_id", suffixes=("", "_base"))
    decisive = [*identity_changes(identity or {}, base_identity or {}),
                *reported_changes(now, base, headers or {}, base_headers or {}),
                *token_changes(pairs, probe, base_probe)]
    noise, one_offs = answer_noise(noise, history)
    tests = paired_tests(pairs, noise, one_offs)
    p_value = min(1.0, min(tests.values()) * len(tests)) if tests else None
    verdict = (CHANGED if decisive or (p_value is not None and p_value < ALPHA) else
               NOT_ENOUGH if len(pairs) < MIN_ITEMS else SAME)
    row |= {"n_items": len(pairs), "n_changed_answers": _changed(pairs),
            "n_correct_baseline": int((pairs["score_base"] >= 1).sum()),
            "n_correct": int((pairs["score"] >= 1).sum()),
            "output_tokens_median_baseline": _median(base["output_tokens"]),
            "probe_tokens_baseline": base_probe, "p_value": p_value,
            **{f"p_{name}": p for name, p in tests.items()}, "verdict": verdict}
    return row | {"evidence": evidence(row, decisive, noise, one_offs)}


def _answered(items: pd.DataFrame) -> pd.DataFrame:
    items = items.reindex(columns=ITEM_COLUMNS)
    return items[items["error_class"].isna()].reset_index(drop=True)


def _median(values: pd.Series) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.median()) if len(values) else None


def _changed(pairs: pd.DataFrame) -> int:
    return int((pairs["answer_sha256"] != pairs["answer_sha256_base"]).sum())


def identity_changes(identity: dict, base: dict) -> list[str]:
    """What the server reports differently (keys reported both times only)."""
    return [f"{IDENTITY_WORDS.get(key, key)} {_shown(key, base[key])} → {_shown(key, identity[key])}"
            for key in IDENTITY_WORDS if key in identity and key in base
            and identity[key] != base[key]]


def _shown(key: str, value) -> str:
    if key == "file_sha256":
        return str(value)[:12]
    if key == "file_bytes":
        return f"{value / 1e6:,.0f} MB"
    if key == "parameters":
        return f"{value / 1e6:,.0f} M"
    if key in ("vocabulary", "context", "context_trained"):
        return f"{value:,} tokens"
    return str(value)


def reported_changes(now: pd.DataFrame, base: pd.DataFrame, headers: dict,
                     base_headers: dict) -> list[str]:
    """An API's own word: fingerprints or served names with nothing in common, a header's value."""
    out = []
    for column, words in (("system_fingerprint", "system fingerprint"),
                          ("served_model", "served model")):
        seen, before = set(now[column].dropna()), set(base[column].dropna())
        if seen and before and not seen & before:
            out.append(f"{words} {', '.join(sorted(before))} → {', '.join(sorted(seen))}")
    out += [f"header {name} {base_headers[name]} → {value}" for name, value in sorted(headers.items())
            if name in base_headers and base_headers[name] != value]
    return out


def token_changes(pairs: pd.DataFrame, probe: int | None, base_probe: int | None) -> list[str]:
    """The same text counted as a different number of tokens: another tokenizer or template."""
    out = []
    if probe is not None and base_probe is not None and probe != base_probe:
        out.append(f"probe text {base_probe} → {probe} tokens")
    both = pairs.dropna(subset=["input_tokens", "input_tokens_base"])
    moved = both[both["input_tokens"] != both["input_tokens_base"]]
    if len(moved):
        out.append(f"prompt tokens differ on {len(moved)} of {len(both)} items "
                   f"(median {both['input_tokens_base'].median():.0f} → "
                   f"{both['input_tokens'].median():.0f})")
    return out


def answer_noise(pooled: tuple[int, int],
                 history: pd.DataFrame | None) -> tuple[tuple[int, int], set]:
    """The answer noise to test against, and the items the test leaves out.

    Once the baseline has `STABLE_CHECKS` `same model` checks, an item that differed in every
    one of them is a baseline answer that never came back (an API reworded it once): it will
    differ whatever the model, so it only adds noise; it is left out, and the noise is that of
    the other items against this baseline. Before that, the model's pooled noise (`pooled`).
    Why: counting those items made the null count look more variable than it is. On simulated
    APIs that reword 10%, 25% or 50% of their answers each run, leaving them out raised the
    power to see a quarter more of the answers move from 0.38, 0.24 and 0.11 to 0.72, 0.34 and
    0.25, with false alarms still under 1% (bench/drift.py, 500 checks each)."""
    if history is None or not len(history) or history["checks"].max() < STABLE_CHECKS:
        return pooled, set()
    one_offs = set(history.loc[(history["checks"] >= STABLE_CHECKS)
                               & (history["differed"] == history["checks"]), "item_id"])
    rest = history[~history["item_id"].isin(one_offs)]
    return (int(rest["differed"].sum()), int(rest["checks"].sum())), one_offs


def paired_tests(pairs: pd.DataFrame, noise: tuple[int, int],
                 one_offs: set = frozenset()) -> dict[str, float]:
    """p-values of the paired tests that can run on these pairs (none under MIN_ITEMS); the
    answer test leaves out `one_offs` (`answer_noise`)."""
    if len(pairs) < MIN_ITEMS:
        return {}
    correct, correct_base = pairs["score"] >= 1, pairs["score_base"] >= 1
    table = [[int((correct & correct_base).sum()), int((~correct & correct_base).sum())],
             [int((correct & ~correct_base).sum()), int((~correct & ~correct_base).sum())]]
    tests = {"mcnemar": 1.0 if table[0][1] + table[1][0] == 0 else
             float(mcnemar(table, exact=True).pvalue),
             "scores": _wilcoxon(pairs["score"], pairs["score_base"]),
             "output_length": _wilcoxon(pairs["output_tokens"], pairs["output_tokens_base"])}
    tested = pairs[~pairs["item_id"].isin(one_offs)]
    if noise[1] > 0 and len(tested):
        tests["answers"] = float(stats.binomtest(_changed(tested), len(tested), noise_limit(*noise),
                                                 alternative="greater").pvalue)
    return tests


def noise_limit(changed: int, compared: int) -> float:
    """One-sided upper confidence limit of the share of answers an unchanged model changes."""
    return float(proportion_confint(changed, compared, alpha=2 * (1 - NOISE_CONFIDENCE),
                                    method="beta")[1])


def _wilcoxon(x: pd.Series, y: pd.Series) -> float:
    """Two-sided Wilcoxon signed-rank p of x − y; 1 when no pair differs."""
    both = pd.DataFrame({"x": pd.to_numeric(x), "y": pd.to_numeric(y)}).dropna()
    diff = (both["x"] - both["y"]).to_numpy()
    if not np.any(diff != 0):
        return 1.0
    return float(stats.wilcoxon(diff, zero_method="wilcox").pvalue)


def evidence(row: dict, decisive: list[str], noise: tuple[int, int],
             one_offs: set = frozenset()) -> str:
    """One sentence: what differs, with counts and p-values a person can check."""
    n, changed = row["n_items"], row["n_changed_answers"]
    parts = [f"{changed} of {n} answers differ ({changed / n:.0%})" if n else "no item answered in both runs",
             f"full marks {row['n_correct_baseline']} → {row['n_correct']}"]
    before, after = row.get("output_tokens_median_baseline"), row.get("output_tokens_median")
    if before is not None and after is not None and round(before) != round(after):
        parts.append(f"median answer {before:.0f} → {after:.0f} tokens")
    parts += decisive
    if row.get("p_value") is not None:
        tested = ", ".join(f"{words} {_p(row[name])}" for name, words in TEST_WORDS.items()
                           if row.get(name) is not None)
        parts.append(f"{_p(row['p_value'])} (Bonferroni over {tested})")
    if noise[1] and row.get("p_answers") is not None:
        parts.append(f"answer noise so far {noise[0]} of {noise[1]}" + (
            f", leaving out {len(one_offs)} baseline answers that never came back" if one_offs else ""))
    elif row.get("p_value") is not None:
        parts.append("answer changes are tested from the second check on")
    if n < MIN_ITEMS and not decisive:
        parts.append(f"fewer than {MIN_ITEMS} items answered in both runs")
    return "; ".join(parts)


def _p(p: float) -> str:
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.2f}"
