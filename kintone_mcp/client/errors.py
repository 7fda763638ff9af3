"""The client's exception tree.

Everything the client raises derives from :class:`KintoneError`:

```
KintoneError
├── CredentialsError          the credentials cannot serve this request; nothing was sent
│   ├── CredentialsMissingError   none for this kind of call (REST / User API) or for this app
│   └── OAuthLoginRequiredError   OAuth: not signed in, sign-in expired or revoked, or a scope not granted
├── NetworkError              no answer: connection refused, TLS failure, timeout
├── OutcomeUnknownError       a request unsafe to repeat got no definite answer: it may or may not have been done
│   └── WriteOutcomeUnknownError  a write (add, update, delete, status, comment): read back before sending again
└── ApiError                  Kintone answered with an error status
    ├── AuthenticationError   401, or an API token Kintone does not know (GAIA_IA02)
    ├── PermissionDeniedError 403: the user or token may not do this
    ├── NotFoundError         app, record, comment, file or update key not found
    ├── ValidationError       400: the request was wrong; ``field_errors`` says where
    ├── ConflictError         409: revision mismatch, lock conflict
    ├── RateLimitError        429: too many concurrent requests / cursors
    ├── ServerError           5xx / 520 or a non-JSON answer (maintenance page, gateway)
    └── BulkWriteError        a write split into several transactions stopped part-way
```

``str()`` of every error says what happened and what to do about it. Messages are built from Kintone's answer and
the request's method and path only, never from headers or bodies the client sent, and they pass through a redactor
holding the configured secrets, so a password or token cannot appear even if a server echoes one back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kintone_mcp.client.results import WriteResult

Redactor = Callable[[str], str]


def _no_redaction(text: str) -> str:
    return text


class KintoneError(Exception):
    """Base class of every error raised by :mod:`kintone_mcp.client`."""


class CredentialsError(KintoneError):
    """The configured credentials cannot serve this request (e.g. it would need more than 9 API tokens); nothing
    was sent."""


class CredentialsMissingError(CredentialsError):
    """The connection has no credentials for this kind of call (REST or User API, or this app's token), so the
    request was not sent."""


class OAuthLoginRequiredError(CredentialsError):
    """The connection uses OAuth and must be signed in (again) with ``kintone-mcp auth login``.

    Raised when no tokens are stored, when Kintone refuses the refresh token (expired or revoked), and when a call
    needs a scope the sign-in was not granted (then ``missing_scope`` names it; Kintone answered 403). ``command``
    is the exact command to run, with ``--connection`` when the connection has a name; ``reason`` is what went
    wrong, ``fix`` what to do; ``str()`` is both.
    """

    def __init__(
        self, reason: str, *, connection: str | None, command: str, fix: str, missing_scope: str | None = None
    ) -> None:
        self.reason = reason
        self.connection = connection
        self.command = command
        self.fix = fix
        self.missing_scope = missing_scope
        super().__init__(f"{reason} {fix}")


class NetworkError(KintoneError):
    """Kintone could not be reached, or did not answer in time."""

    retryable = True


class OutcomeUnknownError(KintoneError):
    """A request that must not be sent twice failed without a definite answer, so whether Kintone processed it is
    unknown: the connection broke or timed out after the request left, or Kintone (or a gateway) answered with a
    server-side error. ``cause`` is that failure; ``attempts`` how many copies were sent (more than one only for
    requests that are safe to repeat, or when earlier copies provably never reached Kintone)."""

    def __init__(self, text: str, *, method: str, path: str, cause: KintoneError, attempts: int) -> None:
        self.method = method
        self.path = path
        self.cause = cause
        self.attempts = attempts
        super().__init__(text)


class WriteOutcomeUnknownError(OutcomeUnknownError):
    """A write may or may not have been applied. Never send it again blindly: read back first.

    ``operation`` names the kind of write (add, update, delete, status, assignees, comment, delete_comment, bulk,
    write) and ``check`` says what to read back; ``str()`` says both. Raised instead of retrying an add, an
    unguarded update or any other write that two copies would apply twice, and when a retry of a revision-guarded
    write is refused because the revision moved (most likely by the earlier copy).
    """

    #: for a write of many records cut into several transactions: which were committed before this one
    result: WriteResult | None = None

    def __init__(
        self,
        *,
        method: str,
        path: str,
        cause: KintoneError,
        attempts: int,
        operation: str,
        check: str,
        reason: str = "",
    ) -> None:
        self.operation = operation
        self.check = check
        why = reason or f"no definite answer came back ({cause})"
        #: why the outcome is unknown, as a clause
        self.reason = why
        text = (
            f"The write {method} {path} may or may not have been applied: {why}. Kintone may have done it before "
            f"the answer was lost. Before sending it again, {check}"
        )
        super().__init__(text, method=method, path=path, cause=cause, attempts=attempts)

    def __repr__(self) -> str:
        return f"WriteOutcomeUnknownError(operation={self.operation!r}, path={self.path!r}, cause={self.cause!r})"


class ApiError(KintoneError):
    """Kintone answered with an error.

    Attributes mirror Kintone's error body: ``code`` (e.g. ``GAIA_RE01``; empty when the body was not JSON),
    ``message`` (Kintone's text, localised), ``field_errors`` (``{"record.Title.value": ["Required."]}``),
    ``request_id`` (Kintone's per-request id, worth quoting to cybozu support) and ``status`` (HTTP status).
    """

    #: what kind of problem this is, in words, for ``str()``
    summary = "Kintone rejected the request"
    #: True when repeating the same request later may succeed (used by the retry policy)
    retryable = False

    def __init__(
        self,
        *,
        status: int,
        code: str = "",
        message: str = "",
        field_errors: Mapping[str, Sequence[str]] | None = None,
        request_id: str | None = None,
        method: str = "",
        path: str = "",
        hint: str = "",
        redact: Redactor = _no_redaction,
    ) -> None:
        self.status = status
        self.code = code
        self.message = redact(message)
        self.field_errors: dict[str, list[str]] = {
            redact(k): [redact(m) for m in v] for k, v in (field_errors or {}).items()
        }
        self.request_id = request_id
        self.method = method
        self.path = path
        self.hint = redact(hint)
        #: in a bulkRequest, the index of the sub-request that failed (the others were rolled back)
        self.bulk_index: int | None = None
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" to {self.method} {self.path}" if self.method else (f" at {self.path}" if self.path else "")
        ident = f"HTTP {self.status}" + (f" {self.code}" if self.code else "")
        text = f"{self.summary}{where} ({ident})"
        if self.message:
            text += f": {self.message}"
        if self.field_errors:
            details = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in sorted(self.field_errors.items()))
            text += f" [{details}]"
        if self.hint:
            text += f" {self.hint}"
        if self.request_id:
            text += f" (Kintone request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class AuthenticationError(ApiError):
    summary = "Kintone did not accept the credentials"


class PermissionDeniedError(ApiError):
    summary = "The credentials are valid but not allowed to do this"


class NotFoundError(ApiError):
    summary = "Not found"


class ValidationError(ApiError):
    summary = "Kintone rejected the request as invalid"


class ConflictError(ApiError):
    summary = "The write conflicts with the record's current state"


class RateLimitError(ApiError):
    summary = "Kintone's concurrency limit was reached"
    retryable = True


class ServerError(ApiError):
    summary = "Kintone had a server-side problem"
    retryable = True


class GuestSpaceUnknownError(ApiError):
    """The app lives in a guest space that none of the paths this connection knows reaches; Kintone's refusal
    (GAIA_IL23) does not say which space it is."""

    summary = "The app is in a guest space this connection does not know"

    @classmethod
    def of(cls, app: int, cause: ApiError, tried: Sequence[int]) -> GuestSpaceUnknownError:
        seen = f" (tried guest space {', '.join(map(str, tried))})" if tried else ""
        return cls(
            status=cause.status,
            code=cause.code,
            message=f"app {app} is in a guest space{seen}, and Kintone does not say which",
            request_id=cause.request_id,
            method=cause.method,
            path=cause.path,
            hint=(
                "Set KINTONE_GUEST_SPACE_ID to that space's id: the number after /k/guest/ in the app's address "
                f"in the browser (https://SUBDOMAIN.cybozu.com/k/guest/SPACE_ID/{app}/)."
            ),
        )


class BulkWriteError(KintoneError):
    """A write of more than 100 records stopped part-way.

    Such writes are sent as bulkRequest transactions of up to 2,000 records (20 requests of 100), one after the
    other. Each transaction is all-or-nothing; transactions before the failing one stay committed, the failing one
    is rolled back entirely, and later ones are never sent. ``result`` says exactly which records are which, and
    ``error`` is Kintone's error for the failing request (with ``failed_record_index`` pointing into the caller's
    list when Kintone named the record).
    """

    def __init__(self, result: WriteResult, error: ApiError, failed_record_index: int | None) -> None:
        self.result = result
        self.error = error
        self.failed_record_index = failed_record_index
        failed = result.failed
        rolled_back = f"transaction {failed.index} (records {failed.start}-{failed.stop - 1})" if failed else "none"
        at = f" at record #{failed_record_index} of the input" if failed_record_index is not None else ""
        super().__init__(
            f"Bulk write stopped{at}: {result.committed_count} of {result.total} records were committed in "
            f"{len(result.committed)} transaction(s) and stay written; {rolled_back} was rolled back; "
            f"{result.not_attempted_count} records were not sent. After fixing the cause, retry from record "
            f"#{failed.start if failed else 0} on. Cause: {error}"
        )

    def __repr__(self) -> str:
        return (
            f"BulkWriteError(committed={self.result.committed_count}, total={self.result.total}, error={self.error!r})"
        )


#: Kintone codes whose meaning does not follow from their HTTP status alone.
_CODE_CLASSES: dict[str, type[ApiError]] = {
    "CB_AU01": AuthenticationError,
    "CB_WA01": AuthenticationError,
    "CB_TW02": AuthenticationError,
    "GAIA_IA02": AuthenticationError,
    "CB_NO02": PermissionDeniedError,
    "GAIA_NO01": PermissionDeniedError,
    "GAIA_AP01": NotFoundError,
    "GAIA_RE01": NotFoundError,
    "GAIA_RE02": NotFoundError,
    "GAIA_RE20": NotFoundError,
    "GAIA_BL01": NotFoundError,
    "GAIA_CO02": ConflictError,
    "GAIA_UN03": ConflictError,
    "GAIA_TO04": RateLimitError,
    "GAIA_TM12": RateLimitError,
}

#: Database lock / deadlock answers: the same request may well succeed a moment later.
_RETRYABLE_CODES = frozenset({"GAIA_DA02", "GAIA_LT01", "GAIA_RE18"})

_HINTS: dict[str, str] = {
    "CB_AU01": "No credentials reached Kintone: configure a password (KINTONE_USERNAME/KINTONE_PASSWORD) or an API "
    "token (KINTONE_API_TOKEN).",
    "CB_WA01": "Check the login name and password (KINTONE_USERNAME, KINTONE_PASSWORD).",
    "CB_TW02": "This account uses two-factor authentication, which password authentication cannot pass: use an "
    "API token or OAuth instead.",
    "GAIA_IA02": "Kintone does not know this API token, or it was changed without saving the app settings: check "
    "KINTONE_API_TOKEN against the app's API token settings.",
    "GAIA_NO01": "The API token lacks the permission this call needs (view/add/edit/delete records, manage app), "
    "or this API does not accept API tokens (listing apps, for one): widen the token's permissions or use "
    "password authentication.",
    "CB_NO02": "The user has no permission for this app or record, or the app lives in another guest space "
    "(check KINTONE_GUEST_SPACE_ID).",
    "GAIA_DA03": "Two API tokens for the same app were sent together: give each token's app as APP_ID:TOKEN in "
    "KINTONE_API_TOKEN so only one per app is sent.",
    "GAIA_IL23": "This app lives in a guest space: set KINTONE_GUEST_SPACE_ID to the space's id.",
    "GAIA_CO02": "The record was changed since it was read: read it again and retry with the new revision.",
    "GAIA_TO04": "Too many requests run at once against this Kintone domain: retry in a moment.",
    "GAIA_TM12": "Too many cursors are open on this domain (at most 10): finish or delete other exports, or wait "
    "about 10 minutes for idle cursors to expire.",
    "GAIA_QU01": "A query can return at most 500 records: lower `limit`, or iterate with the cursor API.",
    "GAIA_QU02": "`offset` can be at most 10,000: iterate with the cursor API, or page by `$id` instead.",
}


def _class_for(status: int, code: str) -> type[ApiError]:
    if code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if code in _RETRYABLE_CODES:
        return ConflictError if status == 409 else ServerError
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return ValidationError


def field_errors_from(errors: Any) -> dict[str, list[str]]:
    """Kintone's ``errors`` object (``{"record.X.value": {"messages": [...]}}``) as ``{key: [message, ...]}``."""
    if not isinstance(errors, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for key, detail in errors.items():
        if isinstance(detail, Mapping):
            messages = detail.get("messages", [])
            out[str(key)] = [str(m) for m in messages] if isinstance(messages, list) else [str(messages)]
        else:
            out[str(key)] = [str(detail)]
    return out


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _excerpt(body: bytes, limit: int = 160) -> str:
    text = body.decode("utf-8", errors="replace")
    text = _SPACE.sub(" ", _TAG.sub(" ", text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_body(
    status: int,
    body: Any,
    *,
    method: str = "",
    path: str = "",
    redact: Redactor = _no_redaction,
) -> ApiError:
    """Builds the typed error for a decoded Kintone error body (also used for bulkRequest sub-results)."""
    code = str(body.get("code") or "") if isinstance(body, Mapping) else ""
    message = str(body.get("message") or "") if isinstance(body, Mapping) else ""
    request_id = body.get("id") if isinstance(body, Mapping) else None
    errors = field_errors_from(body.get("errors")) if isinstance(body, Mapping) else {}
    cls = _class_for(status, code)
    error = cls(
        status=status,
        code=code,
        message=message,
        field_errors=errors,
        request_id=str(request_id) if request_id is not None else None,
        method=method,
        path=path,
        hint=_HINTS.get(code, ""),
        redact=redact,
    )
    if code in _RETRYABLE_CODES:
        error.retryable = True
    return error


def error_from_response(
    status: int,
    content: bytes,
    content_type: str,
    *,
    method: str = "",
    path: str = "",
    redact: Redactor = _no_redaction,
) -> ApiError:
    """Maps an error answer to the typed exception, whether or not its body is Kintone's JSON."""
    body: Any = None
    if "json" in content_type or content.lstrip().startswith(b"{"):
        try:
            body = json.loads(content)
        except ValueError:
            body = None
    if isinstance(body, Mapping) and ("code" in body or "message" in body):
        return error_from_body(status, body, method=method, path=path, redact=redact)
    if isinstance(body, Mapping) and isinstance(body.get("results"), list):
        # A failed bulkRequest: the failing sub-request holds the error, the others hold {} (rolled back).
        for index, sub in enumerate(body["results"]):
            if isinstance(sub, Mapping) and sub.get("code"):
                error = error_from_body(status, sub, method=method, path=f"{path} (request #{index})", redact=redact)
                error.bulk_index = index
                return error
    # Maintenance pages and gateway errors come as text/HTML; say so rather than failing to parse them.
    excerpt = _excerpt(content) if content else ""
    cls = _class_for(status, "")
    if status in (502, 503, 504):
        hint = "Kintone may be under maintenance or a proxy/gateway failed: try again later."
    elif status == 401:
        hint = _HINTS["CB_AU01"]
    else:
        hint = "This does not look like a Kintone answer: check KINTONE_BASE_URL and any proxy (HTTPS_PROXY)."
    return cls(
        status=status,
        message=f"non-JSON answer{': ' + excerpt if excerpt else ''}",
        method=method,
        path=path,
        hint=hint,
        redact=redact,
    )
