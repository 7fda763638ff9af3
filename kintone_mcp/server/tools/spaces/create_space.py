"""The ``create_space`` tool: a space made from a space template (``template/space.json``)."""

from __future__ import annotations

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.errors import ToolInputError
from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import state_of
from kintone_mcp.server.tools.arguments import Ctx, InRange
from kintone_mcp.server.tools.spaces._common import NEEDS, CodesArg
from kintone_mcp.server.tools.spaces._members import build
from kintone_mcp.server.tools.spec import ToolSpec, write


class SpaceCreated(Out):
    id: int


async def create_space(
    ctx: Ctx,
    template: Annotated[int, Field(ge=1, description="Space template id."), InRange],
    name: Annotated[str, Field(min_length=1)],
    admins: Annotated[list[str], Field(min_length=1, description="One user at least.")],
    members: CodesArg = None,
    private: bool | None = None,
    guest: bool | None = None,
) -> Annotated[CallToolResult, SpaceCreated]:
    """Create a space from a template with admins and members (codes as in members); answers its id. Password sign-in
    only.
    """
    guest = bool(guest)
    private = bool(private) or guest  # a guest space is always private in Kintone
    wanted = build(admins=admins, members=members or [])
    if not any(m.is_admin and m.entity.type == "USER" for m in wanted):
        raise ToolInputError("admins needs at least one user (a code without org:/group:): Kintone requires a "
                             "user as space admin.")
    space = await state_of(ctx).client.create_space_from_template(
        template, name, wanted, private=private, guest=guest
    )
    return ok(SpaceCreated(id=space))


SPEC: ToolSpec = write(
    create_space, "Create a space",
    summary="Create a space from a space template, with admins and members; password auth",
    idempotent=False, toolset="spaces", needs=NEEDS,
)
