"""Every safety rule of the server, in one place: read-only mode, app allow / deny lists, tool allow / deny lists,
app aliases and the default app.

The tools never decide these things themselves: they ask ``Policy`` which app a call means (``resolve_app``,
which also enforces the app lists), and the server asks it which tools to register at all (``tool_enabled``).
A rule that cannot be satisfied (an unknown tool name, an alias to nothing) is a start-up error, so that a
typo in a safety setting never silently widens what the server may do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
        return cls(
            read_only=read_only,
            allow_apps=allowed,
            deny_apps=ids(deny_apps, "the app deny list"),
            tools=None if tools is None else frozenset(t.strip() for t in tools if t.strip()),
            disabled_tools=frozenset(t.strip() for t in disabled_tools if t.strip()),
            aliases=alias_ids,
            default_app=default_id,
        )

    # --- tools ----------------------------------------------------------------------------------------------

    def check_tool_names(self, known: Iterable[str]) -> None:
        """Every name in the tool lists must be a real tool: a typo must not silently offer more than intended."""
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

    def tool_enabled(self, name: str, *, writes: bool) -> bool:
        if writes and self.read_only:
            return False
        if name in self.disabled_tools:
            return False
        return self.tools is None or name in self.tools

    # --- apps -----------------------------------------------------------------------------------------------

    def app_allowed(self, app_id: int) -> bool:
        if app_id in self.deny_apps:
            return False
        return self.allow_apps is None or app_id in self.allow_apps

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
