"""The drift sentinel: is the model behind each configured name still the one measured?

Each run asks every model the canary set (collectors/drift_canary.py) the same way every time:
temperature 0, one item at a time, a fixed `seed` where the API takes one, and for a llama.cpp
server its prompt cache off, so an unchanged model gives the same answers. It stores each
answer's hash, score, length and token counts, what the server said answered
(`system_fingerprint`, the served model name, model-version headers; for llama.cpp its model
file, size, quantisation, context and build: `local_models.served_identity`), and the token
count of a fixed probe text. Then it checks each model against its baseline
(warehouse/analysis/drift.py says how) and stores the verdict: `same model`, `changed` or
`not enough data`. A `changed` model gets a `model swap` row in `method_changes`, so no trend
spans the swap, and (with `[alerts]`) an alert.

The baseline is the model's first drift run, or the run named by `--baseline RUN_ID`; later
runs keep it, until a run finds the model `changed`: that run is the next baseline.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from collectors import drift_canary, stopping
from collectors.capability import STOP_AT
from collectors.collector import Collector, exit_code, option, report
from collectors.endpoints import base_url, connect, context_tokens, endpoint_context
from collectors.local_models import served_identity
from collectors.progress import Progress
from collectors.providers.base import ChatRequest, Provider
from collectors.runner import Run
from collectors.scoring import score_item
from collectors.tasks.base import Item
from core import alerts
from core.config import ModelConfig
from core.errors import GapWatchError
from warehouse.analysis import drift as analysis
from warehouse.storage import drift_store, run_ledger

TABLE, CHECKS = "drift_item_result", "drift_check_row"
SEED = 20261201  # sent as `seed` where the API takes one; never changed, or answers move


@dataclass
class Asked:
    """One model's answers in this run and what its server said about itself."""

    model: ModelConfig
    rows: list[dict] = field(default_factory=list)
    identity: dict = field(default_factory=dict)  # llama.cpp's own report; {} elsewhere
    headers: dict = field(default_factory=dict)
    probe_tokens: int | None = None
    problem: str | None = None  # why it was not asked


def collect(run: Run, models: list[ModelConfig], named_baseline: str | None = None,
            progress: bool = True, n_items: int | None = None) -> list[dict]:
    """Ask every model, check each against its baseline; the check rows (also stored).
    `n_items`: only that many canary items, spread over the set (a quick check)."""
    items = spread(drift_canary.items(), n_items)
    run.context.update(canary_version=drift_canary.VERSION, canary_items=len(items),
                       baseline=named_baseline, models={m.id: endpoint_context(m) for m in models})
    run_ledger.store_context(run.db_path, run.run_id, run.context)
    checks = []
    with Progress(len(items) * len(models), "all models", "item", progress) as bars:
        for model in models:
            if stopping.requested():
                break
            asked = ask_model(run, model, items, bars)
            run.add(TABLE, asked.rows)
            checks.append(check(run, asked, named_baseline))
            run.add(CHECKS, [dict(checks[-1])])
    return checks


