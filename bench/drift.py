"""How often the drift sentinel cries wolf, and how often it catches one.

    nice -n 10 python -m bench.drift [--runs 21] [--db PATH] [--models local/...]
    nice -n 10 python -m bench.drift --simulate-only
    python -m bench.drift --report DB [DB ...]   # the tables from warehouses bench runs wrote

1. **False alarms, real.** Each local model is served by llama.cpp (bench/llama_server.py, one
   thread) under an OpenAI-compatible name, and checked `--runs` times in a row through the
   collector (`drift.collect`: the full canary set, as scheduled): the first run is the
   baseline, every later one a check of an unchanged model. Counted per check: flagged
   `changed`, each paired test below 0.05 on its own, answers that moved, identity or tokenizer
   evidence. Target: at most 5% of checks flagged.
2. **Settings changes, real.** The same server then restarted with an 8-bit KV cache (the
   server does not report it: only the answers can tell), then with a 4096-token context (it
   does report that). One run each.
3. **Swaps, replayed.** Every ordered pair of models: model B's stored answers (and what its
   server reported) checked against model A's baseline through `analysis.compare`, as if B had
   been put behind A's name; once with all evidence, once with only answers and scores (an API
   that reports nothing and shares the tokenizer).
4. **Size on simulated APIs** whose answers wander at temperature 0 (a share of the items
   reworded each run, an eighth of those flipping right/wrong both ways) but whose model never
   changes, 500 checks each through `analysis.compare` with the noise learned as in production;
   and the power to see a quarter more of the answers move after that history, beside an
   oracle that knows the rewording rate (one exact binomial test at 0.05).
"""

import argparse
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from bench.llama_server import free_port, serving
from collectors import drift, drift_canary, local_models
from collectors.runner import Run
from core.config import ModelConfig
from warehouse.analysis import drift as analysis
from warehouse.bootstrap import ensure_ready
from warehouse.storage import db as warehouse_db
from warehouse.storage import drift_store

TESTS = ("p_mcnemar", "p_scores", "p_output_length", "p_answers")


def bench_model(model_id: str, port: int) -> ModelConfig:
    short = model_id.split("/", 1)[1]
    return ModelConfig(id=f"bench/{short}", provider="openai-compatible", model=short,
                       base_url=f"http://127.0.0.1:{port}/v1", organization="bench",
                       open_weights=True)


def one_run(db: Path, model: ModelConfig) -> tuple[dict, str, float]:
    started = time.monotonic()
    with Run("drift", db_path=db) as run:
        row = drift.collect(run, [model], progress=False)[0]
    return row, run.run_id, time.monotonic() - started


def real_runs(db: Path, model_id: str, runs: int, log: Path) -> dict:
    """Part 1 and 2 for one model: its checks while unchanged, then the two settings changes."""
    port = free_port()
    model = bench_model(model_id, port)
    out = {"model": model, "checks": [], "runs": [], "seconds": []}
    with serving(model_id, model.api_model, port, log=log):
        for _ in range(runs):
            row, run_id, took = one_run(db, model)
            out["checks"].append(row)
            out["runs"].append(run_id)
            out["seconds"].append(took)
            print(f"  {model_id}: {row['verdict']}: {row['evidence'][:110]}", flush=True)
    for name, settings in (("KV cache q8_0", {"cache_type": "q8_0"}), ("context 4096", {"n_ctx": 4096})):
        with serving(model_id, model.api_model, port, log=log, **settings):
            row, _, _ = one_run(db, model)
        out[name] = row
        print(f"  {model_id}, {name}: {row['verdict']}: {row['evidence'][:160]}", flush=True)
    return out


