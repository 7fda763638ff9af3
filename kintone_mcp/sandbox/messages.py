"""Localised error messages for the sandbox (English and Japanese, picked from ``Accept-Language``).

Kintone writes an error's ``message`` in the user's language, falling back to ``Accept-Language``; the sandbox has no
per-user language setting, so the header alone decides. English is the default, and the caller's own English message
(often more specific than the table's) is kept as is. Japanese comes from the table below.

Messages that name something (a field, an app id, a limit) have two forms: a generic one, and a detailed template with
``{placeholders}`` used when the caller passes every value it needs in ``params`` (``ErrorReply.params``). A
half-filled template would read worse than the generic sentence, so a template is only used when all its placeholders
are given.

Where Kintone's own Japanese is on record (measured answers of a real Kintone, docs/kintone-api.md's sources), the table
uses it, since that is what a client written against Kintone sees; the rest is written for this project.

Per-field sentences inside ``errors`` (``localize_text``) are either fixed (``TEXTS_JA``) or carry a number or a value
(``TEXT_PATTERNS_JA``: "Enter less than 6 characters." → "6文字より短くなければなりません。").
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "ja")


@dataclass(frozen=True)
class Message:
    en: str
    ja: str
    #: Detailed templates, used when ``params`` fill every placeholder; None when the code names nothing.
    en_detail: str | None = None
    ja_detail: str | None = None


#: English follows Kintone's own wording where it is known (docs/kintone-api.md); the rest says what went wrong and
#: what to do about it. Japanese is written for this project, in the polite register Kintone's screens use.
MESSAGES: dict[str, Message] = {
    # Authentication and permission
    "CB_AU01": Message("Please login.", "ログインしてください。"),
    "CB_WA01": Message(
        "Password authentication failed. Check the login name and password.",
        "パスワード認証に失敗しました。ログイン名とパスワードを確認してください。",
    ),
    "CB_TW02": Message(
        "This account uses two-factor authentication and cannot sign in with a password. Use an API token or OAuth.",
        "このアカウントは2要素認証を使用しているため、パスワード認証は使用できません。APIトークンまたはOAuthを使用してください。",
    ),
    "CB_NO02": Message("No privilege to proceed.", "この操作を実行する権限がありません。"),
    "GAIA_NO01": Message(
        "Using this API token, you cannot run the specified API.",
        "このAPIトークンでは、指定されたAPIを実行できません。",
    ),
    "GAIA_IA02": Message(
        "The API token is invalid. Check the token and that the app settings that issued it have been updated.",
        "APIトークンが無効です。トークンと、発行元のアプリの設定が更新済みかを確認してください。",
    ),
    "GAIA_DA03": Message(
        "Several API tokens for the same app were sent. Send one token per app.",
        "同じアプリのAPIトークンが複数指定されています。アプリごとに1つだけ指定してください。",
        "Several API tokens for the same app (ID: {app}) were sent. Send one token per app.",
        "同じアプリ（ID: {app}）のAPIトークンが複数指定されています。アプリごとに1つだけ指定してください。",
    ),
    # Request shape
    "CB_VA01": Message("Missing or invalid input.", "入力内容が正しくありません。"),
    "CB_IJ01": Message(
        "The request body is not valid JSON.",
        "リクエストの本文が正しいJSONではありません。",
    ),
    "CB_NF01": Message(
        "The requested API does not exist. Check the path and the HTTP method.",
        "指定されたAPIは存在しません。パスとHTTPメソッドを確認してください。",
    ),
    "CB_IL02": Message(
        "An unexpected error occurred on the server.",
        "サーバーで予期しないエラーが発生しました。",
    ),
    # Not found
    "GAIA_AP01": Message(
        "The app was not found. It may have been deleted.",
        "指定したアプリが見つかりません。削除されている可能性があります。",
        "The app (ID: {app}) not found. The app may have been deleted.",
        "指定したアプリ（id: {app}）が見つかりません。削除されている可能性があります。",
    ),
    "GAIA_RE01": Message(
        "The specified record was not found.",
        "指定したレコードが見つかりません。",
        "The specified record (ID: {id}) is not found.",
        "指定したレコード（id: {id}）が見つかりません。",
    ),
    "GAIA_RE02": Message(
        "The specified comment does not exist. The comment may have been deleted.",
        "指定したコメントが存在しません。削除された可能性があります。",
        "The specified comment (ID: {id}) does not exist. The comment may have been deleted.",
        "指定したコメント（id: {id}）が存在しません。削除された可能性があります。",
    ),
    "GAIA_RE20": Message(
        "No record has the value given in updateKey.",
        "updateKeyに指定された値を持つレコードがありません。",
        'No record has the value "{value}" in the field "{field}" given in updateKey.',
        "updateKeyに指定されたフィールド「{field}」の値が「{value}」のレコードがありません。",
    ),
    "GAIA_BL01": Message(
        "The specified file was not found. Get the record again for a current file key.",
        "指定されたファイルが見つかりません。レコードを取得し直して、最新のファイルキーを使用してください。",
        "The specified file (id: {key}) not found. Get the record again for a current file key.",
        "指定したファイル（id: {key}）が見つかりません。レコードを取得し直して、最新のファイルキーを使用してください。",
    ),
    # Conflicts and app placement
    "GAIA_CO02": Message(
        "The revision is not the latest. Someone may have updated the record; get it again and retry.",
        "リビジョンが最新ではありません。ほかのユーザーがレコードを更新した可能性があります。"
        "レコードを取得し直してから再実行してください。",
        "The revision of the record (ID: {id}) is not the latest. Someone may have updated it; get it again and retry.",
        "レコード（ID: {id}）のリビジョンが最新ではありません。ほかのユーザーが更新した可能性があります。"
        "レコードを取得し直してから再実行してください。",
    ),
    "GAIA_IL23": Message(
        "This app is in a guest space. Call it through the guest space path /k/guest/<space ID>/v1/.",
        "このアプリはゲストスペースにあります。ゲストスペース用のパス /k/guest/<スペースID>/v1/ で呼び出してください。",
        "This app is in a guest space. Call it through the guest space path /k/guest/{space}/v1/.",
        "このアプリはゲストスペースにあります。ゲストスペース用のパス /k/guest/{space}/v1/ で呼び出してください。",
    ),
    # Query limits and query errors
    "GAIA_QU01": Message(
        "The limit in the query must be 500 or less. Use offset or a cursor to read more records.",
        "クエリのlimitには500以下の値を指定してください。それ以上のレコードはoffsetまたはカーソルで取得してください。",
        "The limit in the query must be 500 or less (it was {limit}). Use offset or a cursor to read more records.",
        "クエリのlimitには500以下の値を指定してください（指定値: {limit}）。"
        "それ以上のレコードはoffsetまたはカーソルで取得してください。",
    ),
    "GAIA_QU02": Message(
        "The offset in the query must be 10,000 or less. Page by $id or use a cursor instead.",
        "クエリのoffsetには10,000以下の値を指定してください。代わりに$idでの絞り込みかカーソルを使用してください。",
        "The offset in the query must be 10,000 or less (it was {offset}). Page by $id or use a cursor instead.",
        "クエリのoffsetには10,000以下の値を指定してください（指定値: {offset}）。"
        "代わりに$idでの絞り込みかカーソルを使用してください。",
    ),
    "GAIA_IQ03": Message(
        "An operator in the query cannot be used with the type of its field.",
        "クエリの演算子が、対象フィールドの種類では使用できません。",
        'The operator "{operator}" cannot be used with the field "{field}".',
        "フィールド「{field}」には演算子「{operator}」を使用できません。",
    ),
    "GAIA_IQ07": Message(
        "Fields in a table cannot be compared with = or !=. Use in or not in.",
        "テーブル内のフィールドには = と != を使用できません。in または not in を使用してください。",
        'The field "{field}" is in a table and cannot be compared with = or !=. Use in or not in.',
        "フィールド「{field}」はテーブル内のフィールドのため、= と != を使用できません。"
        "in または not in を使用してください。",
    ),
    "GAIA_IQ10": Message(
        "A value in the query is not one of the field's options.",
        "クエリに指定された値が、フィールドの選択肢にありません。",
        '"{value}" is not one of the options of the field "{field}".',
        "「{value}」はフィールド「{field}」の選択肢にありません。",
    ),
    "GAIA_IQ11": Message(
        "The query refers to a field that does not exist.",
        "クエリに存在しないフィールドが指定されています。",
        'The field "{field}" in the query does not exist. Field codes are case-sensitive.',
        "クエリに指定されたフィールド「{field}」は存在しません。フィールドコードの大文字と小文字も確認してください。",
    ),
    "GAIA_IR02": Message(
        "Dot notation in a query is only allowed for fields of a related records field.",
        "クエリでドット記法を使用できるのは、関連レコード一覧のフィールドだけです。",
        '"{field}": dot notation in a query is only allowed for fields of a related records field.',
        "「{field}」: クエリでドット記法を使用できるのは、関連レコード一覧のフィールドだけです。",
    ),
    "GAIA_IL08": Message(
        "A function in the query has wrong arguments.",
        "クエリの関数の引数が正しくありません。",
        "The function {function}() in the query has wrong arguments.",
        "クエリの関数 {function}() の引数が正しくありません。",
    ),
    "GAIA_IQ23": Message(
        "A day of the month in the query must be between 1 and 31, or LAST.",
        "クエリで指定する日付は1から31まで、またはLASTにしてください。",
    ),
    "GAIA_IQ25": Message(
        "A function in the query has an unknown unit or day of the week.",
        "クエリの関数に指定された単位または曜日が正しくありません。",
    ),
    # Record writes
    "GAIA_LO04": Message(
        "The lookup value has no matching record in the source app.",
        "ルックアップの値に一致するレコードが参照先のアプリにありません。",
        "A value {value} in the field {field} does not exist in the datasource app for lookup, or you do not have "
        "permission to view the app or the field.",
        "フィールド「{field}」の値「{value}」が、ルックアップの参照先のフィールドにないか、"
        "またはアプリやフィールドの閲覧権限がありません。",
    ),
    "GAIA_IL26": Message(
        "A user in the request does not exist.",
        "指定されたユーザーが存在しません。",
        'The user "{user}" does not exist.',
        "ユーザー「{user}」は存在しません。",
    ),
    "GAIA_IL28": Message(
        "An organization in the request does not exist.",
        "指定された組織が存在しません。",
        'The organization "{organization}" does not exist.',
        "組織「{organization}」は存在しません。",
    ),
    "GAIA_IL27": Message(
        "A group in the request does not exist.",
        "指定されたグループが存在しません。",
        'The group "{group}" does not exist.',
        "グループ「{group}」は存在しません。",
    ),
    # Process management
    "GAIA_ST02": Message(
        "Your request failed. The process management feature has been disabled.",
        "操作に失敗しました。プロセス管理機能が無効化されています。",
    ),
    "GAIA_SA01": Message(
        "Specify the assignee.",
        "作業者を指定してください。",
        'Specify the assignee of the status "{status}" in "assignee".',
        "ステータス「{status}」の作業者を「assignee」に指定してください。",
    ),
    "GAIA_IL03": Message(
        "The action cannot be performed from the record's current status.",
        "レコードの現在のステータスからは、このアクションを実行できません。",
        'The action "{action}" cannot be performed from the record\'s current status.',
        "レコードの現在のステータスからは、アクション「{action}」を実行できません。",
    ),
    "GAIA_NT01": Message(
        "Only an assignee of the current status can perform this action.",
        "このアクションを実行できるのは、現在のステータスの作業者だけです。",
        'Only an assignee of the current status can perform the action "{action}".',
        "アクション「{action}」を実行できるのは、現在のステータスの作業者だけです。",
    ),
    # Capacity and transient failures
    "GAIA_TM12": Message(
        "Too many cursors are open. Delete cursors you no longer need and retry.",
        "開いているカーソルが多すぎます。不要なカーソルを削除してから再実行してください。",
        "The number of open cursors has reached the limit ({limit}). Delete cursors you no longer need and retry.",
        "開いているカーソルの数が上限（{limit}）に達しています。不要なカーソルを削除してから再実行してください。",
    ),
    "GAIA_TO04": Message(
        "Too many concurrent requests. Wait a moment and retry.",
        "同時に処理できるリクエストの数を超えました。しばらく待ってから再実行してください。",
        "The number of concurrent requests exceeded the limit ({limit}). Wait a moment and retry.",
        "同時リクエスト数が上限（{limit}）を超えました。しばらく待ってから再実行してください。",
    ),
    "GAIA_DA02": Message(
        "The data is locked by another operation. Wait a moment and retry.",
        "ほかの処理がデータをロックしています。しばらく待ってから再実行してください。",
    ),
    "GAIA_LT01": Message(
        "The request timed out waiting for another operation. Wait a moment and retry.",
        "ほかの処理の完了待ちでタイムアウトしました。しばらく待ってから再実行してください。",
    ),
    "GAIA_RE18": Message(
        "The record is being updated by another operation. Wait a moment and retry.",
        "レコードがほかの処理によって更新中です。しばらく待ってから再実行してください。",
    ),
    "GAIA_UN03": Message(
        "The update conflicted with another update. Get the record again and retry.",
        "ほかの更新と競合しました。レコードを取得し直してから再実行してください。",
    ),
}

#: Fixed sentences that appear inside ``errors`` (per-field messages) rather than as a top-level message.
TEXTS_JA: dict[str, str] = {
    "Required.": "必須です。",
    "Required field.": "必須です。",
    "This value already exists in another record.": "値がほかのレコードと重複しています。",
    "Only numbers are allowed.": "数字でなければなりません。",
    "The query is invalid.": "クエリの記述が正しくありません。",
    "Enter an integer value.": "整数を入力してください。",
    "must be greater than or equal to 1": "最小でも1以上です。",
    "An unexpected error occurred. Retry the request.": "予期しないエラーが発生しました。再実行してください。",
    "Only GET can be requested through X-HTTP-Method-Override, and only on a POST request.": (
        "X-HTTP-Method-Overrideで指定できるのはGETだけで、POSTリクエストでのみ使用できます。"
    ),
}


#: Per-field sentences that carry a number or a value, as (English pattern, Japanese template over its groups).
TEXT_PATTERNS_JA: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"Enter less than (?P<n>\d+) characters\.", "{n}文字より短くなければなりません。"),
        (r"Enter more than (?P<n>-?\d+) characters\.", "{n}文字より長くなければなりません。"),
        (r"The value must be (?P<n>\S+) or less\.", "{n}以下である必要があります。"),
        (r"The value must be (?P<n>\S+) or more\.", "{n}以上である必要があります。"),
        (r'The value, "(?P<v>.*)", is not in options\.', '"{v}"は選択肢にありません。'),
        (r"A maximum of (?P<n>\d+) records can be added at one time\.", "一度に{n}件までのレコードを追加できます。"),
        (r"A maximum of (?P<n>\d+) records can be updated at one time\.", "一度に{n}件までのレコードを更新できます。"),
        (
            r"Between 1 and (?P<n>\d+) records can be deleted at one time\.",
            "一度に1件から{n}件までのレコードを削除できます。",
        ),
        (r"Enter a value greater than or equal to (?P<n>-?\d+)\.", "{n}以上の値を入力してください。"),
        (r"Enter a value less than or equal to (?P<n>-?\d+)\.", "{n}以下の値を入力してください。"),
        (r"Specify at most (?P<n>\d+) items\.", "{n}件まで指定できます。"),
    )
)


def preferred_language(accept_language: str | None) -> str:
    """The supported language the ``Accept-Language`` header ranks highest (RFC 9110 q-values); English otherwise.

    Unsupported languages are skipped rather than ending the search, so ``fr, ja;q=0.5`` gives Japanese: a French
    reader is better served by the language they named second than by one they did not name at all. ``*`` stands for
    the default language; ``q=0`` means "not this one".
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, int] | None = None
    chosen = DEFAULT_LANGUAGE
    for position, item in enumerate(accept_language.split(",")):
        parts = [p.strip() for p in item.split(";")]
        tag = parts[0].lower()
        if not tag:
            continue
        q = _quality(parts[1:])
        if q is None or q <= 0:
            continue
        language = DEFAULT_LANGUAGE if tag == "*" else tag.split("-", 1)[0]
        if language not in SUPPORTED_LANGUAGES:
            continue
        # Higher q wins; on a tie the earlier entry wins (negated position so that max() picks it).
        rank = (q, -position)
        if best is None or rank > best:
            best, chosen = rank, language
    return chosen