def spread(items: list[Item], n: int | None) -> list[Item]:
    """`n` items evenly spaced over the set (it is ordered by dimension), so each dimension keeps
    its share; all of them when `n` is None or not smaller."""
    if n is None or n >= len(items):
        return items
    return [items[i * len(items) // n] for i in range(max(n, 1))]


def ask_model(run: Run, model: ModelConfig, items: list[Item], bars: Progress) -> Asked:
    """The canary items that fit the model's context, the probe and the server's report."""
    try:
        provider = connect(model)
    except GapWatchError as exc:
        run.warn(f"{model.id}: cannot be reached, not checked: {exc}")
        bars.skip(len(items))
        return Asked(model, problem=str(exc))
    asked = Asked(model)
    try:
        url = base_url(model)
        asked.identity = served_identity(url) if url else {}
        asked.probe_tokens = probe_tokens(model, provider, asked.identity)
        fitting = [item for item in items if item.fits(context_tokens(model))]
        bars.skip(len(items) - len(fitting))
        with bars.cell(len(fitting), model.id) as bar:
            settings = request_settings(provider, asked.identity)
            for item in fitting:
                if stopping.requested():
                    break
                asked.rows.append(ask_one(model, provider, item, settings, asked))
                bars.advance(bar)
    finally:
        provider.close()
    faults = sum(row["error_class"] is not None for row in asked.rows)
    if faults:
        run.warn(f"{model.id}: {faults} canary items unanswered (provider faults), left out "
                 "of its check")
    return asked


def request_settings(provider: Provider, identity: dict) -> dict:
    """What makes the answers repeatable where the server allows it: a seed, and for
    llama.cpp (it reports an identity) no prompt cache and the prompt labels as stops."""
    settings = {"seed": SEED} if provider.takes_seed else {}
    if identity:
        settings |= {"cache_prompt": False, "stop": list(STOP_AT)}
    return settings


def ask_one(model: ModelConfig, provider: Provider, item: Item, settings: dict,
            asked: Asked) -> dict:
    """One canary item's row. An API that refuses `seed` (400) is asked again without it,
    and not sent it again this run."""
    started = datetime.now(timezone.utc)
    request = ChatRequest(model=model.api_model, max_tokens=item.meta["max_answer_tokens"],
                          messages=[{"role": "user", "content": item.prompt}], temperature=0.0,
                          stream=False, extra_body=dict(settings))
    result = provider.chat(request)
    if result.error_class == "bad_request" and settings.pop("seed", None) is not None:
        request.extra_body.pop("seed")
        result = provider.chat(request)
    asked.headers = result.model_headers or asked.headers
    fault = result.error_class is not None
    return {"model_id": model.id, "canary_version": drift_canary.VERSION,
            "item_id": item.item_id, "dimension": item.meta["dimension"],
            "answer_sha256": None if fault else hashlib.sha256(result.text.encode()).hexdigest(),
            "response": None if fault else result.text,
            "score": None if fault else score_item(item, result.text),
            "output_chars": None if fault else len(result.text),
            "input_tokens": result.input_tokens, "output_tokens": result.output_tokens,
            "latency_s": result.e2e_s, "served_model": result.served_model,
            "system_fingerprint": result.system_fingerprint, "measured_at_utc": started,
            "error_class": result.error_class, "error": result.error}


def probe_tokens(model: ModelConfig, provider: Provider, identity: dict) -> int | None:
    """The probe text's tokens: the server's own tokenizer where it has one (llama.cpp's
    /tokenize), else the prompt tokens the API reports for a one-token answer to it."""
    if identity:
        counted = provider.count_tokens(drift_canary.PROBE)
        if counted is not None:
            return counted
    result = provider.chat(ChatRequest(model=model.api_model, max_tokens=1, stream=False,
                                       messages=[{"role": "user", "content": drift_canary.PROBE}]))
    return result.input_tokens


def check(run: Run, asked: Asked, named: str | None) -> dict:
    """This run's check of one model against its baseline (analysis.compare)."""
    model, version = asked.model.id, drift_canary.VERSION
    base_id = baseline_of(run, model, named)
    now = pd.DataFrame(asked.rows).reindex(columns=analysis.ITEM_COLUMNS)
    if asked.problem:
        result = {"n_items": 0, "verdict": analysis.NOT_ENOUGH,
                  "evidence": f"not asked: {asked.problem}"}
    elif base_id is None:
        result = analysis.compare(now, None, probe=asked.probe_tokens)
        answered = int(now["error_class"].isna().sum())
        base_id = run.run_id if answered >= analysis.MIN_ITEMS else None
        if base_id is None:  # a baseline this thin would leave every later check without data
            result["evidence"] = (f"only {answered} items answered, too few for a baseline "
                                  f"({analysis.MIN_ITEMS} needed): the next run tries again")
    else:
        before = drift_store.server_report(base_id, model, version, run.db_path)
        result = analysis.compare(
            now, drift_store.run_items(base_id, model, version, run.db_path),
            probe=asked.probe_tokens, base_probe=before.get("probe_tokens"),
            identity=asked.identity, base_identity=before.get("server"), headers=asked.headers,
            base_headers=before.get("headers"),
            noise=drift_store.answer_noise(model, version, run.db_path),
            history=drift_store.item_history(model, version, base_id, run.db_path))
    return {"model_id": model, "canary_version": version,
            "checked_at_utc": datetime.now(timezone.utc), "baseline_run_id": base_id, **result,
            "served_identity": json.dumps({"server": asked.identity, "headers": asked.headers})}


def baseline_of(run: Run, model_id: str, named: str | None) -> str | None:
    """The named baseline if it holds this model's answers (else a warning and the usual one)."""
    version = drift_canary.VERSION
    if named is not None:
        try:
            return drift_store.baseline(model_id, version, run.run_id, named, run.db_path)
        except GapWatchError as exc:
            run.warn(f"{model_id}: --baseline not used: {exc}")
    return drift_store.baseline(model_id, version, run.run_id, db_path=run.db_path)


def alert(config, run: Run, checks: list[dict]) -> None:
    """One alert per model found `changed` (nothing without `[alerts]`); never raises."""
    for row in checks:
        if row["verdict"] == analysis.CHANGED:
            alerts.send(config.alerts, {
                "event": "model changed", "model_id": row["model_id"], "run_id": run.run_id,
                "baseline_run_id": row["baseline_run_id"], "checked_at_utc": row["checked_at_utc"],
                "verdict": row["verdict"], "p_value": row.get("p_value"), "evidence": row["evidence"],
                "text": f"GapWatch: {row['model_id']} is no longer the model measured in run "
                        f"{row['baseline_run_id']}: {row['evidence']}"})


def summary(checks: list[dict]) -> str:
    return "\n".join(f"{row['model_id']}: {row['verdict']} ({row['evidence']})" for row in checks) \
        or "(no model checked)"


def scheduled(run: Run, models: list[ModelConfig], config) -> None:
    """The scheduled job: every model against its baseline; alerts once the rows are stored."""
    checks = collect(run, models, progress=False)
    run.flush()
    alert(config, run, checks)


def command(args, config, models: list[ModelConfig]) -> int:
    """`python -m collectors run drift`: each model's verdict with its evidence."""
    if args.items is not None and args.items < analysis.MIN_ITEMS:
        raise GapWatchError(f"--items {args.items}: a check needs at least {analysis.MIN_ITEMS} "
                            "items answered in both runs")
    if args.baseline and not drift_store.has_answers(args.baseline):
        raise GapWatchError(f"--baseline {args.baseline}: no drift run of that id holds answers "
                            "(valid runs only; the drift_checks view lists them)")
    stopping.install()
    with Run("drift") as run:
        checks = collect(run, models, args.baseline, progress=not args.quiet, n_items=args.items)
    report(run, f"canary version {drift_canary.VERSION}")
    print(summary(checks))
    alert(config, run, checks)
    return exit_code(run)


COLLECTOR = Collector(
    "drift", TABLE, ("run_id", "model_id", "canary_version", "item_id"),
    "check that the model behind each name is still the one measured",
    "Asks each model a fixed canary set at temperature 0 and compares the answers item by item "
    "with its baseline run (the first, or --baseline): server fingerprints, tokenizer counts, "
    "McNemar on full marks, paired tests on scores and answer lengths, and the share of changed "
    "answers. Prints `same model`, `changed` or `not enough data` per model, with the evidence.",
    command, scheduled, (
        option("--baseline", metavar="RUN_ID",
               help="compare with this drift run (it stays the baseline for later runs)"),
        option("--items", type=int, metavar="N",
               help=f"only N of the {len(drift_canary.items())} canary items, spread over the "
                    "dimensions (a quick check; compared on the items both runs have)")))
