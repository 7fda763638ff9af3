"""A sandbox that accepts canary credentials, shared by the ``kintone-mcp connection`` tests."""

from __future__ import annotations

from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.options import ApiTokenSpec, UserApiTokenSpec, UserSpec

PASSWORD = "pw-CANARY-conn-5a1f9e37"
WRONG_PASSWORD = "pw-CANARY-wrong-0b2c4d6e"
TOKEN = "tokCANARYconn2b8e4f0a1c3d5b7f9e1a3c5d7b9f1a"
BASIC_PASSWORD = "basic-CANARY-conn-77e1"
USER_API_TOKEN = "cy.s.api1.CANARYconnuser.eyJleHAiOjB9.c2lnbmF0dXJl"
PASSPHRASE = "passphrase-CANARY-conn-1c9d"
#: every canary; none may ever appear in anything the command prints or in the connections file
CANARIES = (PASSWORD, WRONG_PASSWORD, TOKEN, BASIC_PASSWORD, USER_API_TOKEN, PASSPHRASE)


def canary_sandbox() -> Sandbox:
    return Sandbox(
        SandboxConfig(
            demo=True,
            demo_records=10,
            users=[UserSpec("Administrator", PASSWORD)],
            api_tokens=[ApiTokenSpec(2, TOKEN)],
            user_api_tokens=[UserApiTokenSpec(USER_API_TOKEN, scope="read")],
        )
    )


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text, f"a secret ({canary[:12]}…) reached the output: {text[:300]!r}"
