"""Prices: dated periods from the price book, OpenRouter, LiteLLM and local machine time.

The importers fetch recorded payloads (tests/payloads/, built from real rows of
the shared history) from a plain HTTP server on 127.0.0.1; only the config's
URL tells them where. Every check reads the values back from the warehouse.
"""

import copy
import json
import logging
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from dead_endpoints import closed_port_url

from collectors import capability, prices
from core.config import GapWatchConfig, ModelConfig, load_config
from collectors.price_sources.machine_time import usd_per_mtok
from collectors.runner import Run
from warehouse.storage import db
from core.errors import GapWatchError

REPO = Path(__file__).resolve().parent.parent
PAYLOADS = Path(__file__).parent / "payloads"
OPENROUTER = json.loads((PAYLOADS / "openrouter_models.json").read_text())
LITELLM = json.loads((PAYLOADS / "litellm_prices.json").read_text())
TODAY = datetime.now(timezone.utc).date()


class PayloadServer:
    """Canned responses by path; records every request's headers and path."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(f"{self.path}\n{self.headers}")
                status, body = outer.routes.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, body, status: int = 200) -> str:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[path] = (status, raw)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"


@pytest.fixture
def server():
    srv = PayloadServer()
    srv.serve("/api/v1/models", OPENROUTER)
    srv.serve("/model_prices_and_context_window.json", LITELLM)
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def make_config(server, openrouter="/api/v1/models", litellm="/model_prices_and_context_window.json",
                **extra) -> GapWatchConfig:
    """Importers pointed at `server` paths (or full URLs); None switches one off."""
    urls = {name: {"enabled": False} if path is None else
            {"url": path if path.startswith("http") else server.url(path)}
            for name, path in (("openrouter", openrouter), ("litellm", litellm))}
    return GapWatchConfig.model_validate({"importers": urls, **extra})


def collect(db_path, config, models=()):
    with Run("prices", db_path=db_path) as run:
        reports = prices.collect(run, config, list(models))
    return run, {r.source: r for r in reports}


def periods(db_path, where: str = "source IN ('openrouter', 'litellm')"):
    with db.reading(db_path) as con:
        return con.execute(f"SELECT * FROM prices WHERE {where} "
                           "ORDER BY source, source_name, effective_from, effective_to NULLS LAST").df()


def openrouter_with(model: str, **pricing) -> dict:
    payload = copy.deepcopy(OPENROUTER)
    entry = next(e for e in payload["data"] if e["id"] == model)
    entry["pricing"].update(pricing)
    return payload


def test_importing_the_same_payloads_twice_adds_nothing_and_moves_last_seen(db_copy, server):
    config = make_config(server)
    collect(db_copy, config)
    first = periods(db_copy)
    _, reports = collect(db_copy, config)
    second = periods(db_copy)
    key = ["source", "source_name", "effective_from", "usd_per_mtok_in", "usd_per_mtok_out",
           "first_seen_utc"]
    assert len(first) == len(second) == 25 + 15
    assert first[key].equals(second[key]) and second["effective_to"].isna().all()
    assert (second["last_seen_utc"] > first["last_seen_utc"]).all()
    assert reports["openrouter"].changes.unchanged == 25 and reports["openrouter"].changes.opened == 0
    mini = second[second.source_name == "openai/gpt-4o-mini"].iloc[0]  # "0.00000015" USD per token
    assert (mini.model_id, mini.usd_per_mtok_in, mini.usd_per_mtok_out, mini.usd_per_mtok_cached_in) \
        == ("openai/gpt-4o-mini", 0.15, 0.6, 0.075)
    litellm = second[second.source == "litellm"].set_index("source_name")
    assert "sample_spec" not in litellm.index and "text-embedding-3-small" not in litellm.index
    assert "davinci-002" not in litellm.index  # mode "completion"
    # a key no shipped source spelt like this, matched by its folded name
    assert litellm.loc["azure/eu/gpt-4.1-nano-2025-04-14", "model_id"] == "openai/gpt-4.1-nano"


def test_a_changed_price_closes_its_period_and_opens_one(db_copy, server):
    config = make_config(server)
    collect(db_copy, config)
    before = periods(db_copy)
    server.serve("/api/v1/models", openrouter_with("openai/gpt-4o-mini", prompt="0.0000002"))
    _, reports = collect(db_copy, config)
    after = periods(db_copy)
    assert len(after) == len(before) + 1
    assert (reports["openrouter"].changes.opened, reports["openrouter"].changes.closed) == (1, 1)
    mini = after[after.source_name == "openai/gpt-4o-mini"]
    closed, current = mini.iloc[0], mini.iloc[1]
    assert closed.effective_to.date() == TODAY and closed.usd_per_mtok_in == 0.15
    assert current.effective_from.date() == TODAY and current.usd_per_mtok_in == 0.2
    assert current.isna().effective_to and current.usd_per_mtok_out == 0.6


def add_items(db_path, model_id: str, day, scores: list[float]) -> str:
    when = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=12)
    rows = [{"model_id": model_id, "pack": "demo", "pack_version": "1", "dimension": "reasoning",
             "item_id": f"item-{i}", "variant": "fixed", "seed": 0, "score": score,
             "input_tokens": 1000, "output_tokens": 500, "latency_s": 1.0, "measured_at_utc": when}
            for i, score in enumerate(scores)]
    with Run("capability", db_path=db_path) as run:
        run.add("capability_item_result", rows)
    return run.run_id


def test_the_price_book_wins_and_each_item_is_priced_on_its_own_day(db_copy, server):
    changed = TODAY - timedelta(days=1)
    book = [{"model_id": "openai/gpt-4o-mini", "effective_from": "2024-01-01",
             "usd_per_mtok_in": 1.0, "usd_per_mtok_out": 2.0},
            {"model_id": "openai/gpt-4o-mini", "effective_from": changed.isoformat(),
             "usd_per_mtok_in": 3.0, "usd_per_mtok_out": 4.0}]
    collect(db_copy, make_config(server, prices=book))  # OpenRouter lists it today at 0.15/0.60
    old_run = add_items(db_copy, "openai/gpt-4o-mini", TODAY - timedelta(days=3), [1.0, 0.5])
    new_run = add_items(db_copy, "openai/gpt-4o-mini", TODAY, [1.0, 0.5])
    unpriced = add_items(db_copy, "example-lab/unpriced-model", TODAY, [0.0, 0.0])
    with db.reading(db_copy) as con:
        costs = con.execute("SELECT * FROM costs").df().set_index("run_id")
    assert costs.loc[old_run, "usd_cost"] == pytest.approx(2 * (1000 * 1.0 + 500 * 2.0) / 1e6)
    assert costs.loc[new_run, "usd_cost"] == pytest.approx(2 * (1000 * 3.0 + 500 * 4.0) / 1e6)
    assert costs.loc[new_run, "price_source"] == "config"
    assert costs.loc[new_run, "usd_per_solved_item"] == pytest.approx(costs.loc[new_run, "usd_cost"] / 1.5)
    assert costs.loc[new_run, "blended_usd_per_mtok"] == pytest.approx((3 * 3.0 + 4.0) / 4)
    assert costs.isna().loc[unpriced, "usd_cost"] and costs.isna().loc[unpriced, "usd_per_solved_item"]
    assert costs.loc[unpriced, "cost_note"] == "no price known for this model"
    book_rows = periods(db_copy, "source = 'config'")
    assert [d.date() for d in book_rows["effective_to"].dropna()] == [changed]
    _, reports = collect(db_copy, make_config(server, openrouter=None, litellm=None, prices=book))
    assert (reports["config"].changes.unchanged, reports["config"].changes.opened) == (2, 0)
    assert periods(db_copy, "source = 'config'")[["effective_from", "effective_to"]].equals(
        book_rows[["effective_from", "effective_to"]])
    # The book loses its later price: the stored periods follow it, and the report says so.
    _, reports = collect(db_copy, make_config(server, openrouter=None, litellm=None, prices=book[:1]))
    assert prices.summary(list(reports.values()))[0].split() == [
        "config", "1", "prices:", "1", "new", "periods,", "0", "closed,", "0", "unchanged,", "2",
        "removed"]
    (start, end), = periods(db_copy, "source = 'config'")[["effective_from", "effective_to"]].values
    assert pd.Timestamp(start).date() == date(2024, 1, 1) and pd.isna(end)


def test_unmatched_names_are_counted_and_config_aliases_map_them(db_copy, server):
    run, reports = collect(db_copy, make_config(server))
    assert reports["openrouter"].unmatched == ["example-lab/example-chat-70b", "example-lab/example-chat-7b"]
    assert any(w.startswith("openrouter: 2 of 27 names match no GapWatch model") for w in run.warnings)
    alias = [{"alias": "example-lab/example-chat-7b", "source": "openrouter",
              "model_id": "example-lab/chat-7b"}]
    run, reports = collect(db_copy, make_config(server, aliases=alias))
    assert reports["openrouter"].unmatched == ["example-lab/example-chat-70b"]
    assert "example-lab/chat-7b" in set(periods(db_copy)["model_id"])
    assert prices.summary(list(reports.values()))[-1] == "unmatched names: 1 (openrouter 1)"


def litellm_with(model: str, **entry) -> dict:
    payload = copy.deepcopy(LITELLM)
    payload[model].update(entry)
    return payload


LITELLM_TWICE = json.dumps(LITELLM)[:-1] + ', "gpt-4o-mini": {"mode": "chat"}}'
BAD_PAYLOADS = {  # case: (importer, payload, what the warning must say)
    "not JSON": ("openrouter", b"<html>502 Bad Gateway</html>", "payload is not JSON"),
    "no data key": ("openrouter", {"models": OPENROUTER["data"]}, "key `data` missing"),
    "price not a number": ("openrouter", openrouter_with("openai/gpt-4o-mini", prompt="abc"),
                           "data[0].pricing.prompt: not a number ('abc')"),
    "negative price": ("openrouter", openrouter_with("openai/gpt-4o-mini", completion="-0.0000006"),
                       "data[0].pricing.completion: negative price"),
    "listed twice": ("openrouter", {"data": OPENROUTER["data"] + OPENROUTER["data"][:1]},
                     "data[0], data[27]: 'openai/gpt-4o-mini' listed twice"),
    "1000x jump": ("openrouter", openrouter_with("openai/gpt-4o-mini", prompt="0.00015"),
                   "openai/gpt-4o-mini: in 0.15 -> 150.0"),
    "litellm not a number": ("litellm", litellm_with("gpt-4o-mini", input_cost_per_token="n/a"),
                             "['gpt-4o-mini'].input_cost_per_token: not a number ('n/a')"),
    "litellm missing cost": ("litellm", litellm_with("gpt-4o-mini", output_cost_per_token=None),
                             "['gpt-4o-mini'].output_cost_per_token: missing"),
    "litellm key twice": ("litellm", LITELLM_TWICE.encode(), "top level: 'gpt-4o-mini' listed twice"),
    "litellm not an object": ("litellm", [LITELLM], "top level is a list"),
}
PATHS = {"openrouter": "/api/v1/models", "litellm": "/model_prices_and_context_window.json"}
# One per importer, and the price periods' own rule (a 1000x jump is held back); the rest are slow.
QUICK_PAYLOADS = ("not JSON", "litellm not a number", "1000x jump")


@pytest.mark.parametrize("case", [case if case in QUICK_PAYLOADS else pytest.param(
    case, marks=pytest.mark.slow) for case in BAD_PAYLOADS])
def test_a_bad_payload_is_one_named_warning_and_loses_nothing(db_copy, server, case):
    importer, body, expected = BAD_PAYLOADS[case]
    other = "litellm" if importer == "openrouter" else "openrouter"
    config = make_config(server, **{other: None})
    collect(db_copy, config)
    before = periods(db_copy)
    url = server.serve(PATHS[importer], body)
    run, _ = collect(db_copy, config)
    after = periods(db_copy)
    named = [w for w in run.warnings if url in w]
    assert len(named) == 1 and expected in named[0], run.warnings
    assert run.status == "partial"
    stable = ["source_name", "effective_from", "effective_to", "usd_per_mtok_in", "usd_per_mtok_out"]
    assert after[stable].equals(before[stable])
    mini = after.source_name.isin(["openai/gpt-4o-mini", "gpt-4o-mini"])
    assert mini.sum() == 1 and after[mini].last_seen_utc.equals(before[mini].last_seen_utc)


@pytest.mark.slow  # the dead URL's retries wait 1 + 2 + 4 s
def test_an_unreachable_url_is_one_warning_and_the_cli_finishes(db_copy, server, tmp_path):
    dead = closed_port_url("/api/v1/models")
    config_file = tmp_path / "gapwatch.toml"
    config_file.write_text(f'[importers.openrouter]\nurl = "{server.url("/api/v1/models")}"\n'
                           f'[importers.litellm]\nurl = "{dead}"\n')
    env = {"GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config_file),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "collectors", "run", "prices"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if dead in line]
    assert len(lines) == 1 and "cannot fetch" in lines[0]
    assert "partial, 25 rows" in result.stdout and "unmatched names: 2 (openrouter 2)" in result.stdout
    assert len(periods(db_copy, "source = 'openrouter'")) == 25


def test_local_prices_are_estimated_from_real_llama_cpp_timings(db_copy, local_servers):
    shipped = load_config(REPO / "gapwatch.toml")
    offline = ModelConfig(id="local/offline", provider="local", base_url=closed_port_url("/v1"),
                          organization="nobody", open_weights=True)
    config = GapWatchConfig.model_validate({
        **shipped.model_dump(include={"models"}), "machine": {"usd_per_hour": 0.10, "requests": 1},
        "importers": {"openrouter": {"enabled": False}, "litellm": {"enabled": False}}})
    run, _ = collect(db_copy, config, [*config.models, offline])
    rows = periods(db_copy, "source = 'estimated:machine-time'").set_index("model_id")
    print("\n" + rows[["usd_per_mtok_in", "usd_per_mtok_out", "host_provider"]].to_string())
    assert set(rows.index) == set(local_servers) and rows["estimated"].all()
    assert (rows["usd_per_mtok_in"] > 0).all() and (rows["usd_per_mtok_out"] > 0).all()
    assert len(run.warnings) == 1 and "local/offline" in run.warnings[0]
    assert usd_per_mtok(3.6, 1.0) == 1.0  # 1e6 tokens x 3.6 ms = one hour, at 1 USD/hour


def test_cost_per_solved_item_for_the_three_local_models(db_copy, local_servers):
    """Real answers priced at real machine time. Qwen solves some, so its cost per solved item is
    its cost over its score; the Gemma base model solves nothing, so its cost per solved item is
    empty and says why (never 0, never infinite), while its cost itself is known."""
    config = GapWatchConfig.model_validate({
        **load_config(REPO / "gapwatch.toml").model_dump(include={"models"}),
        "machine": {"usd_per_hour": 0.10, "requests": 1},
        "importers": {"openrouter": {"enabled": False}, "litellm": {"enabled": False}}})
    with Run("capability", db_path=db_copy) as run:
        capability.collect(run, config.models, capability.Settings(
            packs=("understanding",), fixed=6, fresh=0, seed=3), progress=False)
    collect(db_copy, config, config.models)
    with db.reading(db_copy) as con:
        costs = con.execute("SELECT * FROM costs WHERE run_id = ?", [run.run_id]).df().set_index("model_id")
        series = con.execute("SELECT * FROM cost_per_solved WHERE dimension = 'understanding'").df()
    print("\n" + costs[["n_items", "score_sum", "usd_cost", "usd_per_solved_item", "cost_note"]].to_string())
    assert set(costs.index) == set(local_servers) and costs["estimated"].all()
    assert (costs["n_items"] == 6).all() and (costs["usd_cost"] > 0).all()
    qwen, gemma = costs.loc["local/qwen2.5-coder-0.5b"], costs.loc["local/gemma3-270m"]
    assert qwen["score_sum"] >= 1
    assert qwen["usd_per_solved_item"] == pytest.approx(qwen["usd_cost"] / qwen["score_sum"])
    assert gemma["score_sum"] == 0 and pd.isna(gemma["usd_per_solved_item"])
    assert gemma["cost_note"] == "nothing solved: cost per solved item undefined"
    assert set(series["model_id"]) == set(local_servers)


def test_no_api_key_reaches_rows_or_logs_and_none_is_sent(db_copy, server, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # httpx logs every URL at INFO
    secret = "sk-or-v1-DO-NOT-LEAK-0123456789"
    monkeypatch.setenv("OPENROUTER_API_KEY", secret)
    url = server.serve(f"/api/v1/models?key={secret}", b"upstream down", status=503)
    run, _ = collect(db_copy, make_config(server, openrouter=url))
    assert any("<OPENROUTER_API_KEY>" in w and "HTTP 503" in w for w in run.warnings)
    with db.reading(db_copy) as con:
        stored = con.execute("SELECT * FROM runs").df().to_string() + periods(db_copy).to_string()
    texts = [stored, caplog.text, *run.warnings]
    assert not any(secret in t for t in texts)
    headers = [request.split("\n", 1)[1] for request in server.requests]
    assert headers and not any(secret in h or "authorization" in h.lower() for h in headers)


def test_config_price_book_and_importers_are_checked(tmp_path):
    config = load_config(REPO / "gapwatch.toml")
    assert config.prices == [] and config.machine.usd_per_hour == 0.10
    assert config.importers.openrouter.url == "https://openrouter.ai/api/v1/models"
    bad = tmp_path / "gapwatch.toml"
    bad.write_text('[[prices]]\nmodel_id = "openai/gpt-4o-mini"\neffective_from = 2025-02-01\n'
                   'effective_to = 2025-01-01\nusd_per_mtok_in = 0.15\nusd_per_mtok_out = 0.6\n'
                   '[importers.openrouter]\nurll = "http://example.org"\n')
    with pytest.raises(GapWatchError) as error:
        load_config(bad)
    assert "importers.openrouter.urll: unknown key" in str(error.value)
    assert "prices[0]: effective_to must be after effective_from" in str(error.value)
