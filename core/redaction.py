"""Scrubbing secrets out of text before it reaches a row, a log or a message.

It lives in `core`, importing nothing else of GapWatch, because provider and price-source
adapters need it too: taking it from `collectors.runner` made importing one adapter load the
runner, the spool, the warehouse and pandas (docs/architecture.md, #19).

A secret is the value of an environment variable whose name ends in KEY, TOKEN, SECRET or
PASSWORD, or of any variable a config names as a model's `api_key_env` (`treat_as_secret`).
Each is redacted in every form a message can carry it (issue #26): as set, without the
whitespace or quotes around it, and as `repr`, JSON, bytes-`repr` and URL escapes print it: httpx
refused a key ending in CR with ``Illegal header value b'Bearer sk-...\\r'``, and matching the
exact value missed that escaped copy. A value holding a byte that is not UTF-8 (a lone surrogate
in Python) is escaped as its bytes would be, never an error: an error here would fail every log
line and row write while such a variable is set.
"""

import json
import logging
import os
import re
from urllib.parse import quote

SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)$")
MIN_CHARS = 8  # shorter values (a flag, a port) would redact ordinary words
AROUND = " \t\r\n\"'"
_SECRET_NAMES: set[str] = set()


def treat_as_secret(name: str) -> None:
    """Redact this variable's value too, whatever its name (a config's `api_key_env`)."""
    _SECRET_NAMES.add(name)


def redact(text: str | None) -> str | None:
    """Remove any secret environment value, in any of its printed forms, from text bound for
    rows, logs or messages."""
    if not text:
        return text
    for name, forms in _secret_forms():
        for form in forms:
            if form in text:
                text = text.replace(form, f"<{name}>")
    return text


def _secret_forms():
    """(variable, its value's forms longest first) for every secret set in the environment."""
    for name, value in os.environ.items():
        if not (SECRET_ENV.search(name) or name in _SECRET_NAMES):
            continue
        core = value.strip(AROUND)
        if len(core) < MIN_CHARS:
            continue
        forms = {value, value.strip(), core}
        for plain in list(forms):
            forms |= {repr(plain)[1:-1], json.dumps(plain)[1:-1],
                      repr(plain.encode("utf-8", "backslashreplace"))[2:-1],
                      quote(plain, safe="", errors="surrogateescape")}
        yield name, sorted((f for f in forms if len(f) >= MIN_CHARS), key=len, reverse=True)


class RedactingFilter(logging.Filter):
    """Redact each log record (its message and any traceback) before a handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def redact_logging() -> None:
    """Put the redacting filter on every handler of the root logger (call after configuring it)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
