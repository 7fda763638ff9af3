"""What the prompts share: how a prompt is declared (``PromptSpec``), how its arguments are checked and resolved
against live Kintone data (the app lists applied), and how a refusal reaches the person.

A prompt's arguments are typed by people in a host's menu, so an app may be given by id, alias or name and a field
by code or label; anything that cannot be resolved is refused with what would be accepted. A refusal is a JSON-RPC
error (``MCPError``): ``prompts/get`` has no error result, and the SDK replaces any other exception's text with a
generic one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from mcp.server.mcpserver.prompts import Prompt
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from kintone_mcp.client.errors import KintoneError, NotFoundError
from kintone_mcp.server.errors import describe_kintone_error
from kintone_mcp.server.lookups import AppEntry, Choice, app_choices, apps, fold, in_use, names_id_or_alias, ranked
from kintone_mcp.server.policy import AppNotAllowedError, Policy
from kintone_mcp.server.state import ServerState

T = TypeVar("T")

#: what a prompt argument names, for completions: app, field (of the kinds below), view, status, user
ArgumentKind = str

#: field types aggregate_records groups by (its `_GROUPABLE`): what a report can break down by
GROUPABLE = frozenset(
    {
        "SINGLE_LINE_TEXT", "LINK", "NUMBER", "CALC", "RADIO_BUTTON", "DROP_DOWN", "CHECK_BOX", "MULTI_SELECT",
        "DATE", "DATETIME", "TIME", "CREATED_TIME", "UPDATED_TIME", "STATUS", "CREATOR", "MODIFIER",
        "USER_SELECT", "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE", "RECORD_NUMBER",
    }
)  # fmt: skip
#: fields whose values people type or pick from a list, where the same thing ends up written several ways
TEXTUAL = frozenset({"SINGLE_LINE_TEXT", "LINK", "DROP_DOWN", "RADIO_BUTTON", "CHECK_BOX", "MULTI_SELECT"})
#: field-naming argument kinds -> the field types they offer
FIELD_KINDS: dict[ArgumentKind, frozenset[str]] = {"group_field": GROUPABLE, "text_field": TEXTUAL}


@dataclass(frozen=True)
class PromptSpec:
    fn: Callable[..., Awaitable[str]]
    title: str
    #: argument -> what it names (completions offer live values for these)
    completes: Mapping[str, ArgumentKind] = field(default_factory=dict)
    #: tools the prompt cannot do without: it is offered only when every one of them is
    needs: frozenset[str] = frozenset()
    #: the toolset whose icon the prompt shows in a host's menu
    toolset: str = "records"

    @property
    def name(self) -> str:
        return self.fn.__name__


class StrictPrompt(Prompt):
    """A prompt that refuses arguments it does not take and names missing ones, in words (the SDK's own check
    ends in a bare "Error rendering prompt")."""

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        known = {a.name: a for a in self.arguments or []}
        given = arguments or {}
        unknown = sorted(set(given) - set(known))
        missing = sorted(n for n, a in known.items() if a.required and not str(given.get(n) or "").strip())
        if unknown or missing:
            takes = ", ".join(f"{n}{'' if a.required else ' (optional)'}" for n, a in known.items())
            problems = [f"unknown argument(s) {', '.join(unknown)}"] if unknown else []
            problems += [f"missing {', '.join(missing)}"] if missing else []
            refuse(f"The prompt {self.name}: {'; '.join(problems)}. It takes: {takes}.")
        return await super().render(given, context)


def message(text: str) -> str:
    """The prompt's text as one paragraph per step: the source wraps lines at 120 columns, a host's display should
    wrap them itself."""
    return re.sub(r"(?<!\n)\n(?!\n|\d+\. )[ \t]*", " ", text.strip())


def refuse(text: str) -> NoReturn:
    raise MCPError(code=INVALID_PARAMS, message=text)


async def kintone(call: Awaitable[T]) -> T:
    """A Kintone call made while rendering a prompt; a failure is refused with the tools' own explanation."""
    try:
        return await call
    except KintoneError as exc:
        raise MCPError(code=INVALID_PARAMS, message=describe_kintone_error(exc)) from None


