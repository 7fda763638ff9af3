"""The registry: every tool's ``SPEC`` in the order ``tools/list`` gives them (``ALL_TOOLS``).

Importing this module imports every tool module (and with them the MCP SDK), which is why it is not the package's
``__init__``: code that needs one tool's logic, such as the transfer engine the commands use, must not pay for all.
"""

from __future__ import annotations

from kintone_mcp.server.tools.app_info import get_app, list_apps
from kintone_mcp.server.tools.apps import (
    add_fields,
    create_app,
    delete_fields,
    deploy_app,
    get_permissions,
    update_app_settings,
    update_fields,
    update_layout,
    update_process,
    update_views,
)
from kintone_mcp.server.tools.comments import add_comment, get_comments
from kintone_mcp.server.tools.connection import test_connection
from kintone_mcp.server.tools.files import download_file, upload_file
from kintone_mcp.server.tools.process import update_assignees, update_status, update_statuses
from kintone_mcp.server.tools.records import (
    add_record,
    add_records,
    aggregate_records,
    delete_records,
    export_records,
    get_record,
    get_records,
    import_records,
    update_record,
    update_records,
    upsert_records,
)
from kintone_mcp.server.tools.search import search
from kintone_mcp.server.tools.spaces import (
    add_thread_comment,
    create_space,
    create_thread,
    delete_space,
    get_space,
    update_space,
    update_space_members,
    update_thread,
)
from kintone_mcp.server.tools.spec import ToolSpec
from kintone_mcp.server.tools.users import list_users

__all__ = ["ALL_TOOLS"]

ALL_TOOLS: list[ToolSpec] = [
    test_connection.SPEC,
    list_apps.SPEC,
    get_app.SPEC,
    get_records.SPEC,
    get_record.SPEC,
    aggregate_records.SPEC,
    export_records.SPEC,
    add_record.SPEC,
    add_records.SPEC,
    update_record.SPEC,
    update_records.SPEC,
    upsert_records.SPEC,
    delete_records.SPEC,
    import_records.SPEC,
    update_status.SPEC,
    update_statuses.SPEC,
    update_assignees.SPEC,
    get_comments.SPEC,
    add_comment.SPEC,
    search.SPEC,
    download_file.SPEC,
    upload_file.SPEC,
    list_users.SPEC,
    # the apps toolset (off by default: KINTONE_TOOLSETS)
    create_app.SPEC,
    add_fields.SPEC,
    update_fields.SPEC,
    delete_fields.SPEC,
    update_layout.SPEC,
    update_app_settings.SPEC,
    update_views.SPEC,
    update_process.SPEC,
    get_permissions.SPEC,
    deploy_app.SPEC,
    # the spaces toolset (off by default)
    get_space.SPEC,
    create_space.SPEC,
    update_space.SPEC,
    update_space_members.SPEC,
    delete_space.SPEC,
    create_thread.SPEC,
    update_thread.SPEC,
    add_thread_comment.SPEC,
]
