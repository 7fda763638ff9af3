"""``kintone-mcp connection add | list | test | edit | remove | default``: named Kintone connections, made once.

A connection's settings go to the connections file (``--config``, else KINTONE_CONFIG, else ``connections.toml`` in
kintone-mcp's configuration folder) and its secrets to the OS keyring when one is usable, else to an encrypted file
(:mod:`kintone_mcp.settings.store`). ``add`` and ``edit`` run the same step-by-step check as ``kintone-mcp check``
before saving and save only when it passes (or with ``--save-anyway``, or when the user says so). Everything is
written at the end, atomically and with Ctrl-C held off for that moment, so an interrupted or failed form leaves
nothing behind. The server, ``check`` and ``auth`` then use the connection by name (``--connection NAME`` or
KINTONE_CONNECTION=NAME).

No secret is ever printed: the form reads them without echo, list shows only where they are kept.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kintone_mcp.commands.connection_form import Draft, Form, FormError, Terminal, add_form_arguments, check_name

if TYPE_CHECKING:
    from kintone_mcp.server.tools.connection.report import ConnectionReport
    from kintone_mcp.settings import Settings
    from kintone_mcp.settings.store import ConnectionsFile, SecretStore


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="connection_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a connection: asks for each setting, checks it, then saves it")
    edit = actions.add_parser("edit", help="change a connection's settings (a secret is kept unless entered again)")
    listing = actions.add_parser("list", help="the connections, where each keeps its secrets (never the secrets)")
    test = actions.add_parser("test", help="check a connection as `kintone-mcp check` does (and with its exit codes)")
    remove = actions.add_parser("remove", help="remove a connection, its stored secrets and its OAuth sign-in")
    default = actions.add_parser("default", help="make a connection the one used when none is named")
    add.add_argument("name", nargs="?", metavar="NAME", help="the connection's name (asked when not given)")
    for sub in (edit, test, remove, default):
        sub.add_argument("name", metavar="NAME")
    for sub in (add, edit, listing, test, remove, default):
        sub.add_argument("--config", metavar="PATH",
                         help="the connections file (default: KINTONE_CONFIG, else connections.toml in kintone-mcp's "
                              "configuration folder)")
    for sub in (add, edit):
        add_form_arguments(sub)
        sub.add_argument("--save-anyway", action="store_true", help="save even when the check fails")
        sub.add_argument("--no-sign-in", action="store_true",
                         help="OAuth: do not sign in now (the check then fails until `kintone-mcp auth login`)")
        sub.add_argument("--no-browser", action="store_true",
                         help="OAuth: print the sign-in address instead of opening a browser")
    add.add_argument("--secret-store", choices=("auto", "keyring", "file"), default="auto",
                     help="where the secrets go: the OS keyring when usable (auto, the default), or an encrypted file")
    add.add_argument("--default", action="store_true", help="make it the default connection")
    edit.add_argument("--secret-store", choices=("keyring", "file"), help="move the secrets to this store")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    test.add_argument("--json", action="store_true", help="print the report as JSON")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    from kintone_mcp.settings.store import StoreError

    try:
        action = {"add": _add, "edit": _edit, "list": _list, "test": _test, "remove": _remove,
                  "default": _default}[args.connection_action]  # fmt: skip
        code: int = action(args)
        return code
    except (KeyboardInterrupt, EOFError):
        _err("\nCancelled: nothing was saved.")
        return 130
    except FormError as exc:
        _err(f"kintone-mcp connection: {exc} Nothing was saved.")
        return 2
    except StoreError as exc:
        _err(f"kintone-mcp connection: {exc}")
        return 1


# --- the connections file -----------------------------------------------------------------------------------


def _file(args: argparse.Namespace) -> ConnectionsFile:
    from kintone_mcp.settings.store import ConnectionsFile, connections_path

    return ConnectionsFile.read(connections_path(None, args.config))


def _environment() -> dict[str, str]:
    from kintone_mcp.settings import machine_environment

    return machine_environment()


def _store_of(document: ConnectionsFile, name: str) -> SecretStore | None:
    from kintone_mcp.settings.store import open_secret_store

    kind = document.connections.get(name, {}).get("secret_store")
    return None if kind is None else open_secret_store(str(kind), document.path, _environment())


def _known(document: ConnectionsFile, name: str) -> dict[str, Any]:
    if name not in document.connections:
        known = ", ".join(sorted(document.connections)) or "none yet"
        raise FormError(f"there is no connection {name!r} in {document.path} (connections: {known}).")
    return document.connections[name]


@contextmanager
def _no_interrupt() -> Iterator[None]:
    """Holds Ctrl-C off while the secrets and the file are written, so that both or neither change. A Ctrl-C
    pressed meanwhile is dropped: by then the change is made, and the command only has to say so."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to hold off
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --- add and edit -------------------------------------------------------------------------------------------


