"""The latency collector: real local models, and every fault recorded as a failed sample."""

import json
from pathlib import Path

import pytest
from dead_endpoints import closed_port_url
from reference_server import ReferenceServer

from collectors import endpoints, latency, local_models
from collectors.__main__ import main as collectors_main
from core.config import GapWatchConfig
from collectors.runner import Run
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent
SECRET = "sk-test-latency-SECRET-0042"
REF_MODELS = {"ref/fast": "ref-ttft50-itl10-n20", "ref/down": "fault-500",
              "ref/auth": "fault-401", "ref/cut": "fault-truncate", "ref/garbled": "fault-bad-json",
              "ref/no-usage": "fault-no-usage", "ref/gone": "fault-unknown-model"}


def ref_config(base_url: str) -> GapWatchConfig:
    models = [{"id": model_id, "provider": "openai-compatible", "model": name, "base_url": base_url,
               "api_key_env": "GAPWATCH_TEST_REF_KEY", "organization": "Test", "open_weights": True,
               "context_tokens": 2048} for model_id, name in REF_MODELS.items()]
    models.append({"id": "ref/unreachable", "provider": "openai-compatible", "organization": "Test",
                   "base_url": closed_port_url(), "open_weights": True})
    return GapWatchConfig.model_validate({"models": models})


def samples(db_path, run_id: str) -> dict[str, list[dict]]:
    with db.reading(db_path) as con:
        cursor = con.execute("SELECT * FROM latency_samples WHERE run_id = ? "
                             "ORDER BY model_id, request_index", [run_id])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, values)) for values in cursor.fetchall()]
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["model_id"], []).append(row)
    return grouped


@pytest.fixture
def fast_retries(monkeypatch):
    """Retry backoff of 10 ms instead of 1 s: the policy is tested in test_providers."""
    real = endpoints.open_provider

    def quick(model, timeout_s=5.0):
        return real(model, timeout_s=timeout_s, backoff_s=0.01)

    monkeypatch.setattr(endpoints, "open_provider", quick)


def test_faults_become_failed_samples_and_the_rest_is_measured(db_copy, monkeypatch, fast_retries):
    """Uses the reference server: only a scripted server can inject exact delays and faults."""
    monkeypatch.setenv("GAPWATCH_TEST_REF_KEY", SECRET)
    with ReferenceServer(models=list(REF_MODELS.values())) as server:
        config = ref_config(server.base_url)
        with Run("latency", db_path=db_copy) as run:
            latency.collect(run, config.models, workloads=[latency.SMOKE, latency.WORKLOADS[2]],
                            concurrencies=[1], requests=2, progress=False)
    got = samples(db_copy, run.run_id)
    assert run.status == "partial"
    fast = got["ref/fast"]
    assert [r["error_class"] for r in fast] == [None, None] and {r["output_tokens"] for r in fast} == {20}
    assert all(0.04 < r["ttft_s"] < 0.09 and 0.007 < r["itl_s"] < 0.02 for r in fast)
    expected = {"ref/down": "server_error", "ref/auth": "auth_error", "ref/cut": "truncated_stream",
                "ref/garbled": "invalid_chunk", "ref/gone": "unknown_model",
                "ref/unreachable": "unreachable"}
    for model_id, error_class in expected.items():
        assert {r["error_class"] for r in got[model_id]} == {error_class}, model_id
    assert got["ref/down"][0]["http_status"] == 500
    assert got["ref/no-usage"][0]["error_class"] is None
    assert got["ref/no-usage"][0]["output_tokens"] == 5  # counted by the server's /tokenize
    assert any("10k-1.5k skipped" in w for w in run.warnings)
    with db.reading(db_copy) as con:
        stored = json.dumps(con.execute("SELECT * FROM latency_samples").df().astype(str).values.tolist())
        ledger = con.execute("SELECT error, context FROM run_ledger WHERE run_id = ?",
                             [run.run_id]).fetchone()
    assert SECRET not in stored and SECRET not in str(ledger) and SECRET not in str(run.warnings)


def test_the_three_local_models_measured_for_real(local_servers, gapwatch_env):
    assert collectors_main(["run", "latency", "--models", "local/*", "--workloads", "100-300",
                            "--requests", "1", "--concurrency", "1", "--quiet"]) == 0
    with db.reading(gapwatch_env) as con:
        stats = con.execute("""SELECT model_id, count(*) AS n, count(error_class) AS errors,
                                      median(output_tokens_per_s) AS speed, median(ttft_s) AS ttft
                               FROM latency_samples GROUP BY 1""").df().set_index("model_id")
        context = json.loads(con.execute("SELECT context FROM run_ledger WHERE collector = "
                                         "'latency'").fetchone()[0])
        p50 = con.execute("SELECT count(DISTINCT model_id) FROM latency_stats WHERE source = "
                          "'measured' AND output_tokens_per_s_p50 > 0").fetchone()[0]
    assert set(stats.index) == set(local_models.MODELS) and (stats["errors"] == 0).all()
    assert (stats["ttft"] > 0).all() and p50 == 3
    smol, qwen = stats.loc["local/smollm2-135m", "speed"], stats.loc["local/qwen2.5-coder-0.5b", "speed"]
    assert smol > 1.3 * qwen, f"135M should decode faster than 0.5B: {smol:.1f} vs {qwen:.1f} tok/s"
    for model_id, spec in local_models.MODELS.items():
        recorded = context["models"][model_id]
        assert recorded["sha256"] == spec.sha256 and recorded["quantisation"] == spec.quantisation
        assert recorded["server_build"].startswith("xllamacpp ")
    assert context["cpu"] and context["packages"]["duckdb"] == "1.5.5"


def test_workloads_beyond_a_models_context_are_skipped_not_failed():
    assert latency.fits(latency.WORKLOADS[1], 2048)  # 1k in + 1k out fits a 2048 window
    assert not latency.fits(latency.WORKLOADS[2], 2048)
    with pytest.raises(Exception, match="unknown workload 'huge'"):
        latency.workloads_named(["huge"])
