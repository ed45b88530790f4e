"""Redaction on its own, form by form: what it must take out of a message and what it must leave.

The end-to-end sweeps (a real CLI run, the warehouse, pages, logs) are in tests/test_key_leaks.py;
these are the cases the mutation bench (bench/mutation.py) showed they could not tell apart:
which variables are secrets, which printed forms of a value are caught, and that ordinary text
and short values are left alone."""

import json
import logging
from urllib.parse import quote

import pytest

from core import redaction
from core.redaction import RedactingFilter, redact, treat_as_secret

KEY = "sk-test-1234567890abcdef"


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "HF_TOKEN", "DB_SECRET", "PG_PASSWORD"])
def test_variables_named_as_secrets_are_redacted_by_name(monkeypatch, name):
    monkeypatch.setenv(name, KEY)
    assert redact(f"sent {KEY} twice: {KEY}.") == f"sent <{name}> twice: <{name}>."


@pytest.mark.parametrize("name", ["KEYBOARD_LAYOUT", "MY_KEYS", "TOKENIZER", "HOME_PATH"])
def test_other_variables_are_left_alone(monkeypatch, name):
    monkeypatch.setenv(name, KEY)
    assert redact(f"value {KEY}") == f"value {KEY}"


def test_a_configured_key_variable_is_a_secret_whatever_its_name(monkeypatch):
    monkeypatch.setattr(redaction, "_SECRET_NAMES", set())
    monkeypatch.setenv("GAPWATCH_PROVIDER_CREDENTIAL", KEY)
    assert redact(KEY) == KEY
    treat_as_secret("GAPWATCH_PROVIDER_CREDENTIAL")
    assert redact(f"x {KEY} y") == "x <GAPWATCH_PROVIDER_CREDENTIAL> y"


@pytest.mark.parametrize("value", [" \t" + KEY + "\r\n", '"' + KEY + '"', "'" + KEY + "' "])
def test_every_printed_form_of_a_value_with_junk_around_it(monkeypatch, value):
    """As set, stripped of whitespace, stripped of quotes and whitespace, and each as repr,
    JSON, bytes repr and URL escapes print it."""
    monkeypatch.setenv("X_API_KEY", value)
    core = value.strip(" \t\r\n\"'")
    forms = {value, value.strip(), core}
    for plain in list(forms):
        forms |= {repr(plain)[1:-1], json.dumps(plain)[1:-1],
                  repr(plain.encode())[2:-1], quote(plain, safe="")}
    for form in forms:
        assert redact(f"[{form}]") == "[<X_API_KEY>]", form
    assert KEY not in redact(f"Illegal header value b'Bearer {KEY}\\r'")


def test_a_value_with_characters_escapes_change(monkeypatch):
    value = 'k3y/with "quotes"&é\\slash'
    monkeypatch.setenv("ODD_TOKEN", value)
    for form in (value, repr(value)[1:-1], json.dumps(value)[1:-1],
                 repr(value.encode("utf-8", "backslashreplace"))[2:-1], quote(value, safe="")):
        assert redact(f"<<{form}>>") == "<<<ODD_TOKEN>>>", form


def test_short_values_and_empty_text_are_left_alone(monkeypatch):
    monkeypatch.setenv("SHORT_KEY", "abc1234")  # 7 characters: would redact ordinary words
    monkeypatch.setenv("PADDED_KEY", "  abc1234  ")  # 7 once stripped
    monkeypatch.setenv("EIGHT_KEY", "abcd1234")
    assert redact("abc1234 and abcd1234") == "abc1234 and <EIGHT_KEY>"
    assert redact("") == "" and redact(None) is None


def test_the_longest_form_is_replaced_first(monkeypatch):
    """`"key"` in a JSON body loses its quotes with the key, not just the key inside them."""
    monkeypatch.setenv("Q_API_KEY", f'"{KEY}"')
    assert redact(f'{{"auth": "{KEY}"}}') == '{"auth": <Q_API_KEY>}'


def test_the_log_filter_redacts_message_arguments_and_traceback(monkeypatch):
    monkeypatch.setenv("LOG_API_KEY", KEY)
    try:
        raise ValueError(f"bad key {KEY}")
    except ValueError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "sent %s", (KEY,),
                                   sys.exc_info())
    assert RedactingFilter().filter(record) is True
    assert (record.msg, record.args, record.exc_info) == ("sent <LOG_API_KEY>", (), None)
    assert "bad key <LOG_API_KEY>" in record.exc_text and KEY not in record.exc_text
    plain = logging.LogRecord("t", logging.INFO, __file__, 1, "no secret", (), None)
    RedactingFilter().filter(plain)
    assert plain.exc_text is None and plain.getMessage() == "no secret"


def test_redact_logging_puts_one_filter_on_every_handler():
    root = logging.getLogger()
    handlers = [logging.StreamHandler(), logging.StreamHandler()]
    for handler in handlers:
        root.addHandler(handler)
    try:
        redaction.redact_logging()
        redaction.redact_logging()
        assert all(sum(isinstance(f, RedactingFilter) for f in h.filters) == 1 for h in handlers)
    finally:
        for handler in handlers:
            root.removeHandler(handler)


def test_a_value_that_is_not_utf_8_is_redacted_without_an_error(monkeypatch):
    """An environment value with a byte that is not UTF-8 reaches Python as a lone surrogate;
    its bytes form is printed with backslash escapes, and redacting must not raise."""
    value = "sk-bytes-12345678\udcff"
    monkeypatch.setenv("RAW_API_KEY", value)
    assert redact(f"a {value} b") == "a <RAW_API_KEY> b"
    escaped = repr(value.encode("utf-8", "backslashreplace"))[2:-1]
    assert escaped.endswith("\\\\udcff")
    assert redact(f"b'{escaped}'") == "b'<RAW_API_KEY>'"
    assert redact("?key=sk-bytes-12345678%FF") == "?key=<RAW_API_KEY>"
