"""Localised error messages: language choice from Accept-Language, the message table, placeholders."""

from __future__ import annotations

import re
import string

import pytest

from kintone_mcp.sandbox import messages
from kintone_mcp.sandbox.messages import localize, localize_text, preferred_language

#: Every code the sandbox emits (docs/kintone-api.md §7.2); each needs both languages.
SANDBOX_CODES = [
    "CB_AU01", "CB_WA01", "CB_VA01", "CB_NO02", "CB_IJ01", "GAIA_NO01", "GAIA_IA02", "GAIA_DA03", "GAIA_AP01",
    "GAIA_RE01", "GAIA_RE02", "GAIA_RE20", "GAIA_BL01", "GAIA_CO02", "GAIA_IL23", "GAIA_QU01", "GAIA_QU02",
    "GAIA_IQ03", "GAIA_IQ07", "GAIA_IQ10", "GAIA_IQ11", "GAIA_IR02", "GAIA_LO04", "GAIA_ST02", "GAIA_IL03",
    "GAIA_NT01", "GAIA_TM12", "GAIA_TO04", "GAIA_SA01",
    # also raised by the sandbox core and query compiler, or by fault rules
    "CB_NF01", "CB_IL02", "CB_TW02", "GAIA_IL08", "GAIA_IQ23", "GAIA_IQ25", "GAIA_IL26", "GAIA_IL27", "GAIA_IL28",
    "GAIA_DA02", "GAIA_LT01", "GAIA_RE18", "GAIA_UN03",
]  # fmt: skip

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ja", "ja"),
        ("ja-JP", "ja"),
        ("JA-jp", "ja"),
        ("en", "en"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("ja,en-US;q=0.9,en;q=0.8", "ja"),
        ("en;q=0.5, ja", "ja"),  # order does not matter, q does
        ("en;q=0.8, ja;q=0.8", "en"),  # a tie goes to the first
        ("ja;q=0.8, en;q=0.8", "ja"),
        ("fr, ja;q=0.3", "ja"),  # unsupported languages are skipped, not a reason to give up
        ("fr", "en"),
        ("ja;q=0", "en"),  # q=0 means "not this language"
        ("ja;q=0, *", "en"),
        ("*", "en"),
        ("ja;q=abc, en;q=0.1", "en"),  # a malformed q drops that entry
        ("ja;q=2", "en"),  # out of range likewise
        (" ja ; q=0.9 , en ; q=0.4", "ja"),
        (",,;", "en"),
    ],
)
def test_preferred_language_reads_q_values(header: str | None, expected: str) -> None:
    assert preferred_language(header) == expected


@pytest.mark.parametrize("code", SANDBOX_CODES)
def test_every_emitted_code_has_both_languages(code: str) -> None:
    entry = messages.MESSAGES[code]
    assert entry.en and not JAPANESE.search(entry.en)
    assert JAPANESE.search(entry.ja), entry.ja
    # Generic messages have no unfilled placeholders; detailed ones come in pairs with the same placeholders.
    for text in (entry.en, entry.ja):
        assert "{" not in text and "}" not in text
    assert (entry.en_detail is None) == (entry.ja_detail is None)
    if entry.en_detail is not None and entry.ja_detail is not None:
        en_names = {n for _, n, _, _ in string.Formatter().parse(entry.en_detail) if n}
        ja_names = {n for _, n, _, _ in string.Formatter().parse(entry.ja_detail) if n}
        assert en_names and en_names == ja_names


@pytest.mark.parametrize("code", SANDBOX_CODES)
def test_localize_picks_japanese_only_when_preferred(code: str) -> None:
    assert localize(code, "caller's English", "ja") == messages.MESSAGES[code].ja
    assert localize(code, "caller's English", "en-US,ja;q=0.5") == "caller's English"
    assert localize(code, "caller's English", None) == "caller's English"


def test_english_uses_kintone_wording_where_known() -> None:
    assert localize("CB_AU01", "", None) == "Please login."
    assert localize("CB_VA01", "", None) == "Missing or invalid input."
    assert localize("CB_NO02", "", None) == "No privilege to proceed."
    assert localize("GAIA_NO01", "", None) == "Using this API token, you cannot run the specified API."


def test_placeholders_fill_the_detailed_form() -> None:
    # Kintone's own wording (measured on a real Kintone).
    assert localize("GAIA_RE01", "", "ja", {"id": 42}) == "指定したレコード（id: 42）が見つかりません。"
    assert localize("GAIA_RE01", "", "en", {"id": 42}) == "The specified record (ID: 42) is not found."
    assert localize("GAIA_IQ03", "", "ja", {"field": "Title", "operator": ">"}) == (
        "フィールド「Title」には演算子「>」を使用できません。"
    )
    assert localize("GAIA_TO04", "", "ja", {"limit": 100}) == (
        "同時リクエスト数が上限（100）を超えました。しばらく待ってから再実行してください。"
    )


def test_incomplete_params_fall_back_to_the_generic_sentence() -> None:
    generic = messages.MESSAGES["GAIA_IQ03"].ja
    assert localize("GAIA_IQ03", "", "ja", {"field": "Title"}) == generic
    assert localize("GAIA_IQ03", "", "ja", {}) == generic
    # Extra parameters are harmless.
    assert localize("GAIA_AP01", "", "ja", {"app": 7, "unused": "x"}) == (
        "指定したアプリ（id: 7）が見つかりません。削除されている可能性があります。"
    )


def test_caller_message_wins_in_english_even_with_params() -> None:
    assert localize("GAIA_RE01", "Record 5 of app 2 is gone.", "en", {"id": 5}) == "Record 5 of app 2 is gone."


def test_unknown_code_keeps_the_caller_message_in_every_language() -> None:
    assert localize("GAIA_XX99", "Something odd.", "ja") == "Something odd."
    assert localize("GAIA_XX99", "", "ja") == "GAIA_XX99"


def test_fixed_detail_sentences_translate() -> None:
    assert localize_text("Required.", "ja") == "必須です。"
    assert localize_text("Required.", "en") == "Required."
    assert localize_text("The query is invalid.", "ja;q=1, en;q=0.5") == "クエリの記述が正しくありません。"
    assert localize_text("Not in the table.", "ja") == "Not in the table."