def results_from(dbs: list[Path], runs: int) -> list[dict]:
    """What `real_runs` found, read back from the warehouses it wrote (so runs made by several
    bench processes, one per model, are reported together): per model, its first `runs`
    checks, then the KV-cache and context runs."""
    results = []
    for path in dbs:
        with warehouse_db.reading(path) as con:
            checks = con.execute("""SELECT c.*, epoch(r.finished_at_utc - r.started_at_utc) AS took_s
                                    FROM drift_checks c JOIN runs r USING (run_id)
                                    WHERE c.model_id LIKE 'bench/%'
                                    ORDER BY c.model_id, c.checked_at_utc""").df()
        for model_id, rows in checks.groupby("model_id", sort=True):
            rows = rows.to_dict("records")
            if len(rows) < runs + 2:
                print(f"note: {path}: {model_id} has {len(rows)} checks, not {runs} + 2: left out")
                continue
            results.append({"model": SimpleNamespace(id=model_id, api_model=model_id.split("/", 1)[1]),
                            "db": path, "checks": rows[:runs], "runs": [r["run_id"] for r in rows[:runs]],
                            "seconds": [r["took_s"] for r in rows[:runs]],
                            "KV cache q8_0": rows[runs], "context 4096": rows[runs + 1]})
    return results


def false_alarm_table(results: list[dict]) -> pd.DataFrame:
    rows = []
    for r in results:
        checks = pd.DataFrame(r["checks"][1:])  # the first run is the baseline
        flagged = int((checks["verdict"] == analysis.CHANGED).sum())
        rows.append({"model": r["model"].api_model, "checks": len(checks), "flagged": flagged,
                     "rate": flagged / len(checks),
                     "95% upper": proportion_confint(flagged, len(checks), 0.10, "beta")[1],
                     **{f"{t.removeprefix('p_')} p<0.05": int((checks.get(t, pd.Series(dtype=float)) < 0.05).sum())
                        for t in TESTS},
                     "answers moved": int(checks["n_changed_answers"].sum()),
                     "of answers": int(checks["n_items"].sum()),
                     "s per run": round(float(np.median(r["seconds"])), 1)})
    table = pd.DataFrame(rows)
    if len(table) > 1:  # all models together: 20 checks alone cannot show a rate under 5%
        n, k = int(table["checks"].sum()), int(table["flagged"].sum())
        total = table.drop(columns=["model", "s per run"]).sum().to_dict()
        table.loc[len(table)] = {**total, "model": "all models", "rate": k / n,
                                 "95% upper": proportion_confint(k, n, 0.10, "beta")[1],
                                 "s per run": None}
    return table


def settings_table(results: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"model": r["model"].api_model, "change": name,
                          "verdict": r[name]["verdict"],
                          "answers moved": f"{r[name].get('n_changed_answers')} of {r[name]['n_items']}",
                          "p": r[name].get("p_value"), "evidence": r[name]["evidence"][:150]}
                         for r in results for name in ("KV cache q8_0", "context 4096")])


def replayed_swaps(results: list[dict]) -> pd.DataFrame:
    """Part 3: B's answers against A's baseline, all evidence / answers and scores only."""
    version, rows = drift_canary.VERSION, []
    for a in results:
        base_run, base_id = a["runs"][0], a["model"].id
        base = drift_store.run_items(base_run, base_id, version, a["db"])
        before = drift_store.server_report(base_run, base_id, version, a["db"])
        for b in results:
            if b is a:
                continue
            run, b_id = b["runs"][-1], b["model"].id
            now = drift_store.run_items(run, b_id, version, b["db"])
            after = drift_store.server_report(run, b_id, version, b["db"])
            noise = drift_store.answer_noise(base_id, version, a["db"])
            history = drift_store.item_history(base_id, version, base_run, a["db"])
            full = analysis.compare(now, base, probe=after.get("probe_tokens"),
                                    base_probe=before.get("probe_tokens"),
                                    identity=after.get("server"), base_identity=before.get("server"),
                                    noise=noise, history=history)
            bare = analysis.compare(now.assign(input_tokens=None), base.assign(input_tokens=None),
                                    noise=noise, history=history)
            rows.append({"baseline": a["model"].api_model, "swapped in": b["model"].api_model,
                         "all evidence": full["verdict"], "answers and scores only": bare["verdict"],
                         "answers moved": f"{full['n_changed_answers']} of {full['n_items']}",
                         "p (answers and scores only)": bare["p_value"]})
    return pd.DataFrame(rows)


