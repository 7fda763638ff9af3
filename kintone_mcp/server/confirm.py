"""Confirmation of destructive calls: before a tool call that destroys data runs, the person is asked, through
MCP elicitation, with one line computed from the call's arguments and the live data ("Delete 37 records from Deals
(app 2; ids 12-48)?").

What asks is decided by KINTONE_CONFIRM (``ServerOptions.confirm``):

- ``destructive`` (the default): a call whose tool summary says it is destructive (``ToolSpec.confirm``; a tool
  without one: when the tool is marked ``destructive``). A client that cannot elicit: the call goes ahead as it
  always has (the tool annotations still say ``destructiveHint``, which hosts use for their own prompts).
- ``writes``: every write. A client that cannot elicit: the write is refused, with the reason and the fix.
- ``never``: nothing asks.

Both protocol eras the SDK serves are spoken (docs/mcp-sdk.md §7):

- 2026-07-28 and later: the call is answered with an ``InputRequiredResult`` holding the question; the client asks
  the person and calls again with the same arguments, the answer in ``inputResponses`` and our ``requestState``
  echoed. The SDK seals that state and binds it to the tool name and the arguments' digest (``RequestStateBoundary``),
  so a retry for another call, a forged state or one older than its lifetime never reaches this module. The state
  holds the digest of the question asked; the question is computed again on the retry, and an answer to a question
  that has changed meanwhile (37 records matched then, 40 now) is not taken: the new question is asked.
- Up to 2025-11-25: an ``elicitation/create`` request is sent mid-call and its answer awaited.

The answer is read as accept / decline / cancel only: the form has no fields. Declining and cancelling answer an
``isError`` result that says nothing was changed and that the call must not be repeated unless the person asks:
an error, not a success, because a success must carry the tool's structured output, which would read as done.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pydantic
from mcp.types import (
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
)
from mcp_types.version import is_version_at_least
from pydantic_core import to_jsonable_python

from kintone_mcp.server.results import failure
from kintone_mcp.server.state import ServerState
from kintone_mcp.server.tools.spec import Effect, ToolSpec

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from mcp.types import CallToolResult

logger = logging.getLogger(__name__)


#: The key of our one question in ``inputRequests`` / ``inputResponses``.
QUESTION_KEY = "kintone_mcp.confirm"
#: The first protocol version whose tools/call asks through InputRequiredResult (docs/mcp-sdk.md §7.1).
_INPUT_REQUIRED_SINCE = "2026-07-28"
#: An empty form: the person answers with the host's accept / decline buttons alone.
_FORM: dict[str, Any] = {"type": "object", "properties": {}}
#: Longest question sent; a summary is one line and this only guards against a runaway one.
_MAX_QUESTION = 500
#: Longest argument value the default summary quotes.
_MAX_SHOWN_VALUE = 60

Validate = Callable[[dict[str, Any]], dict[str, Any]]


async def gate(
    spec: ToolSpec, arguments: dict[str, Any], context: Context[Any, Any] | None, validate: Validate
) -> CallToolResult | InputRequiredResult | None:
    """None: the call may run. Otherwise the answer to send instead: the question (2026-07-28 era), or a result
    saying the call was not run (declined, cancelled, or refused because it could not be confirmed).

    Arguments that do not validate are not asked about: None lets the tool answer its usual error.
    Raises what the tool's summary raises (an app the policy blocks, a Kintone error): the caller answers it as the
    tool's own failure, and nothing has been changed.
    """
    state = _state(context)
    if context is None or state is None or not spec.writes or state.options.confirm == "never":
        return None
    mode = state.options.confirm
    modern = _input_required(context.protocol_version)
    can_ask = _can_elicit(context.session.client_capabilities) and (modern or context.session.can_send_request)
    if not can_ask and mode == "destructive":
        # As before confirmation existed, and without the summary's reads: hosts that cannot elicit keep working,
        # on the tool annotations (destructiveHint) alone.
        return None
    try:
        values = validate(arguments)
    except pydantic.ValidationError:
        return None
    effect = await _summarize(spec, context, values)
    if effect is None or (mode == "destructive" and not effect.destructive):
        return None
    question = _one_line(effect.text)
    if not can_ask:
        return _refused(spec, question)
    if modern:
        return _modern(spec, question, context)
    return await _legacy(spec, question, context)


def _state(context: Context[Any, Any] | None) -> ServerState | None:
    if context is None:
        return None
    try:
        state = context.request_context.lifespan_context
    except ValueError:  # a Context outside a request (MCPServer.call_tool called directly)
        return None
    return state if isinstance(state, ServerState) else None


async def _summarize(spec: ToolSpec, context: Context[Any, Any], values: dict[str, Any]) -> Effect | None:
    if spec.confirm is not None:
        return await spec.confirm(context, **values)
    return Effect(default_text(spec, values), destructive=spec.destructive)


def default_text(spec: ToolSpec, values: Mapping[str, Any]) -> str:
    """The question for a tool that gives no summary: its title and its arguments, each value shortened."""
    shown = []
    for key, value in values.items():
        if value is None or value is False or value == [] or value == {}:
            continue
        text = json.dumps(to_jsonable_python(value, exclude_none=True), ensure_ascii=False, default=str)
        if len(text) > _MAX_SHOWN_VALUE:
            text = text[: _MAX_SHOWN_VALUE - 1] + "…"
        shown.append(f"{key} {text}")
    return f"{spec.title} ({spec.name}{': ' + ', '.join(shown) if shown else ''})?"


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_QUESTION else line[: _MAX_QUESTION - 1] + "…"


# --- the 2026-07-28 era: InputRequiredResult and a retry -----------------------------------------------------------


def _input_required(version: str | None) -> bool:
    return version is not None and is_version_at_least(version, _INPUT_REQUIRED_SINCE)


def _digest(question: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(question.encode()).digest()[:16]).decode().rstrip("=")


def _modern(spec: ToolSpec, question: str, context: Context[Any, Any]) -> CallToolResult | InputRequiredResult | None:
    answer = (context.input_responses or {}).get(QUESTION_KEY)
    if answer is not None and _asked(context.request_state) == _digest(question):
        if isinstance(answer, ElicitResult):
            return _outcome(spec, question, answer.action)
        logger.info("tool %s: the answer to the confirmation was not an elicitation result; asking again", spec.name)
    elif answer is not None:
        logger.info("tool %s: the confirmation asked has changed since it was answered; asking again", spec.name)
    request = ElicitRequest(params=ElicitRequestFormParams(message=question, requested_schema=_FORM))
    state = json.dumps({"confirm": _digest(question)}, separators=(",", ":"))
    return InputRequiredResult(input_requests={QUESTION_KEY: request}, request_state=state)


def _asked(request_state: str | None) -> str | None:
    """The digest of the question our state says was asked; None for no state or someone else's."""
    try:
        data = json.loads(request_state or "")
    except ValueError:
        return None
    asked = data.get("confirm") if isinstance(data, dict) else None
    return asked if isinstance(asked, str) else None