def _terminal(args: argparse.Namespace) -> tuple[Terminal, dict[str, str] | None]:
    from kintone_mcp.commands.connection_form import read_secrets

    given: dict[str, str] | None = None
    if args.secrets_stdin and args.secrets_file:
        raise FormError("--secrets-stdin and --secrets-file are both given: keep one.")
    if args.secrets_stdin:
        given = read_secrets(sys.stdin.read(), "standard input")
    elif args.secrets_file:
        try:
            text = Path(args.secrets_file).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise FormError(f"--secrets-file {args.secrets_file} cannot be read as text.") from None
        given = read_secrets(text, str(args.secrets_file))
    interactive = not args.no_input and not args.secrets_stdin and sys.stdin.isatty()
    return Terminal(interactive=interactive), given


def _add(args: argparse.Namespace) -> int:
    from kintone_mcp.settings.store import open_secret_store

    document = _file(args)
    terminal, given = _terminal(args)
    name = args.name
    if name is None:
        if not terminal.interactive:
            raise FormError("the connection needs a NAME (kintone-mcp connection add NAME).")
        name = terminal.ask("Connection name", "default" if not document.connections else None)
    check_name(name)
    if name in document.connections:
        raise FormError(f"a connection {name!r} already exists in {document.path}: change it with "
                        f"`kintone-mcp connection edit {name}`, or remove it first.")
    store = open_secret_store(args.secret_store, document.path, _environment())
    terminal.say(f"Adding connection {name!r} to {document.path}; its secrets will go to the {store.describe()}.")
    draft = Form(args, terminal, given).fill(name, {}, {})
    if not _checked(args, terminal, draft, fresh_sign_in=True):
        return 1
    with _no_interrupt():
        draft.table["secret_store"] = store.kind
        if draft.secrets:
            store.save(name, draft.secrets)
        document.connections[name] = draft.table
        if args.default or document.default is None:
            document.default = name
        try:
            document.write()
        except BaseException:
            store.delete(name)
            raise
    terminal.say(f"Saved connection {name!r}{' (the default)' if document.default == name else ''}. Use it with "
                 f"`kintone-mcp --connection {name}` or KINTONE_CONNECTION={name}.")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from kintone_mcp.settings.store import StoreError, open_secret_store

    document = _file(args)
    table = dict(_known(document, args.name))
    terminal, given = _terminal(args)
    old_store, current = None, {}
    try:
        old_store = _store_of(document, args.name)
        current = (old_store.load(args.name) if old_store is not None else None) or {}
    except StoreError as exc:
        # Editing is how damaged or lost secrets are replaced: go on, and every secret is asked for again.
        terminal.say(f"The stored secrets cannot be used ({exc}); enter them again.")
    kind = args.secret_store or table.get("secret_store") or "auto"
    store = open_secret_store(str(kind), document.path, _environment())
    terminal.say(f"Editing connection {args.name!r} in {document.path}: Enter keeps each value shown.")
    draft = Form(args, terminal, given).fill(args.name, table, current)
    if not _checked(args, terminal, draft, fresh_sign_in=False):
        return 1
    with _no_interrupt():
        draft.table["secret_store"] = store.kind
        store.save(args.name, draft.secrets)
        document.connections[args.name] = draft.table
        document.write()
        if old_store is not None and old_store.kind != store.kind:
            with contextlib.suppress(StoreError):
                old_store.delete(args.name)
    terminal.say(f"Saved connection {args.name!r}.")
    return 0


