"""Alerts: tell someone when a model changed behind its name or a board verdict flipped.

`[alerts]` in gapwatch.toml names a webhook (the event is POSTed as JSON, with a `text` field
that Slack-style hooks show as the message) and/or a command (the event comes as JSON on its
stdin). Why here, below collectors and warehouse: the drift collector sends one after a check,
the warehouse's gap refresh after a verdict flips.

An alert never decides a run's outcome: each delivery waits at most `timeout_s`, and any
failure is logged in one line (the webhook named by its host only: a URL may carry a token)
and returned, never raised.
"""

import json
import logging
import os
import subprocess
from urllib.parse import urlsplit

import httpx

from core.config import AlertsConfig
from core.redaction import redact

log = logging.getLogger("gapwatch.alerts")


def send(alerts: AlertsConfig | None, event: dict) -> list[str]:
    """Deliver `event` everywhere `[alerts]` says; the failures, one line each (also logged)."""
    if alerts is None:
        return []
    body = json.dumps(event, default=str)
    failures = []
    url = alerts.webhook_url or (os.environ.get(alerts.webhook_url_env or "") or None)
    if alerts.webhook_url_env and not url:
        failures.append(f"webhook not called: environment variable {alerts.webhook_url_env} "
                        "is not set")
    if url:
        failures += _post(url, body, alerts.timeout_s)
    if alerts.command:
        failures += _run(alerts.command, body, alerts.timeout_s)
    for failure in failures:
        log.warning("alert not delivered: %s", failure)
    return failures


def _post(url: str, body: str, timeout_s: float) -> list[str]:
    where = f"webhook at {urlsplit(url).netloc or 'an unreadable address'}"
    try:
        response = httpx.post(url, content=body, timeout=timeout_s,
                              headers={"content-type": "application/json"})
    except httpx.HTTPError as exc:
        return [f"{where}: {type(exc).__name__}: {redact(str(exc).replace(url, '<webhook>'))}"]
    if response.status_code >= 300:
        return [f"{where} answered HTTP {response.status_code}"]
    return []


def _run(command: list[str], body: str, timeout_s: float) -> list[str]:
    where = f"command {command[0]}"
    try:
        done = subprocess.run(command, input=body, text=True, capture_output=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return [f"{where} did not finish within {timeout_s:g} s (stopped)"]
    except OSError as exc:
        return [f"{where} could not start: {exc.strerror or exc}"]
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"{where} exited with code {done.returncode}: {redact(last)[:200]}"]
    return []