def write_note(policy: Policy, tool: str, toolset: str, instead: str) -> str:
    """A line telling the model that the write tool a prompt would use is not offered, and why; empty if it is."""
    if policy.tool_enabled(tool, writes=True, toolset=toolset):
        return ""
    why = "this server is read-only" if policy.read_only else f"this server does not offer {tool}"
    return f"\nNothing can be changed here ({why}): {instead}"


async def resolve_app(state: ServerState, given: str | None) -> AppEntry:
    """The app an argument means: an id, an alias (the allow / deny lists enforced with the policy's words), or an
    app name or app code among the apps this server may use; omitted, the default app."""
    policy = state.policy
    text = (given or "").strip()
    if not text or names_id_or_alias(policy, text):
        try:
            app_id = policy.resolve_app(text or None)
        except AppNotAllowedError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        try:
            app = await state.client.get_app(app_id)
        except NotFoundError:
            raise MCPError(
                code=INVALID_PARAMS, message=f"There is no app {app_id} (or it is not visible to this connection)."
            ) from None
        except KintoneError as exc:
            raise MCPError(code=INVALID_PARAMS, message=describe_kintone_error(exc)) from None
        alias = next((a for a, i in policy.aliases.items() if i == app_id), None)
        return AppEntry(id=app.app_id, name=app.name, code=app.code, alias=alias)
    entries = await kintone(apps(state))
    hits = [e for e in entries if fold(text) in (fold(e.name), fold(e.code))]
    if len(hits) == 1:
        return hits[0]
    if hits:
        refuse(
            f"Several apps are named {text!r}: " + ", ".join(f"{e.name} (id {e.id})" for e in hits) + ". Give the id."
        )
    by_value = {c.value: e for c, e in zip(app_choices(entries, uri_safe=False), entries, strict=True)}
    near = [by_value[v] for v in ranked([Choice(v, (v, e.name)) for v, e in by_value.items()], text)[:5]]
    hint = f" Did you mean {' or '.join(f'{e.name!r} (app {e.id})' for e in near)}?" if near else ""
    refuse(f"No app this server may use is named {text!r}.{hint} Give an app id, alias or name (list_apps lists them).")


def _columns(properties: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Top-level fields and subtable columns by code."""
    out: dict[str, Mapping[str, Any]] = {}
    for code, prop in properties.items():
        out[code] = prop
        for inner, column in (prop.get("fields") or {}).items() if prop.get("type") == "SUBTABLE" else ():
            out[inner] = column
    return out


async def resolve_field(
    state: ServerState, app: AppEntry, given: str, types: frozenset[str] | None = None
) -> tuple[str, Mapping[str, Any]]:
    """(code, properties) of the field an argument names by code or label, of ``types`` when given."""
    every = _columns(await kintone(state.fields(app.id)))
    text = given.strip()
    hits = [text] if text in every else [c for c, p in every.items() if fold(str(p.get("label", ""))) == fold(text)]
    if len(hits) > 1:
        refuse(f"Several fields of {app.name} are labelled {text!r}: {', '.join(hits)}. Give the field code.")
    if not hits:
        labels = {str(p.get("label", "")): c for c, p in every.items()} | {c: c for c in every}
        near = [labels[n] for n in difflib.get_close_matches(text, list(labels), n=3, cutoff=0.5)]
        hint = f" Did you mean {' or '.join(dict.fromkeys(near))}?" if near else ""
        refuse(f"{app.name} (app {app.id}) has no field with the code or label {text!r}.{hint}")
    code = hits[0]
    prop = every[code]
    if (types is not None and prop.get("type") not in types) or not in_use(prop):
        refuse(f"{code} in {app.name} is a {prop.get('type')} field, which this prompt cannot work with.")
    return code, prop


def field_of_type(properties: Mapping[str, Any], ftype: str) -> str | None:
    """The code of the app's field of a system type (STATUS, STATUS_ASSIGNEE): apps may rename them."""
    return next((c for c, p in properties.items() if p.get("type") == ftype), None)


def app_label(app: AppEntry) -> str:
    """How a prompt names the app to the model: its name for the person, its id for the tools."""
    return f"{app.name} (app={app.id})"
