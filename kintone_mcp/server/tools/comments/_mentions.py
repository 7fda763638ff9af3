"""How a mention is written, in add_comment's argument and get_comments' answer alike."""

from __future__ import annotations

#: Kintone's entity type -> the prefix before its code ("org:support"); users have none.
MENTION_PREFIX = {"USER": "", "ORGANIZATION": "org:", "GROUP": "group:"}