# --- up to 2025-11-25: elicitation/create mid-call -----------------------------------------------------------------


async def _legacy(spec: ToolSpec, question: str, context: Context[Any, Any]) -> CallToolResult | None:
    try:
        answer = await context.session.elicit_form(question, _FORM, related_request_id=context.request_id)
    except Exception as exc:  # the client declared elicitation and then failed it: do not act unconfirmed
        logger.info("tool %s: the confirmation request failed: %r", spec.name, exc)
        return failure(
            f"{spec.name} was not run: the client was asked to confirm it (“{question}”) and answered with an "
            "error instead. Nothing was changed in Kintone. Tell the user; do not call it again unless they ask."
        )
    return _outcome(spec, question, answer.action)


# --- shared --------------------------------------------------------------------------------------------------------


def _can_elicit(capabilities: Any) -> bool:
    """Form elicitation declared; a bare ``elicitation: {}`` (from before modes existed) counts, URL-only does not."""
    elicitation = getattr(capabilities, "elicitation", None)
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _outcome(spec: ToolSpec, question: str, action: str) -> CallToolResult | None:
    if action == "accept":
        logger.info("tool %s: confirmed by the user", spec.name)
        return None
    logger.info("tool %s: not run, the user answered %s", spec.name, action)
    how = "declined" if action == "decline" else "dismissed the question without answering"
    return failure(
        f"Not done: {spec.name} was not run. The user was asked “{question}” and {how}. Nothing was changed in "
        f"Kintone. Do not call {spec.name} again for this unless the user asks you to; tell the user it was not done."
    )


def _refused(spec: ToolSpec, question: str) -> CallToolResult:
    """KINTONE_CONFIRM=writes and a client that cannot ask: the write is not run."""
    logger.info("tool %s: refused, a write needs confirmation and the client cannot elicit", spec.name)
    return failure(
        f"{spec.name} was not run: this server asks the user to confirm every change (KINTONE_CONFIRM=writes), and "
        f"this client cannot ask (it does not support MCP elicitation). It would have asked: “{question}” Nothing was "
        "changed in Kintone. Tell the user: use a client that supports elicitation, or set KINTONE_CONFIRM to "
        "destructive (ask only before destructive calls, when the client can) or never."
    )
