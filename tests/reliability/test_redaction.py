"""Masking secrets: every form of a secret value, never ordinary words, log records whichever logger writes them,
and a warning (naming the setting, not the value) for secrets too short to mask."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.redaction import MASK, SecretRedactor, redact_logs
from kintone_mcp.settings import load_settings

SECRET = 'p@ss w0rd/"quoted"\\and ü'


def test_every_form_of_a_secret_is_masked() -> None:
    redactor = SecretRedactor([SECRET])
    for form in (SECRET, json.dumps(SECRET)[1:-1], json.dumps(SECRET, ensure_ascii=False)[1:-1], repr(SECRET)[1:-1],
                 quote(SECRET, safe=""), quote(SECRET, safe="").replace("%20", "+")):  # fmt: skip
        assert redactor.redact(f"before {form} after") == f"before {MASK} after", form


def test_ordinary_words_are_left_alone() -> None:
    # The sandbox's password is "sandbox": masking it word by word garbled every message about the sandbox.
    creds = Credentials(rest=PasswordAuth("Administrator", "sandbox"))
    redactor = SecretRedactor(creds.secret_values)
    text = "Unexpected error in the sandbox; see its log for details."
    assert redactor.redact(text) == text
    # ...while the header made from it, as good as the password, is still masked.
    header = creds.rest.secret_values()[1]  # type: ignore[union-attr]
    assert redactor.redact(f"got {header}") == f"got {MASK}"


def test_a_longer_secret_is_masked_before_a_shorter_one_inside_it() -> None:
    redactor = SecretRedactor(["abcdefgh", "abcdefgh-and-more"])
    assert redactor.redact("x abcdefgh-and-more y abcdefgh") == f"x {MASK} y {MASK}"


def test_secrets_that_change_are_followed() -> None:
    current = ["first-token-0001"]
    redactor = SecretRedactor(lambda: current)
    assert redactor.redact("first-token-0001") == MASK
    current[:] = ["second-token-002"]  # an OAuth refresh
    assert redactor.redact("first-token-0001 second-token-002") == f"first-token-0001 {MASK}"


def test_log_records_are_masked_whatever_the_logger_and_handler(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with redact_logs(SecretRedactor([SECRET])):
        logging.getLogger("some.library").debug("sent %s", {"password": SECRET})
        try:
            raise RuntimeError(f"boom {SECRET}")
        except RuntimeError:
            logging.getLogger("another").exception("failed")
        logging.getLogger("x").info("a %s b", "plain")
    logging.getLogger("after").info("after closing: %s", SECRET)
    assert SECRET not in "".join(caplog.handler.format(r) for r in caplog.records[:3])
    assert caplog.records[0].getMessage() == f"sent {{'password': '{MASK}'}}"
    assert "RuntimeError: boom ***" in caplog.handler.format(caplog.records[1])
    assert caplog.records[2].args == ("plain",)  # records without secrets are left as they are
    assert SECRET in caplog.records[3].getMessage()  # closed: no longer masked


def test_short_secrets_are_warned_about_by_name(caplog: pytest.LogCaptureFixture) -> None:
    env = {"KINTONE_BASE_URL": "https://example.cybozu.com", "KINTONE_USERNAME": "sato", "KINTONE_PASSWORD": "hunter2"}
    with caplog.at_level(logging.WARNING, logger="kintone_mcp.settings"):
        load_settings(env=env)
    assert "KINTONE_PASSWORD is shorter than 8 characters" in caplog.text and "hunter2" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kintone_mcp.settings"):
        load_settings(env={**env, "KINTONE_BASE_URL": "http://127.0.0.1:8787"})  # a local sandbox: no warning
        load_settings(env={**env, "KINTONE_PASSWORD": "long-enough-password"})
    assert "shorter than" not in caplog.text
