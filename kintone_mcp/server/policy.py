"""Every safety rule of the server, in one place: read-only mode, app allow / deny lists, tool allow / deny lists,
app aliases and the default app.

The app lists hold across apps too. A lookup field copies values out of its source app when its key is written,
and a condition on a related-records field (``cust_ref.company_name like "Fuji"``) is answered from the related
app's records, so either would let an allowed app answer questions about a blocked one. The rule is the strict
one: a read or write whose answer or effect depends on a blocked app is refused, naming the field and the app
(``check_query_links``, ``check_record_links``). Values an allowed app already stores (copies a lookup made
before) are that app's data and are read as such.

The tools never decide these things themselves: they ask ``Policy`` which app a call means (``resolve_app``,
which also enforces the app lists), and the server asks it which tools to register at all (``tool_enabled``).
A rule that cannot be satisfied (an unknown tool name, an alias to nothing) is a start-up error, so that a
typo in a safety setting never silently widens what the server may do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kintone_mcp.query.ast import And, Condition, Expr, Or, Query
from kintone_mcp.server.toolsets import DEFAULT_TOOLSETS, UnknownToolsetError, resolve_toolsets
from kintone_mcp.settings import app_id_of


class PolicyConfigError(ValueError):
    """The safety configuration itself is wrong; raised at start-up."""


class AppNotAllowedError(PermissionError):
    """A call named an app that the configuration forbids or that cannot be resolved. Text is for the model."""


@dataclass(frozen=True)
class Policy:
    read_only: bool = False
    #: App ids the server may touch; None means every app the credentials reach.
    allow_apps: frozenset[int] | None = None
    #: App ids the server must never touch. Deny wins over allow.
    deny_apps: frozenset[int] = frozenset()
    #: Tool names to offer; None means all (minus write tools when read-only).
    tools: frozenset[str] | None = None
    disabled_tools: frozenset[str] = frozenset()
    #: alias -> app id, e.g. {"deals": 2}
    aliases: Mapping[str, int] = field(default_factory=dict)
    default_app: int | None = None
    #: The toolsets turned on (KINTONE_TOOLSETS); ``core`` is always among them.
    toolsets: frozenset[str] = DEFAULT_TOOLSETS
    #: Apps create_app made through this server: the allow list admits them (the deny list still wins), so that a
    #: user who lets the server build an app can go on to use it. Grows at run time; not configuration.
    created_apps: set[int] = field(default_factory=set, compare=False, hash=False)

    @classmethod
    def build(
        cls,
        *,
        read_only: bool = False,
        allow_apps: Iterable[str | int] | None = None,
        deny_apps: Iterable[str | int] = (),
        tools: Iterable[str] | None = None,
        disabled_tools: Iterable[str] = (),
        aliases: Mapping[str, str | int] | None = None,
        default_app: str | int | None = None,
        toolsets: Iterable[str] | None = None,
    ) -> Policy:
        """Build from configuration values, where apps may be given as ids or aliases (resolved as the settings
        resolve them: :func:`kintone_mcp.settings.app_id_of`). Raises PolicyConfigError."""
        alias_ids: dict[str, int] = {}
        for name, target in (aliases or {}).items():
            app_id = _as_app_id(target)
            if app_id is None:
                raise PolicyConfigError(f"app alias {name!r} must point to a numeric app id, got {target!r}")
            if _as_app_id(name) is not None:
                raise PolicyConfigError(f"app alias {name!r} is a number; an alias must not look like an app id")
            alias_ids[name] = app_id

        def ids(values: Iterable[str | int], what: str) -> frozenset[int]:
            out: set[int] = set()
            for v in values:
                app_id = _in_range(app_id_of(v, alias_ids))
                if app_id is None:
                    raise PolicyConfigError(
                        f"{what} lists {v!r}, which is neither an app id nor a configured alias"
                        f" (aliases: {sorted(alias_ids) or 'none'})"
                    )
                out.add(app_id)
            return frozenset(out)

        allowed = None if allow_apps is None else ids(allow_apps, "the app allow list")
        if allowed is not None and not allowed:
            # An allow list that lists nothing is a mistake either way it could be read: refuse it.
            raise PolicyConfigError(
                "the app allow list is given but empty: list the apps the server may use, or give no allow list to "
                "allow every app the credentials reach"
            )
        default_id: int | None = None
        if default_app not in (None, ""):
            default_id = _in_range(app_id_of(default_app, alias_ids))
            if default_id is None:
                raise PolicyConfigError(f"default app {default_app!r} is neither an app id nor a configured alias")
        try:
            chosen_toolsets = resolve_toolsets(toolsets)
        except UnknownToolsetError as exc:
            raise PolicyConfigError(str(exc)) from None
        return cls(
            toolsets=chosen_toolsets,
            read_only=read_only,
            allow_apps=allowed,
            deny_apps=ids(deny_apps, "the app deny list"),
            tools=None if tools is None else frozenset(t.strip() for t in tools if t.strip()),
            disabled_tools=frozenset(t.strip() for t in disabled_tools if t.strip()),
            aliases=alias_ids,
            default_app=default_id,
        )

    # --- tools ----------------------------------------------------------------------------------------------

    def check_tool_names(self, known: Iterable[str], toolset_of: Mapping[str, str] | None = None) -> None:
        """Every name in the tool lists must be a real tool: a typo must not silently offer more than intended.

        A tool KINTONE_TOOLS asks for must also be in a toolset that is on: otherwise the server would start
        without the one tool the user named, which reads as a working configuration but is not."""
        known_set = set(known)
        for what, names in (
            ("KINTONE_TOOLS", self.tools or frozenset()),
            ("KINTONE_DISABLE_TOOLS", self.disabled_tools),
        ):
            unknown = sorted(set(names) - known_set)
            if unknown:
                raise PolicyConfigError(
                    f"{what} names unknown tool(s) {', '.join(unknown)}; known tools: {', '.join(sorted(known_set))}"
                )
        off = sorted(
            f"{name} (toolset {toolset_of[name]})"
            for name in self.tools or ()
            if toolset_of is not None and toolset_of.get(name, "core") not in self.toolsets
        )
        if off:
            raise PolicyConfigError(
                f"KINTONE_TOOLS names {', '.join(off)}, whose toolset is not on; add it to KINTONE_TOOLSETS "
                f"(on now: {', '.join(sorted(self.toolsets))})"
            )

    def tool_enabled(self, name: str, *, writes: bool, toolset: str = "core") -> bool:
        if toolset not in self.toolsets:
            return False
        if writes and self.read_only:
            return False
        if name in self.disabled_tools:
            return False
        return self.tools is None or name in self.tools

    # --- apps -----------------------------------------------------------------------------------------------

    def app_allowed(self, app_id: int) -> bool:
        if app_id in self.deny_apps:
            return False
        return self.allow_apps is None or app_id in self.allow_apps or app_id in self.created_apps

    def admit_created(self, app_id: int) -> None:
        """An app this server just created is usable by it, allow list or not (unless the deny list names it)."""
        self.created_apps.add(app_id)

    def resolve_app(self, app: str | int | None) -> int:
        """The app id a call means: an id, an alias, or the default app when omitted. Enforces the app lists."""
        if app is None or (isinstance(app, str) and not app.strip()):
            if self.default_app is None:
                hint = f" or one of the aliases {sorted(self.aliases)}" if self.aliases else ""
                raise AppNotAllowedError(
                    "No app given and no default app is configured (KINTONE_APP_ID). "
                    f"Pass `app` as an app id{hint}; list_apps shows the apps you can use."
                )
            app_id = self.default_app
        else:
            resolved = _as_app_id(app)
            if resolved is None:
                resolved = self.aliases.get(str(app).strip())
                if resolved is None:
                    lowered = {k.lower(): v for k, v in self.aliases.items()}
                    resolved = lowered.get(str(app).strip().lower())
            if resolved is None:
                known = f"Known aliases: {', '.join(sorted(self.aliases))}. " if self.aliases else ""
                raise AppNotAllowedError(
                    f"{app!r} is neither an app id nor a configured alias. {known}"
                    "Pass a numeric app id; list_apps shows the apps you can use."
                )
            app_id = resolved
        if not self.app_allowed(app_id):
            allowed = sorted(self.allow_apps - self.deny_apps) if self.allow_apps is not None else None
            raise AppNotAllowedError(
                f"App {app_id} is blocked by this server's app allow/deny settings; do not retry with it."
                + (f" Allowed apps: {allowed}." if allowed else "")
            )
        return app_id


    # --- references to other apps -----------------------------------------------------------------------------

    def blocked_source(self, prop: Mapping[str, Any]) -> int | None:
        """The app a lookup or related-records field reads from, when the app lists block it; else None."""
        settings = prop.get("referenceTable") if prop.get("type") == "REFERENCE_TABLE" else prop.get("lookup")
        if not isinstance(settings, Mapping):
            return None
        related = settings.get("relatedApp")
        source = _as_app_id(str(related.get("app", ""))) if isinstance(related, Mapping) else None
        if source is None:
            # A source the form does not name by id cannot be shown to be allowed.
            return 0 if self.allow_apps is not None or self.deny_apps else None
        return None if self.app_allowed(source) else source

    def check_query_links(self, query: Query, properties: Mapping[str, Mapping[str, Any]]) -> None:
        """Refuses a query with a condition or sort key on a related-records field whose app is blocked: its
        answer would tell which records of the blocked app match."""
        refs = [k.field for k in query.order_by]
        if query.where is not None:
            refs += [c.field for c in _conditions(query.where)]
        for ref in refs:
            head, dot, _ = ref.code.partition(".")
            prop = properties.get(head)
            if not dot or prop is None or prop.get("type") != "REFERENCE_TABLE":
                continue
            source = self.blocked_source(prop)
            if source is not None:
                raise AppNotAllowedError(
                    f"{ref.code} goes through the related-records field {head}, which shows records of "
                    f"{_app_name(source)}; this server's app allow/deny settings block that app, so conditions and "
                    f"sorting on {head}.* are refused (their answer would come from its records). Leave them out."
                )

    def check_record_links(
        self, records: Iterable[Mapping[str, Any]], properties: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Refuses a write that sets a lookup whose source app is blocked: Kintone would copy that app's values
        into the record (and refuse an unknown key with an error that tells whether the key exists there)."""
        for record in records:
            for code, cell in record.items():
                prop = properties.get(code) or {}
                if prop.get("type") == "SUBTABLE":
                    inner = prop.get("fields") or {}
                    for row in _rows(cell):
                        self._check_lookups(row, inner, table=code)
                else:
                    self._check_lookups({code: cell}, properties, table=None)

    def _check_lookups(
        self, cells: Mapping[str, Any], properties: Mapping[str, Mapping[str, Any]], *, table: str | None
    ) -> None:
        for code, cell in cells.items():
            prop = properties.get(code) or {}
            if "lookup" not in prop or _empty(cell):
                continue
            source = self.blocked_source(prop)
            if source is not None:
                where = f"{code} (in the table {table})" if table else code
                raise AppNotAllowedError(
                    f"{where} is a lookup that copies values from {_app_name(source)}, which this server's app "
                    f"allow/deny settings block; nothing was written. Leave {code} out (or empty), or ask the user "
                    "to allow that app."
                )


