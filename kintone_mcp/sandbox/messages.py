"""Localised error messages (Accept-Language en/ja). Seam only: the table lands in its own commit."""

from __future__ import annotations


def localize(code: str, default_message: str, accept_language: str | None) -> str:
    return default_message
