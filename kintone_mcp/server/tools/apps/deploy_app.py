"""The ``deploy_app`` tool: makes apps' preview settings live (or discards them) and waits until Kintone is done."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from mcp.types import CallToolResult
from pydantic import Field

from kintone_mcp.server.results import Out, ok
from kintone_mcp.server.state import ServerState, state_of
from kintone_mcp.server.tools.arguments import Ctx
from kintone_mcp.server.tools.confirming import app_named, apps_named, names_shown
from kintone_mcp.server.tools.spec import Effect, ToolSpec, write

#: How long a deploy is waited for. Kintone deploys take seconds, a large app's a minute or two; past this the
#: answer says it is still running rather than block the conversation.
WAIT_SECONDS = 120.0
#: First pause between status polls; doubles up to _MAX_POLL.
_FIRST_POLL = 0.2
_MAX_POLL = 3.0


class Deployed(Out):
    app: int
    status: Literal["SUCCESS", "FAIL", "CANCEL", "PROCESSING"]
    reason: str | None = None


class DeployResult(Out):
    apps: list[Deployed]
    reverted: bool
    note: str


async def deploy_app(
    ctx: Ctx,
    apps: Annotated[list[int | str], Field(min_length=1, max_length=300, description="App ids or aliases.")],
    revert: Annotated[bool, Field(description="Discard the pending preview changes instead of deploying.")] = False,
) -> Annotated[CallToolResult, DeployResult]:
    """Deploy apps' pending design changes (or discard them with revert: true) and wait until Kintone has finished;
    answers SUCCESS, FAIL or CANCEL per app. Never poll by hand."""
    state = state_of(ctx)
    ids = list(dict.fromkeys(state.policy.resolve_app(a) for a in apps))
    await state.client.deploy_apps(ids, revert=revert)
    statuses: dict[int, str] = {}
    pause = _FIRST_POLL
    with anyio.move_on_after(WAIT_SECONDS):
        while True:
            statuses = await state.client.deploy_status(ids)
            pending = [a for a in ids if statuses.get(a, "PROCESSING") == "PROCESSING"]
            await ctx.report_progress(len(ids) - len(pending), len(ids), "deploying")
            if not pending:
                break
            await anyio.sleep(pause)
            pause = min(pause * 2, _MAX_POLL)
    for app_id in ids:
        # Record tools must see the new form at once, not after the schema cache's minute.
        state.schemas.forget(app_id)
    results = [_result(a, statuses.get(a, "PROCESSING"), revert=revert) for a in ids]
    for result in results:
        if result.status == "FAIL" and (why := await _why_failed(state, result.app)):
            result.reason = f"{why}; fix it (update_fields or delete_fields) and deploy again, or revert"
    # Kintone may report a finished revert as CANCEL (the sandbox does; docs/kintone-api.md §4.1): both are done.
    done = {"SUCCESS", "CANCEL"} if revert else {"SUCCESS"}
    failed = [r.app for r in results if r.status not in done]
    if revert and not failed:
        note = "Pending changes discarded; the live settings are unchanged."
    elif revert:
        note = f"Not reverted: apps {failed}; their pending changes are still there."
    elif not failed:
        note = "Live now: record tools see the new fields, views and process at once."
    else:
        note = f"Not deployed: apps {failed}; their pending changes are kept (get_app with preview: true shows them)."
    return ok(DeployResult(apps=results, reverted=revert, note=note))


async def _why_failed(state: ServerState, app_id: int) -> str | None:
    """Kintone's deploy status says FAIL without a reason; a lookup or related-records field whose source app or
    field is gone is the usual one, so look for it in the pending fields."""
    from kintone_mcp.client.errors import ApiError

    try:
        props = (await state.client.get_fields(app_id, preview=True)).raw()
    except ApiError:
        return None
    sources: dict[int, dict[str, Any]] = {}
    for code, prop in props.items():
        for inner_code, inner in [(code, prop), *(prop.get("fields") or {}).items()]:
            lookup, table = inner.get("lookup"), inner.get("referenceTable")
            source = lookup or table
            if not isinstance(source, dict):
                continue
            related = int((source.get("relatedApp") or {}).get("app") or 0)
            if related not in sources:
                try:
                    sources[related] = dict((await state.client.get_fields(related)).raw())
                except ApiError as exc:
                    return f"{inner_code} reads from app {related}, which cannot be read ({exc.summary.lower()})"
            needed = (
                [lookup.get("relatedKeyField"), *(m.get("relatedField") for m in lookup.get("fieldMappings") or [])]
                if isinstance(lookup, dict)
                else [((table or {}).get("condition") or {}).get("relatedField")]
            )
            missing = [f for f in needed if f and f not in sources[related]]
            if missing:
                gone = ", ".join(map(str, missing))
                return f"{inner_code} reads field(s) {gone} of app {related}, which it no longer has"
    return None


def _result(app: int, status: str, *, revert: bool) -> Deployed:
    if status == "SUCCESS":
        return Deployed(app=app, status="SUCCESS")
    if status == "PROCESSING":
        return Deployed(
            app=app,
            status="PROCESSING",
            reason=f"still running after {WAIT_SECONDS:.0f} s; call deploy_app again later to wait for it",
        )
    if status == "CANCEL" and revert:
        return Deployed(app=app, status="CANCEL", reason="the pending changes were discarded, as asked")
    if status == "CANCEL":
        return Deployed(app=app, status="CANCEL", reason="cancelled because another app of the same deploy failed")
    return Deployed(
        app=app,
        status="FAIL",
        reason=(
            "Kintone refused the settings (it does not say which; a lookup or related-records field whose source "
            "app or field is gone is the usual cause): check the preview with get_app"
            + ("" if revert else ", fix it, and deploy again, or revert")
        ),
    )


async def confirm_deploy_app(ctx: Ctx, apps: list[int | str], revert: bool = False) -> Effect:
    """Destructive for a revert (the pending changes are discarded) and for a deploy that deletes fields or
    process states (with their values): "Deploy Deals (app 2), deleting the fields notes, amount and their values
    in every record?"."""
    state = state_of(ctx)
    ids = list(dict.fromkeys(state.policy.resolve_app(a) for a in apps))
    if revert:
        return Effect(f"Discard the pending design changes of {await apps_named(state, ids)}? They cannot be restored.")
    losses = []
    for app_id in ids:
        live = dict((await state.client.get_fields(app_id)).raw())
        preview = dict((await state.client.get_fields(app_id, preview=True)).raw())
        fields = [c for c in live if c not in preview]
        before = {s.name for s in (await state.client.get_process_settings(app_id)).ordered_states()}
        after = {s.name for s in (await state.client.get_process_settings(app_id, preview=True)).ordered_states()}
        gone = [f"the fields {names_shown(fields)} and their values in every record"] if fields else []
        gone += [f"the process states {names_shown(sorted(before - after))}"] if before - after else []
        if gone:
            losses.append(f"{await app_named(state, app_id)}, deleting {' and '.join(gone)}")
    if not losses:
        return Effect(f"Deploy the pending design changes of {await apps_named(state, ids)}?", destructive=False)
    return Effect(f"Deploy {'; '.join(losses)}?")


SPEC: ToolSpec = write(
    deploy_app,
    "Deploy app changes",
    summary="Deploy (or with revert: discard) apps' pending changes, waiting for Kintone; SUCCESS / FAIL per app",
    idempotent=True,
    destructive=True,
    toolset="apps",
    confirm=confirm_deploy_app,
)
