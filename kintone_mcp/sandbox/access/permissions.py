"""Whether a caller may use an app: an API token needs the permission for that app; a user needs to be on the app's
list of allowed users (the Administrator always is)."""

from __future__ import annotations

from typing import Literal

from kintone_mcp.sandbox.access.principals import Principal
from kintone_mcp.sandbox.errors import ErrorReply
from kintone_mcp.sandbox.store.appstore import AppInfo
from kintone_mcp.sandbox.store.directory import ADMIN_LOGIN

Permission = Literal["view", "add", "edit", "delete", "manage"]


def check_app_permission(
    principal: Principal, info: AppInfo, permission: Permission | tuple[Permission, ...]
) -> None:
    """``permission`` may name several rights, any one of which is enough (reading live fields takes viewing,
    adding or managing: cybozu.dev's "required permissions" of each settings read)."""
    if principal.uses_token:
        granted = principal.token_apps.get(info.id)
        wanted = (permission,) if isinstance(permission, str) else permission
        if granted is None or not any(p in granted for p in wanted):
            raise ErrorReply(
                403,
                "GAIA_NO01",
                "Using this API token, you cannot run the specified API: "
                + (
                    f"no token for app {info.id} was sent."
                    if granted is None
                    else f"the token for app {info.id} lacks the '{' or '.join(wanted)}' permission."
                ),
            )
        return
    if info.allowed_users is not None and principal.login not in info.allowed_users and principal.login != ADMIN_LOGIN:
        raise ErrorReply(403, "CB_NO02", f"No privilege to proceed: {principal.login} may not use app {info.id}.")
