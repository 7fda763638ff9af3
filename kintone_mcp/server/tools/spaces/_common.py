"""What the space tools share: the space argument, member codes ("sato", "org:sales", "group:managers"), and the
credential every space API needs (password authentication: docs/kintone-api.md §2.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from kintone_mcp.server.tools.arguments import InRange
from kintone_mcp.server.tools.comments._mentions import MENTION_PREFIX

if TYPE_CHECKING:
    from kintone_mcp.client.models.comments import Mention
    from kintone_mcp.client.models.spaces import MemberEntity

def _positive(value: int) -> int:
    # Checked here rather than as a schema `minimum`, which would lengthen every space tool's schema.
    if value < 1:
        raise ValueError("ids are 1 or more")
    return value


Positive = AfterValidator(_positive)
SpaceArg = Annotated[int, Field(description="Space id."), Positive, InRange]
ThreadArg = Annotated[int, Field(description="Thread id (see get_space)."), Positive, InRange]
CodesArg = Annotated[list[str] | None, Field(description='User codes, "org:CODE" or "group:CODE".')]
#: the same, for the further arguments of a tool whose first such argument says it
MoreCodesArg = list[str] | None
#: every space tool needs password authentication: Kintone refuses API tokens and OAuth on the space APIs
NEEDS = ("password",)


def split_code(code: str) -> tuple[str, str]:
    """("USER" | "ORGANIZATION" | "GROUP", bare code) of a code as the tools write it."""
    for kind, prefix in MENTION_PREFIX.items():
        if prefix and code.startswith(prefix):
            return kind, code.removeprefix(prefix)
    return "USER", code


def written(entity: MemberEntity) -> str:
    """An entity in the tools' form (the inverse of ``split_code``)."""
    return MENTION_PREFIX.get(entity.type, "") + entity.code


def mentions_of(codes: list[str] | None) -> list[Mention]:
    from kintone_mcp.client.models.comments import Mention

    return [Mention(code=c, type=k) for k, c in map(split_code, codes or [])]