def _checked(args: argparse.Namespace, terminal: Terminal, draft: Draft, *, fresh_sign_in: bool) -> bool:
    """Runs the check on the draft; True when it may be saved (passed, or the user or a flag says save anyway)."""
    import anyio

    from kintone_mcp.server.tools.connection.diagnose import render_text
    from kintone_mcp.settings import ConfigurationError, draft_settings

    try:
        settings = draft_settings(draft.name, {**draft.table, **draft.secrets})
    except ConfigurationError as exc:
        terminal.say(str(exc))
        return _save_anyway(args, terminal, "The settings are not usable")
    from kintone_mcp.commands.check import _check

    signed_in_now = False
    try:
        if settings.auth_type == "oauth" and not args.no_sign_in and not _signed_in(settings):
            signed_in_now = _sign_in(args, settings, terminal)
        report: ConnectionReport = anyio.run(_check, settings)
        terminal.say(render_text(report))
        if report.verdict != "failed" and (settings.auth_type is not None or _user_api_works(report)):
            return True
        if _save_anyway(args, terminal, "The check failed"):
            return True
    except BaseException:
        # Ctrl-C during the sign-in, the check or the question: the new connection's sign-in goes with it.
        if signed_in_now and fresh_sign_in:
            _forget_sign_in(settings)
        raise
    if signed_in_now and fresh_sign_in:
        _forget_sign_in(settings)
    return False


def _user_api_works(report: ConnectionReport) -> bool:
    """A User API connection has no REST credentials, so the check cannot try apps; what it is for is the user_api
    step, which must have passed."""
    return any(s.step == "user_api" and s.status == "ok" for s in report.steps)


def _save_anyway(args: argparse.Namespace, terminal: Terminal, what: str) -> bool:
    if args.save_anyway:
        terminal.say(f"{what}; saving anyway (--save-anyway).")
        return True
    if terminal.interactive and terminal.confirm(f"{what}. Save anyway?", False):
        return True
    terminal.say(f"{what}: nothing was saved. Correct the settings and run the command again, or pass --save-anyway.")
    return False


def _sign_in(args: argparse.Namespace, settings: Settings, terminal: Terminal) -> bool:
    from kintone_mcp.commands.auth import sign_in
    from kintone_mcp.connect import token_store_for

    terminal.say("Signing in with OAuth 2.0, so the check can use the connection:")
    name = settings.connection or "default"
    return sign_in(settings, token_store_for(settings), name, name, no_browser=args.no_browser) == 0


def _signed_in(settings: Settings) -> bool:
    """Whether the connection already has a sign-in for this address and client (editing other settings of an
    OAuth connection does not send the user to the browser again)."""
    from kintone_mcp.auth.token_store import TokenStoreError
    from kintone_mcp.connect import token_store_for

    try:
        tokens = token_store_for(settings).load(settings.connection or "default")
    except TokenStoreError:
        return False
    return (
        tokens is not None
        and tokens.base_url.rstrip("/") == settings.base_url.rstrip("/")
        and tokens.client_id == settings.oauth_client_id
    )


def _forget_sign_in(settings: Settings) -> None:
    from kintone_mcp.connect import token_store_for

    token_store_for(settings).delete(settings.connection or "default")


# --- list, test, remove, default ----------------------------------------------------------------------------


def _address(table: dict[str, Any]) -> str:
    if table.get("base_url"):
        return str(table["base_url"])
    if table.get("subdomain"):
        secure = ".s" if table.get("pfx_file_path") else ""
        return f"https://{table['subdomain']}{secure}.{table.get('domain') or 'cybozu.com'}"
    return "(no address)"


def _secrets_place(document: ConnectionsFile, name: str, table: dict[str, Any]) -> str:
    from kintone_mcp.settings import SECRET_FIELDS
    from kintone_mcp.settings.store import encrypted_file_store

    kind = table.get("secret_store")
    if kind == "keyring":
        return "OS keyring"
    if kind == "file":
        present = encrypted_file_store(document.path, {}).path_of(name).is_file()
        return "encrypted file" + ("" if present else " (missing)")
    if any(f"{f}_file" in table for f in SECRET_FIELDS):
        return "secret files (*_file)"
    if any(f in table for f in SECRET_FIELDS):
        return "in the connections file, unencrypted"
    return "environment or none"


