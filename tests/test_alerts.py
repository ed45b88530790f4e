"""Alerts (`[alerts]`, core/alerts.py): a webhook gets the event as JSON, a command gets it on
stdin, and a failed delivery is one logged line that never fails the run."""

import json
import logging
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from collectors import drift
from core import alerts
from core.config import AlertsConfig, GapWatchConfig
from helpers import free_port
from warehouse.contract import board_flips
from warehouse.storage import db

REPO = Path(__file__).resolve().parent.parent


class Hook:
    """A real HTTP server on a free loopback port that keeps what it is POSTed."""

    def __init__(self, status: int = 200, delay_s: float = 0.0):
        self.received: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(delay_s)
                hook.received.append({"path": self.path, "type": self.headers["content-type"],
                                      "event": json.loads(body)})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/gapwatch"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    server = Hook()
    yield server
    server.close()


CHANGED = {"model_id": "acme/chat-model", "verdict": "changed", "baseline_run_id": "drift-a",
           "checked_at_utc": "2026-12-05T06:00:00Z", "p_value": 1e-9,
           "evidence": "32 of 32 answers differ (100%); full marks 11 → 21"}


class FakeRun:
    run_id = "drift-b"


def test_a_changed_model_is_posted_to_the_webhook_as_json(hook):
    config = GapWatchConfig(alerts=AlertsConfig(webhook_url=hook.url))
    drift.alert(config, FakeRun(), [CHANGED, CHANGED | {"model_id": "local/x", "verdict": "same model"}])
    assert len(hook.received) == 1, "one alert, for the changed model only"
    got = hook.received[0]
    assert got["path"] == "/hooks/gapwatch" and got["type"] == "application/json"
    event = got["event"]
    assert event["event"] == "model changed" and event["model_id"] == "acme/chat-model"
    assert event["run_id"] == "drift-b" and event["baseline_run_id"] == "drift-a"
    assert event["text"].startswith("GapWatch: acme/chat-model is no longer the model measured in "
                                    "run drift-a: 32 of 32 answers differ")


def test_a_command_gets_the_event_on_stdin(tmp_path):
    out = tmp_path / "event.json"
    script = f"import sys, pathlib; pathlib.Path({str(out)!r}).write_text(sys.stdin.read())"
    failures = alerts.send(AlertsConfig(command=[sys.executable, "-c", script]), {"event": "x", "n": 1})
    assert failures == [] and json.loads(out.read_text()) == {"event": "x", "n": 1}


def test_failed_deliveries_are_one_line_each_and_never_raise(tmp_path, caplog):
    refused = f"http://127.0.0.1:{free_port()}/hook?token=s3cr3t-token-value"
    config = AlertsConfig(webhook_url=refused, command=[sys.executable, "-c", "import sys; "
                          "print('boom', file=sys.stderr); sys.exit(4)"], timeout_s=2)
    with caplog.at_level(logging.WARNING, logger="gapwatch.alerts"):
        failures = alerts.send(config, {"event": "x"})
    assert len(failures) == 2 and all("\n" not in f for f in failures)
    assert failures[0].startswith("webhook at 127.0.0.1:") and "s3cr3t" not in failures[0]
    assert failures[1] == "command " + sys.executable + " exited with code 4: boom"
    assert [r.getMessage() for r in caplog.records] == [f"alert not delivered: {f}" for f in failures]


def test_a_slow_webhook_waits_no_longer_than_the_timeout():
    slow = Hook(delay_s=3)
    try:
        started = time.monotonic()
        failures = alerts.send(AlertsConfig(webhook_url=slow.url, timeout_s=0.5), {"event": "x"})
        assert time.monotonic() - started < 2.5
        assert len(failures) == 1 and "ReadTimeout" in failures[0]
    finally:
        slow.close()


def test_a_webhook_url_can_come_from_the_environment(hook, monkeypatch):
    config = AlertsConfig(webhook_url_env="GAPWATCH_TEST_HOOK")
    assert alerts.send(config, {"event": "x"}) == [
        "webhook not called: environment variable GAPWATCH_TEST_HOOK is not set"]
    monkeypatch.setenv("GAPWATCH_TEST_HOOK", hook.url)
    assert alerts.send(config, {"event": "y"}) == [] and hook.received[0]["event"] == {"event": "y"}


@pytest.mark.slow  # a real `gaps --refresh` in a child process recomputes every verdict (~13 s)
def test_a_board_verdict_that_flips_on_refresh_is_posted(db_copy, hook, tmp_path):
    """`python -m warehouse gaps --refresh` recomputes the verdicts: the ECI row stored with the
    wrong word (as if the last refresh had said so) flips back, and the flip is POSTed."""
    before = board_flips.board_verdicts(db_copy)["overall capability"]
    assert before["series_id"] == "epoch:eci"
    fake = "narrowing" if before["verdict"] == "widening" else "widening"
    with db.writing(db_copy) as con:
        con.execute("UPDATE gap_verdict_row SET verdict = ? WHERE metric = 'epoch:eci' AND "
                    "gap_kind = 'frontier_a_minus_b' AND period = 'last 12 months'", [fake])
    config = tmp_path / "gapwatch.toml"
    config.write_text(f'[alerts]\nwebhook_url = "{hook.url}"\n')
    env = {**os.environ, "GAPWATCH_DB": str(db_copy), "GAPWATCH_CONFIG": str(config)}
    done = subprocess.run([sys.executable, "-m", "warehouse", "gaps", "--refresh"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"verdict flipped: overall capability: {fake} -> {before['verdict']}" in done.stdout
    events = [r["event"] for r in hook.received]
    assert [(e["dimension"], e["before"], e["after"]) for e in events] == [
        ("overall capability", fake, before["verdict"])]
    assert events[0]["text"] == (f"GapWatch: the overall capability gap is now {before['verdict']} "
                                 f"(was {fake})")
