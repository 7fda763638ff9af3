"""App operations: list and get apps, read an app's fields, layout, views and process settings, and change apps
through their preview settings (create, add fields, deploy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from kintone_mcp.auth.api_token import ApiTokenAuth
from kintone_mcp.auth.basic_gate import BasicGateAuth
from kintone_mcp.client.connection import Connection
from kintone_mcp.client.decode import decode, decode_list
from kintone_mcp.client.errors import CredentialsMissingError, NotFoundError, PermissionDeniedError
from kintone_mcp.client.models.apps import App, FormLayout, ProcessSettings, Views
from kintone_mcp.client.models.fields import FormFields

#: Kintone's page size limit for apps.json
MAX_APPS_PER_PAGE = 100


def _token_auth(conn: Connection) -> ApiTokenAuth | None:
    auth = conn.credentials.rest
    if isinstance(auth, BasicGateAuth):
        auth = auth.inner
    return auth if isinstance(auth, ApiTokenAuth) else None


class AppsMixin:
    """Part of :class:`~kintone_mcp.client.KintoneClient`."""

    _conn: Connection
    #: app -> apps its lookups and related-records read from (learnt from its fields)
    _related_apps: dict[int, frozenset[int]]

    async def list_apps(
        self,
        *,
        ids: Sequence[int] | None = None,
        codes: Sequence[str] | None = None,
        name: str | None = None,
        space_ids: Sequence[int] | None = None,
        limit: int = MAX_APPS_PER_PAGE,
        offset: int = 0,
        guest_space: int | Literal["default"] | None = "default",
    ) -> list[App]:
        """One page of apps the credentials can see (``apps.json``), ordered by app id.

        ``guest_space`` lists the apps of that guest space (None: the normal path; default: the configured guest
        space). Kintone lists a guest space's apps only on its own path; what a list shows is remembered, so
        that each app is then called on its own path.

        ``apps.json`` does not accept API tokens. With token authentication whose tokens name their apps
        (``APP_ID:TOKEN``), the apps are read one by one with ``app.json`` instead and filtered here; with tokens
        of unknown apps this raises :class:`CredentialsMissingError`.
        """
        tokens = _token_auth(self._conn)
        if tokens is not None:
            return await self._list_with_tokens(tokens, ids, codes, name, space_ids, limit, offset)
        data = await self._conn.call(
            "GET",
            "rest",
            "apps",
            params={
                "ids": list(ids) if ids else None,
                "codes": list(codes) if codes else None,
                "name": name,
                "spaceIds": list(space_ids) if space_ids else None,
                "limit": limit,
                "offset": offset,
            },
            space=self._conn.guest_space_id if guest_space == "default" else guest_space,
        )
        apps = decode_list(App, data, "apps", "apps.json")
        listed_in = self._conn.guest_space_id if guest_space == "default" else guest_space
        for app in apps:
            if listed_in is not None:
                self._conn.spaces.learn(app.app_id, listed_in)
            elif app.space_id is not None:
                self._conn.spaces.hint(app.app_id, app.space_id)
        return apps

    async def list_all_apps(
        self,
        *,
        name: str | None = None,
        space_ids: Sequence[int] | None = None,
        guest_space: int | Literal["default"] | None = "default",
    ) -> list[App]:
        """Every app the credentials can see (in ``guest_space``, as in :meth:`list_apps`), following pages of 100."""
        out: list[App] = []
        while True:
            page = await self.list_apps(
                name=name, space_ids=space_ids, limit=MAX_APPS_PER_PAGE, offset=len(out), guest_space=guest_space
            )
            out.extend(page)
            if len(page) < MAX_APPS_PER_PAGE or _token_auth(self._conn) is not None:
                return out

    @property
    def known_guest_spaces(self) -> list[int]:
        """The guest spaces this client knows of: the configured one and those its apps were found in."""
        return self._conn.spaces.guest_spaces()

    def guest_space_of(self, app: int) -> int | None:
        """The guest space ``app`` was found in (None: the normal path, or not met yet)."""
        return self._conn.spaces.of(app) if self._conn.spaces.knows(app) else None

    async def _list_with_tokens(
        self,
        tokens: ApiTokenAuth,
        ids: Sequence[int] | None,
        codes: Sequence[str] | None,
        name: str | None,
        space_ids: Sequence[int] | None,
        limit: int,
        offset: int,
    ) -> list[App]:
        if tokens.has_unmapped:
            raise CredentialsMissingError(
                "Kintone does not let API tokens list apps (apps.json). Give each token's app id as "
                "APP_ID:TOKEN in KINTONE_API_TOKEN so the client can read those apps one by one, or use "
                "password authentication."
            )
        wanted = sorted(tokens.mapped_apps if not ids else set(ids) & tokens.mapped_apps)
        apps: list[App] = []
        for app_id in wanted:
            try:
                apps.append(await self.get_app(app_id))
            except (NotFoundError, PermissionDeniedError):
                continue  # a token for a deleted app, or one without the right to read it: not listable
        if codes:
            apps = [a for a in apps if a.code in set(codes)]
        if name:
            apps = [a for a in apps if name.casefold() in a.name.casefold()]
        if space_ids:
            apps = [a for a in apps if a.space_id in set(space_ids)]
        return apps[offset : offset + limit]

    async def get_app(self, app: int) -> App:
        data = await self._conn.call("GET", "rest", "app", params={"id": app}, apps=(app,))
        return decode(App, data, f"app {app}")

    async def get_fields(self, app: int, *, lang: str | None = None, preview: bool = False) -> FormFields:
        """Every field with its type and settings (options, lookups, subtable fields)."""
        endpoint = "preview/app/form/fields" if preview else "app/form/fields"
        data = await self._conn.call("GET", "rest", endpoint, params={"app": app, "lang": lang}, apps=(app,))
        fields = decode(FormFields, data, f"the fields of app {app}").with_raw(data)
        self._related_apps[app] = fields.related_apps()
        return fields

    async def get_layout(self, app: int, *, preview: bool = False) -> FormLayout:
        endpoint = "preview/app/form/layout" if preview else "app/form/layout"
        data = await self._conn.call("GET", "rest", endpoint, params={"app": app}, apps=(app,))
        return decode(FormLayout, data, f"the layout of app {app}")

    async def get_views(self, app: int, *, lang: str | None = None, preview: bool = False) -> Views:
        endpoint = "preview/app/views" if preview else "app/views"
        data = await self._conn.call("GET", "rest", endpoint, params={"app": app, "lang": lang}, apps=(app,))
        return decode(Views, data, f"the views of app {app}")

    async def get_process_settings(
        self, app: int, *, lang: str | None = None, preview: bool = False
    ) -> ProcessSettings:
        """Process management: whether it is on, its states (with assignees) and actions."""
        endpoint = "preview/app/status" if preview else "app/status"
        data = await self._conn.call("GET", "rest", endpoint, params={"app": app, "lang": lang}, apps=(app,))
        return decode(ProcessSettings, data, f"the process settings of app {app}")

    async def _apps_for_write(self, app: int) -> tuple[int, ...]:
        """The apps a record write to ``app`` touches: the app, then the apps its lookups copy from.

        Only matters with API tokens mapped to apps, where those apps' tokens must ride along; learnt once per
        app from its fields.
        """
        tokens = _token_auth(self._conn)
        if tokens is None or not tokens.wants_related_apps(app):
            return (app,)
        if app not in self._related_apps:
            try:
                await self.get_fields(app)
            except PermissionDeniedError:
                self._related_apps[app] = frozenset()
        return (app, *sorted(self._related_apps[app] - {app}))

    # --- changing apps (preview settings, then deploy: docs/kintone-api.md §4.1) ----------------------------------

    async def create_app(self, name: str, *, space: int | None = None, thread: int | None = None) -> int:
        """Creates an app in the preview (pre-live) environment; it is usable only after a deploy."""
        body: dict[str, Any] = {"name": name}
        if space is not None:
            body["space"] = space
        if thread is not None:
            body["thread"] = thread
        data = await self._conn.call("POST", "rest", "preview/app", body=body, idempotent=False)
        return int(data["app"])

    async def add_fields(self, app: int, properties: Mapping[str, Any], *, revision: int = -1) -> int:
        """Adds fields (Kintone's property JSON, keyed by code) to the preview form; answers the new revision."""
        body = {"app": app, "properties": dict(properties), "revision": revision}
        data = await self._conn.call("POST", "rest", "preview/app/form/fields", body=body, apps=(app,))
        return int(data["revision"])

    async def deploy_apps(self, apps: Sequence[int], *, revert: bool = False) -> None:
        """Starts deploying (or, with ``revert``, discarding) the preview settings of ``apps``."""
        body = {"apps": [{"app": a} for a in apps], "revert": revert}
        await self._conn.call("POST", "rest", "preview/app/deploy", body=body, apps=tuple(apps[:1]))

    async def deploy_status(self, apps: Sequence[int]) -> dict[int, str]:
        """app -> PROCESSING, SUCCESS, FAIL or CANCEL."""
        data = await self._conn.call(
            "GET", "rest", "preview/app/deploy", params={"apps": list(apps)}, apps=tuple(apps[:1])
        )
        return {int(item["app"]): str(item["status"]) for item in data.get("apps", [])}

    async def delete_fields(self, app: int, codes: Sequence[str], *, revision: int = -1) -> int:
        """Removes fields from the preview form (their values go at the deploy); answers the new revision."""
        body = {"app": app, "fields": list(codes), "revision": revision}
        data = await self._conn.call("DELETE", "rest", "preview/app/form/fields", body=body, apps=(app,))
        return int(data["revision"])

    async def get_general_settings(self, app: int, *, preview: bool = False) -> dict[str, Any]:
        """app/settings.json as Kintone answers it (name, description, icon, theme, title field, precision…)."""
        endpoint = "preview/app/settings" if preview else "app/settings"
        data = await self._conn.call("GET", "rest", endpoint, params={"app": app}, apps=(app,))
        return dict(data)

    async def update_general_settings(self, app: int, settings: Mapping[str, Any], *, revision: int = -1) -> int:
        """Changes the preview general settings (only the keys given); answers the new revision."""
        body = {**settings, "app": app, "revision": revision}
        data = await self._conn.call("PUT", "rest", "preview/app/settings", body=body, apps=(app,))
        return int(data["revision"])

    async def update_views(self, app: int, views: Mapping[str, Any], *, revision: int = -1) -> int:
        """Replaces the preview views with ``views`` (name -> view; views left out are deleted)."""
        body = {"app": app, "views": dict(views), "revision": revision}
        data = await self._conn.call("PUT", "rest", "preview/app/views", body=body, apps=(app,))
        return int(data["revision"])

    async def update_process_settings(self, app: int, settings: Mapping[str, Any], *, revision: int = -1) -> int:
        """Changes the preview process management ({enable, states, actions}; keys left out stay)."""
        body = {**settings, "app": app, "revision": revision}
        data = await self._conn.call("PUT", "rest", "preview/app/status", body=body, apps=(app,))
        return int(data["revision"])

    async def update_fields(self, app: int, properties: Mapping[str, Any], *, revision: int = -1) -> int:
        """Changes existing fields of the preview form (only the attributes given); answers the new revision."""
        body = {"app": app, "properties": dict(properties), "revision": revision}
        data = await self._conn.call("PUT", "rest", "preview/app/form/fields", body=body, apps=(app,))
        return int(data["revision"])

    async def update_layout(self, app: int, layout: Sequence[Mapping[str, Any]], *, revision: int = -1) -> int:
        """Replaces the preview form layout (rows, tables, groups: app/form/layout.json's shape)."""
        body = {"app": app, "layout": list(layout), "revision": revision}
        data = await self._conn.call("PUT", "rest", "preview/app/form/layout", body=body, apps=(app,))
        return int(data["revision"])

    async def get_permissions(
        self, app: int, kind: Literal["app", "record", "field"], *, preview: bool = False
    ) -> dict[str, Any]:
        """``app/acl.json``, ``record/acl.json`` or ``field/acl.json`` as Kintone answers them ({rights, revision});
        needs the app management right."""
        endpoint = f"{'preview/' if preview else ''}{kind}/acl"
        data = await self._conn.call("GET", "rest", endpoint, params={"app": app}, apps=(app,))
        return dict(data)