def _list(args: argparse.Namespace) -> int:
    document = _file(args)
    rows = []
    for name, table in document.connections.items():
        rows.append({
            "name": name,
            "default": name == document.default,
            "url": _address(table),
            "auth": str(table.get("auth_type") or ("user_api" if not table.get("username") else "password")),
            "app": None if table.get("app_id") is None else str(table["app_id"]),
            "secrets": _secrets_place(document, name, table),
        })  # fmt: skip
    if args.json:
        _out(json.dumps({"file": str(document.path), "connections": rows}, ensure_ascii=False))
        return 0
    if not rows:
        _out(f"No connections in {document.path}. Add one with `kintone-mcp connection add`.")
        return 0
    _out(f"Connections in {document.path} (* the default):")
    headers = ("NAME", "URL", "AUTH", "APP", "SECRETS")
    cells = [(("* " if r["default"] else "  ") + str(r["name"]), str(r["url"]), str(r["auth"]), str(r["app"] or "-"),
              str(r["secrets"])) for r in rows]  # fmt: skip
    widths = [max(len(h) + (2 if i == 0 else 0), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    _out("  ".join(("  " + h if i == 0 else h).ljust(widths[i]) for i, h in enumerate(headers)).rstrip())
    for c in cells:
        _out("  ".join(v.ljust(widths[i]) for i, v in enumerate(c)).rstrip())
    return 0


def _test(args: argparse.Namespace) -> int:
    import anyio

    from kintone_mcp.commands.check import EXIT_CODES, _check
    from kintone_mcp.server.results import compact_json, dump
    from kintone_mcp.server.tools.connection.diagnose import render_text
    from kintone_mcp.settings import ConfigurationError, stored_connection_settings

    document = _file(args)
    _known(document, args.name)
    try:
        settings = stored_connection_settings(args.name, str(document.path))
    except ConfigurationError as exc:
        _err(f"FAILED: {exc}")
        return 1
    report = anyio.run(_check, settings)
    _out(compact_json(dump(report)) if args.json else render_text(report))
    return EXIT_CODES[report.verdict]


def _remove(args: argparse.Namespace) -> int:
    document = _file(args)
    table = _known(document, args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise FormError(f"removing {args.name!r} needs confirmation: pass --yes (there is no terminal to ask).")
        terminal = Terminal(interactive=True)
        if not terminal.confirm(
            f"Remove connection {args.name!r} ({_address(table)}), its stored secrets and its OAuth sign-in?", False
        ):
            _out("Nothing was removed.")
            return 1
    store = _store_of(document, args.name)
    tokens = _token_store(document, args.name)
    with _no_interrupt():
        del document.connections[args.name]
        if document.default == args.name:
            document.default = None
        document.write()
        removed_secrets = store.delete(args.name) if store is not None else False
        removed_tokens = tokens.delete(args.name) if tokens is not None else False
    what = [w for w, done in (("its secrets", removed_secrets), ("its OAuth sign-in", removed_tokens)) if done]
    _out(f"Removed connection {args.name!r}" + (f" and {' and '.join(what)}" if what else "") + ".")
    return 0


def _token_store(document: ConnectionsFile, name: str) -> Any:
    """The OAuth token store of a connection, to forget its sign-in with it (None when it cannot be opened)."""
    from kintone_mcp.auth.token_store import TokenStoreError, open_token_store
    from kintone_mcp.settings import user_config_dir

    setting = document.connections[name].get("oauth_token_store") or _environment().get("KINTONE_OAUTH_TOKEN_STORE")
    try:
        return open_token_store(str(setting) if setting else None, user_config_dir() / "oauth")
    except TokenStoreError:
        return None


def _default(args: argparse.Namespace) -> int:
    document = _file(args)
    _known(document, args.name)
    document.default = args.name
    with _no_interrupt():
        document.write()
    _out(f"Connection {args.name!r} is now the default: kintone-mcp uses it when no connection is named and the "
         "environment gives no Kintone address of its own.")
    return 0
