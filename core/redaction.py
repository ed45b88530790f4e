"""Scrubbing secrets out of text before it reaches a row, a log or a message.

It lives in `core`, importing nothing else of GapWatch, because provider and price-source
adapters need it too: taking it from `collectors.runner` made importing one adapter load the
runner, the spool, the warehouse and pandas (docs/architecture.md, #19).
"""

import os
import re

SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)$")


def redact(text: str | None) -> str | None:
    """Remove any secret-looking environment value from text bound for rows or logs."""
    if not text:
        return text
    for name, value in os.environ.items():
        if SECRET_ENV.search(name) and len(value) >= 8 and value in text:
            text = text.replace(value, f"<{name}>")
    return text
