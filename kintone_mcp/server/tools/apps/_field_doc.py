"""The text of the ``kintone://docs/field-types`` resource: the compact field form, type by type."""

from __future__ import annotations

from kintone_mcp.server.tools.apps._fields import TYPES

_EXAMPLES = """\
## Examples

```json
{"code": "title", "type": "SINGLE_LINE_TEXT", "label": "Title", "required": true, "unique": true, "max": 100}
{"code": "priority", "type": "DROP_DOWN", "label": "Priority", "options": ["Low", "High"], "default": "Low"}
{"code": "tags", "type": "CHECK_BOX", "label": "Tags", "options": ["A", "B"], "default": ["A"]}
{"code": "qty", "type": "NUMBER", "label": "Quantity", "min": 0, "decimals": 0, "unit": "pcs"}
{"code": "total", "type": "CALC", "label": "Total", "expression": "price * qty", "format": "NUMBER_DIGIT"}
{"code": "owner", "type": "USER_SELECT", "label": "Owner", "default": ["LOGINUSER()"]}
{"code": "customer", "type": "SINGLE_LINE_TEXT", "label": "Customer",
 "lookup": {"app": 1, "key": "company_name", "copy": {"customer_city": "city"}, "picker": ["company_name"]}}
{"code": "items", "type": "SUBTABLE", "label": "Items",
 "fields": [{"code": "item", "type": "SINGLE_LINE_TEXT"}, {"code": "price", "type": "NUMBER"}]}
```

## Rules checked before anything is sent

- `code`: letters, digits and `_`, not starting with a digit, unique in the app (table columns included).
- `options`: a non-empty list of distinct labels, for DROP_DOWN, RADIO_BUTTON, CHECK_BOX, MULTI_SELECT; a RADIO_BUTTON
  without `default` gets its first option (Kintone requires one).
- `default`: one value; a list for CHECK_BOX, MULTI_SELECT and the user / organization / group pickers; must be
  among the options.
- `min` / `max`: the value range of a NUMBER, the length range of a SINGLE_LINE_TEXT.
- `expression` (CALC): every name in it must be a field code of the app or of the same call.
- `lookup` (SINGLE_LINE_TEXT or NUMBER): the source `app` must be deployed, readable and allowed by the server's
  app lists; `key`, the `copy` sources and the `picker` fields must be fields of it; the `copy` targets fields of
  this app or this call. The lookup field itself is copied from `key`.
- A SUBTABLE holds `fields` (its columns), never another table.
"""


def _types_table() -> str:
    rows = ["| Type | Keys beyond code, type, label, required |", "|---|---|"]
    rows += [f"| {t} | {', '.join(sorted(keys)) or '-'} |" for t, keys in TYPES.items()]
    return "\n".join(rows)


FIELD_TYPES_DOC = f"# Field types for add_fields\n\n{_types_table()}\n\n{_EXAMPLES}"