def simulated(churn: float, checks: int = 500, seed: int = 0, shift: float = 0.0) -> dict:
    """Part 4: an API whose answers wander; `shift` > 0: after the checks, that share of items
    answered anew once (a changed model) -- is it flagged?"""
    rng = np.random.default_rng(seed)
    truth = rng.random(32) < 0.6

    def run(extra: float = 0.0) -> pd.DataFrame:
        moved = rng.random(32) < churn + extra
        words = np.where(moved, rng.integers(0, 10**9, 32), -1)
        correct = truth ^ (moved & (rng.random(32) < 0.125))
        return pd.DataFrame({"item_id": range(32), "answer_sha256": words.astype(str),
                             "score": correct.astype(float), "input_tokens": 50,
                             "output_tokens": 12 + words % 3, "error_class": None,
                             "served_model": "m", "system_fingerprint": None})
    base, same, flagged = run(), [], 0

    def state() -> tuple[tuple[int, int], pd.DataFrame]:
        """As the collector reads them: pooled noise and per-item history, latest 10 checks."""
        recent = [(r["answer_sha256"] != base["answer_sha256"]).to_numpy()
                  for r in same[-drift_store.NOISE_CHECKS:]]
        history = pd.DataFrame({"item_id": range(32), "checks": len(recent),
                                "differed": np.sum(recent, axis=0) if recent else 0})
        return (int(np.sum(recent)), 32 * len(recent)), history

    def check(now: pd.DataFrame) -> dict:
        noise, history = state()
        return analysis.compare(now, base, noise=noise, history=history)

    for _ in range(checks):
        now = run()
        row = check(now)
        flagged += row["verdict"] == analysis.CHANGED
        if row["verdict"] == analysis.SAME:
            same.append(now)
    noise, _ = analysis.answer_noise(*state())

    def oracle(now: pd.DataFrame) -> bool:
        """Knows the rewording rate: beyond the baseline's own reworded items (which always
        differ), the items that differ are Binomial(rest, churn) for an unchanged model."""
        fixed = int((base["answer_sha256"] != "-1").sum())
        moved = int((now["answer_sha256"] != base["answer_sha256"]).sum()) - fixed
        return stats.binom.sf(moved - 1, 32 - fixed, churn) < analysis.ALPHA if churn else moved > 0

    shifted = [run(shift) for _ in range(200)] if shift else []
    caught = np.mean([check(now)["verdict"] == analysis.CHANGED for now in shifted]) if shift else None
    swapped = np.mean([check(run(1.0))["verdict"] == analysis.CHANGED for _ in range(100)])
    return {"answers reworded per run": churn, "checks": checks, "flagged": flagged,
            "rate": flagged / checks, "95% upper": proportion_confint(flagged, checks, 0.10, "beta")[1],
            "noise limit learned": round(analysis.noise_limit(*noise), 3) if noise[1] else None,
            f"power: +{shift:.0%} answers moved": caught,
            "oracle's power": np.mean([oracle(now) for now in shifted]) if shift else None,
            "power: every answer new": swapped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per model (the first is the baseline)")
    parser.add_argument("--models", nargs="+", default=sorted(local_models.MODELS))
    parser.add_argument("--db", type=Path)
    parser.add_argument("--simulate-only", action="store_true")
    parser.add_argument("--no-simulate", action="store_true")
    parser.add_argument("--report", nargs="+", type=Path, metavar="DB",
                        help="only print the tables from these warehouses (bench runs done)")
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 160)
    if not (args.no_simulate or args.report):
        sims = pd.DataFrame([simulated(c, seed=i, shift=0.25)
                             for i, c in enumerate((0.0, 0.1, 0.25, 0.5))])
        print("Simulated APIs whose answers wander, model unchanged (500 checks each):")
        print(sims.to_string(index=False), flush=True)
    if args.simulate_only:
        return
    dbs = args.report
    if not dbs:
        dbs = [args.db or Path(tempfile.mkdtemp(prefix="drift-bench-")) / "gapwatch.duckdb"]
        ensure_ready(dbs[0])
        for model_id in args.models:
            real_runs(dbs[0], model_id, args.runs, dbs[0].parent / "llama.log")
    results = results_from(dbs, args.runs)
    print("\nFalse alarms: unchanged local models, each check against the first run")
    print(false_alarm_table(results).to_string(index=False))
    print("\nSettings changed on the same server (one run each, after the checks above)")
    print(settings_table(results).to_string(index=False))
    print("\nSwaps, replayed: the last unchanged run of B checked against A's baseline")
    print(replayed_swaps(results).to_string(index=False))


if __name__ == "__main__":
    main()
