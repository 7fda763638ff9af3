"""The form of ``kintone-mcp connection add`` and ``edit``: each setting from its flag, else asked at the terminal
(with the current or a sensible default and the choices spelled out), else its default; secrets read without echo
(``getpass``) or from ``--secrets-stdin`` / ``--secrets-file``, never from the command line.

Nothing here writes anything: the form only returns the connection's table and secrets, so that Ctrl-C at any
question leaves everything as it was.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kintone_mcp.settings.store import NAME, STORED_SECRETS

#: what each secret is, for its question and its messages
SECRET_LABELS = {
    "password": "Password",
    "api_token": "API token(s), as APP_ID:TOKEN, comma-separated",
    "user_api_token": "User API token (cybozu.com, for users, organizations and groups)",
    "oauth_client_secret": "OAuth client secret",
    "basic_auth_password": "Basic authentication password",
    "pfx_file_password": "Client certificate password",
}
AUTH_TYPES = ("password", "api_token", "oauth")
#: the table keys the form decides (each secret's plain and ``_file`` forms included: the form stores secrets)
_ASKED = frozenset(
    {"base_url", "subdomain", "domain", "auth_type", "username", "oauth_client_id", "oauth_scopes",
     "oauth_redirect_uri", "app_aliases", "app_id", "guest_space_id", "basic_auth_username", "pfx_file_path",
     "secret_store", *STORED_SECRETS, *(f"{k}_file" for k in STORED_SECRETS)}
)  # fmt: skip


class FormError(Exception):
    """A value is missing or wrong and cannot be asked for; the text names the flag that gives it."""


def add_form_arguments(parser: argparse.ArgumentParser) -> None:
    """Every question's flag, so that a script can add or edit a connection without a terminal."""
    parser.add_argument("--url", metavar="URL_OR_SUBDOMAIN",
                        help="the Kintone address: a subdomain (example for https://example.cybozu.com) or a URL")
    parser.add_argument("--domain", help="with a subdomain: the domain (default cybozu.com; kintone.com in the US)")
    parser.add_argument("--api", choices=("rest", "user"),
                        help="rest: apps and records (password, API token or OAuth); user: users, organizations and "
                             "groups only (a User API token)")
    parser.add_argument("--auth", choices=AUTH_TYPES, help="how to sign in to the REST API")
    parser.add_argument("--username", metavar="LOGIN", help="password authentication: the login name")
    parser.add_argument("--user-api-token", choices=("yes", "no"), dest="with_user_api_token",
                        help="also keep a User API token (for users, organizations and groups)")
    parser.add_argument("--oauth-client-id", metavar="ID", help="OAuth: the client id registered in Kintone")
    parser.add_argument("--oauth-scopes", metavar="SCOPES", help="OAuth: scopes separated by spaces or commas")
    parser.add_argument("--oauth-redirect-uri", metavar="URL", help="OAuth: the client's redirect URI")
    parser.add_argument("--aliases", metavar="NAME=ID,...", help="app aliases, e.g. deals=2,customers=1 ('' for none)")
    parser.add_argument("--app", metavar="APP", help="the default app: an id or an alias ('' for none)")
    parser.add_argument("--guest-space", metavar="ID", help="a guest space id ('' for none)")
    parser.add_argument("--basic-user", metavar="USER",
                        help="the Basic authentication gate's user name, when one is in front of Kintone ('' for none)")
    parser.add_argument("--pfx-file", metavar="PATH",
                        help="a client certificate (.pfx) for secure access ('' for none)")
    parser.add_argument("--secrets-stdin", action="store_true",
                        help="read the secrets from standard input as NAME=VALUE lines (password, api_token, "
                             "user_api_token, oauth_client_secret, basic_auth_password, pfx_file_password)")
    parser.add_argument("--secrets-file", metavar="PATH", type=Path, help="read the secrets from a file, as above")
    parser.add_argument("--no-input", action="store_true",
                        help="never ask: use the flags and defaults, fail on anything missing (also when standard "
                             "input is not a terminal)")


@dataclass
class Terminal:
    """Where questions are asked and answered: the terminal when ``interactive``, else nothing is asked."""

    interactive: bool
    out: TextIO = field(default_factory=lambda: sys.stdout)
    read_line: Callable[[str], str] = input
    read_secret: Callable[[str], str] = getpass.getpass

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, question: str, default: str | None = None, *, hint: str = "") -> str:
        shown = f" [{default}]" if default not in (None, "") else ""
        for _ in range(5):
            answer = self.read_line(f"{question}{hint}{shown}: ").strip()
            if answer or default is not None:
                return answer or (default or "")
            self.say("  (an answer is needed)")
        raise FormError(f"no answer to {question!r}.")

    def choose(self, question: str, choices: tuple[str, ...], default: str) -> str:
        while True:
            answer = self.ask(question, default, hint=f" ({'/'.join(choices)})").lower()
            matches = [c for c in choices if c == answer] or [c for c in choices if c.startswith(answer)]
            if len(matches) == 1:
                return matches[0]
            self.say(f"  choose one of: {', '.join(choices)}")

    def confirm(self, question: str, default: bool) -> bool:
        while True:
            answer = self.read_line(f"{question} [{'Y/n' if default else 'y/N'}]: ").strip().lower()
            if not answer:
                return default
            if answer in ("y", "yes", "n", "no"):
                return answer.startswith("y")
            self.say("  answer y or n")

    def secret(self, question: str, *, keep: bool) -> str | None:
        """A secret typed without echo; None when ``keep`` and nothing was typed (the stored one stays)."""
        hint = " (Enter keeps the stored one)" if keep else ""
        for _ in range(5):
            value = self.read_secret(f"{question}{hint}: ")
            if value.strip():
                return value.strip("\r\n")
            if keep:
                return None
            self.say("  (a value is needed; nothing is shown as you type)")
        raise FormError(f"no value for {question!r}.")