def _quality(params: list[str]) -> float | None:
    """The q parameter of one Accept-Language entry: 1 when absent, None when malformed (the entry is ignored)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() != "q":
            continue
        try:
            q = float(value.strip())
        except ValueError:
            return None
        return q if 0 <= q <= 1 else None
    return 1.0


def message(code: str, language: str = DEFAULT_LANGUAGE, params: Mapping[str, object] | None = None) -> str | None:
    """The table's message for ``code`` in ``language``, detailed when ``params`` complete its template."""
    entry = MESSAGES.get(code)
    if entry is None:
        return None
    japanese = language == "ja"
    detail = entry.ja_detail if japanese else entry.en_detail
    if detail is not None and params:
        filled = _fill(detail, params)
        if filled is not None:
            return filled
    return entry.ja if japanese else entry.en


def _fill(template: str, params: Mapping[str, object]) -> str | None:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not names <= params.keys():
        return None
    return template.format_map({name: params[name] for name in names})


def localize(
    code: str,
    default_message: str,
    accept_language: str | None,
    params: Mapping[str, object] | None = None,
) -> str:
    """The ``message`` of an error body for a caller whose ``Accept-Language`` header is ``accept_language``.

    Japanese readers get the table's Japanese for a known code. Everyone else gets ``default_message`` (the caller's
    English, which may be more specific than the table's), or the table's English when ``default_message`` is empty.
    An unknown code keeps ``default_message`` in every language: a message in the wrong language beats none.
    """
    language = preferred_language(accept_language)
    if language == "ja":
        japanese = message(code, "ja", params)
        if japanese is not None:
            return japanese
    if default_message:
        return default_message
    return message(code, DEFAULT_LANGUAGE, params) or code


def localize_text(text: str, accept_language: str | None) -> str:
    """Translates a sentence used inside ``errors``: a fixed one ("Required.") or one of ``TEXT_PATTERNS_JA`` with its
    number or value carried over. Other text (the sandbox's own detailed explanations) is returned as is."""
    if preferred_language(accept_language) != "ja":
        return text
    fixed = TEXTS_JA.get(text)
    if fixed is not None:
        return fixed
    for pattern, template in TEXT_PATTERNS_JA:
        matched = pattern.fullmatch(text)
        if matched:
            return template.format_map(matched.groupdict())
    return text