def _app_name(app: int) -> str:
    return f"app {app}" if app else "an app the form does not name"


def _conditions(expr: Expr) -> Iterator[Condition]:
    if isinstance(expr, Condition):
        yield expr
    elif isinstance(expr, And | Or):
        for item in expr.items:
            yield from _conditions(item)


# Records come as the tools take them (plain values; a table a list of row objects) or in Kintone's form
# ({"value": ...} around every value and row): both are read.


def _value(cell: Any) -> Any:
    return cell.get("value") if isinstance(cell, Mapping) and "value" in cell else cell


def _rows(cell: Any) -> Iterator[Mapping[str, Any]]:
    value = _value(cell)
    for row in value if isinstance(value, list) else []:
        inner = row.get("value") if isinstance(row, Mapping) and isinstance(row.get("value"), Mapping) else row
        if isinstance(inner, Mapping):
            yield inner


def _empty(cell: Any) -> bool:
    value = _value(cell)
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


#: Larger numbers cannot be Kintone app ids (64-bit on Kintone's side).
_MAX_APP_ID = 2**63 - 1


def _in_range(app_id: int | None) -> int | None:
    return app_id if app_id is not None and app_id <= _MAX_APP_ID else None


def _as_app_id(value: str | int | None) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 0 < value <= _MAX_APP_ID else None
    text = value.strip()
    # isdigit alone accepts "²", which int() refuses.
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= _MAX_APP_ID else None