def read_secrets(text: str, where: str) -> dict[str, str]:
    """``NAME=VALUE`` lines (blank lines and ``#`` comments skipped); never echoes a value."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().lower()
        if not sep or key not in STORED_SECRETS:
            raise FormError(
                f"{where} line {number} is not NAME=VALUE with NAME one of {', '.join(STORED_SECRETS)} (the value "
                "is not shown)."
            )
        if key in values:
            raise FormError(f"{where} gives {key} twice.")
        values[key] = value.strip()
    return values


@dataclass
class Draft:
    """A connection being added or edited: its table (no secret) and its secrets."""

    name: str
    table: dict[str, Any]
    secrets: dict[str, str]


class Form:
    """Asks for each setting in turn. ``current`` is the connection being edited (its table and secrets)."""

    def __init__(self, args: argparse.Namespace, terminal: Terminal, given_secrets: dict[str, str] | None) -> None:
        self.args = args
        self.t = terminal
        self.given = given_secrets

    def _value(self, flag: str | None, question: str, default: str | None, *, required: str | None = None,
               hint: str = "") -> str:
        """The flag's value, else the answer, else the default; ``required`` names the flag of a value that must
        be given."""
        if flag is not None:
            return flag.strip()
        if self.t.interactive:
            return self.t.ask(question, default if default is not None else ("" if not required else None), hint=hint)
        if required and not default:
            raise FormError(f"{question} is needed: give {required} (there is no terminal to ask).")
        return default or ""

    def _yes(self, flag: str | None, question: str, default: bool) -> bool:
        if flag is not None:
            return flag == "yes"
        return self.t.confirm(question, default) if self.t.interactive else default

    def _secret(self, key: str, current: dict[str, str], flag_name: str) -> str | None:
        """The new value of a secret, or None to keep ``current``'s (edit) when none is given."""
        if self.given is not None:
            if key in self.given:
                return self.given[key]
            if key in current:
                return None
            raise FormError(f"{SECRET_LABELS[key]} is needed: add a line {key}=... to {flag_name}.")
        if not self.t.interactive:
            if key in current:
                return None
            raise FormError(
                f"{SECRET_LABELS[key]} is needed: with no terminal, give secrets through --secrets-stdin or "
                "--secrets-file (never on the command line)."
            )
        return self.t.secret(SECRET_LABELS[key], keep=key in current)

    def fill(self, name: str, table: dict[str, Any], current: dict[str, str]) -> Draft:
        a, out = self.args, dict[str, Any]()
        flag_name = "--secrets-file" if a.secrets_file else "--secrets-stdin"
        # The address: a subdomain, a host or a URL in one question, as people copy whichever they have.
        now = table.get("base_url") or table.get("subdomain")
        address = self._value(a.url, "Kintone address", now, required="--url",
                              hint=" (a subdomain such as example, or a URL such as https://example.cybozu.com)")
        if "://" in address:
            out["base_url"] = address.rstrip("/")
        elif "." in address or address.startswith("localhost"):
            out["base_url"] = f"https://{address.rstrip('/')}"
        else:
            out["subdomain"] = address
            domain = self._value(a.domain, "Domain", table.get("domain") or "cybozu.com",
                                 hint=" (cybozu.com; kintone.com for the US service)")
            if domain and domain != "cybozu.com":
                out["domain"] = domain

        was_user_api = table.get("auth_type") is None and "user_api_token" in current and not table.get("username")
        api = a.api or ("user" if was_user_api else "rest")
        if a.api is None and self.t.interactive:
            self.say_choices()
            api = self.t.choose("API", ("rest", "user"), api)
        secrets: dict[str, str | None] = {}
        if api == "user":
            secrets["user_api_token"] = self._secret("user_api_token", current, flag_name)
        else:
            auth = a.auth or str(table.get("auth_type") or "api_token")
            if a.auth is None and self.t.interactive:
                auth = self.t.choose(
                    "Authentication", AUTH_TYPES, auth if auth in AUTH_TYPES else "api_token"
                )
            out["auth_type"] = auth
            if auth == "password":
                out["username"] = self._value(a.username, "Login name", table.get("username"), required="--username")
                secrets["password"] = self._secret("password", current, flag_name)
            elif auth == "api_token":
                secrets["api_token"] = self._secret("api_token", current, flag_name)
            else:
                self._oauth(out, table)
                secrets["oauth_client_secret"] = self._secret("oauth_client_secret", current, flag_name)
            if auth != "password":
                had = "user_api_token" in current or (self.given is not None and "user_api_token" in self.given)
                if self._yes(a.with_user_api_token, "Also a User API token, for users, organizations and groups?",
                             had):
                    secrets["user_api_token"] = self._secret("user_api_token", current, flag_name)
            if auth != "oauth" and "user_api_token" not in secrets:
                # Both would need the Authorization header; the gate is asked only where it can work.
                self._basic_gate(out, table, current, secrets, flag_name)

        aliases = self._value(a.aliases, "App aliases", _aliases_text(table.get("app_aliases")),
                              hint=" (name=id, comma-separated; Enter for none)")
        if aliases:
            out["app_aliases"] = _aliases_table(aliases)
        app = self._value(a.app, "Default app", _text(table.get("app_id")), hint=" (an id or an alias; Enter for none)")
        if app:
            out["app_id"] = int(app) if app.isdigit() else app
        guest = self._value(a.guest_space, "Guest space id", _text(table.get("guest_space_id")),
                            hint=" (Enter for none)")
        if guest:
            out["guest_space_id"] = int(guest) if guest.isdigit() else guest
        self._certificate(out, table, current, secrets, flag_name)
        for key, value in table.items():
            # Settings the form does not ask about (set by hand in the file: read_only, timeouts, a proxy, …) are
            # kept as they are.
            if key not in _ASKED and key not in out:
                out[key] = value
        kept = {k: v for k, v in current.items() if k in secrets and secrets[k] is None}
        new = {k: v for k, v in secrets.items() if v is not None}
        return Draft(name, out, {**kept, **new})

    def say_choices(self) -> None:
        self.t.say("  rest: apps and records (password, API token or OAuth 2.0)")
        self.t.say("  user: users, organizations and groups only (a cybozu.com User API token)")

    def _oauth(self, out: dict[str, Any], table: dict[str, Any]) -> None:
        from kintone_mcp.auth.oauth import DEFAULT_REDIRECT_URI
        from kintone_mcp.auth.oauth_scopes import DEFAULT_SCOPES

        a = self.args
        out["oauth_client_id"] = self._value(a.oauth_client_id, "OAuth client id", table.get("oauth_client_id"),
                                             required="--oauth-client-id")
        scopes = table.get("oauth_scopes")
        scopes_text = " ".join(scopes) if isinstance(scopes, list) else (scopes or " ".join(DEFAULT_SCOPES))
        chosen = self._value(a.oauth_scopes, "OAuth scopes", scopes_text)
        if chosen and chosen != " ".join(DEFAULT_SCOPES):
            out["oauth_scopes"] = chosen
        redirect = self._value(a.oauth_redirect_uri, "Redirect URI", table.get("oauth_redirect_uri")
                               or DEFAULT_REDIRECT_URI, hint=" (as registered for the client)")
        if redirect and redirect != DEFAULT_REDIRECT_URI:
            out["oauth_redirect_uri"] = redirect

    def _basic_gate(self, out: dict[str, Any], table: dict[str, Any], current: dict[str, str],
                    secrets: dict[str, str | None], flag_name: str) -> None:
        a = self.args
        had = bool(table.get("basic_auth_username"))
        if a.basic_user is not None:
            user = a.basic_user.strip()
        elif self.t.interactive and self.t.confirm("Is there a Basic authentication gate in front of Kintone?", had):
            user = self.t.ask("Basic authentication user", table.get("basic_auth_username"))
        else:
            user = str(table.get("basic_auth_username") or "") if not self.t.interactive else ""
        if user:
            out["basic_auth_username"] = user
            secrets["basic_auth_password"] = self._secret("basic_auth_password", current, flag_name)

    def _certificate(self, out: dict[str, Any], table: dict[str, Any], current: dict[str, str],
                     secrets: dict[str, str | None], flag_name: str) -> None:
        a = self.args
        had = _text(table.get("pfx_file_path"))
        if a.pfx_file is not None:
            path = a.pfx_file.strip()
        elif self.t.interactive and self.t.confirm("Use a client certificate (.pfx) for secure access?", bool(had)):
            path = self.t.ask("Client certificate file", had or None)
        else:
            path = had if not self.t.interactive else ""
        if path:
            target = Path(path).expanduser().resolve()
            if not target.is_file():
                raise FormError(f"the client certificate {target} is not a readable file.")
            out["pfx_file_path"] = str(target)
            secrets["pfx_file_password"] = self._secret("pfx_file_password", current, flag_name)


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise FormError(
            f"{name!r} cannot be a connection name: use letters, digits, '.', '_' and '-' (up to 63, starting with a "
            "letter or digit)."
        )
    return name


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _aliases_text(value: Any) -> str | None:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return _text(value)


def _aliases_table(text: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        alias, sep, app = item.partition("=")
        if not sep or not alias.strip():
            raise FormError(f"app alias {item.strip()!r} must look like name=APP_ID (e.g. deals=2).")
        table[alias.strip()] = int(app.strip()) if app.strip().isdigit() else app.strip()
    return table
