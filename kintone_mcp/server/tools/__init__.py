"""Every tool, one module per tool, grouped by family; ``registry.ALL_TOOLS`` lists them in the order they are listed.

Layout: ``<family>/<tool>.py`` holds one tool whole: its handler (whose docstring is the description models read),
its arguments (annotated parameters; argument types several tools share are in ``arguments``), its output model,
and at the end its ``SPEC`` (``spec.ToolSpec``: title, a one-line summary for the README, what it does to the
world). Output models that several tools answer with are in ``outputs``; helpers one family's tools share are in a
module of that family whose name starts with ``_`` (``records/_writing.py``); a family may also hold the logic a tool
shares with a resource or a command (``app_info/app_schema.py``, ``connection/diagnose.py``).

Families: ``connection``, ``app_info`` (finding apps and reading their schema), ``records``, ``process``,
``comments``, ``search``, ``files``, ``users``, ``apps`` (creating and changing apps: the ``apps`` toolset) and
``spaces`` (spaces, members, threads: the ``spaces`` toolset). Which toolset a
tool belongs to is its ``SPEC``'s ``toolset`` (``server/toolsets.py``).

Adding a tool:

1. Write ``<family>/<tool>.py`` after the pattern of its neighbours, ending with ``SPEC = read(...)`` or
   ``write(...)``.
2. Add ``<tool>.SPEC`` to ``ALL_TOOLS`` in ``registry.py``, where it belongs in the list.
3. Test it in ``tests/server/tools/<family>/test_<tool>.py``.
4. Add it to ``manifests/manifest.json`` and regenerate the README's tool table
   (``python -m tests.server.tool_table --write``); tests check both against ``ALL_TOOLS``.

Nothing is imported here: the ``export`` / ``import`` commands reach the transfer engine
(``records/transfer``) through this package, and importing every tool would load the MCP SDK they never use
(``tests/commands/test_transfer_imports.py``). No tool module may import the Kintone client at import time: the
server imports ``registry`` before its first ``tools/list``, and a tool loads what it needs when it runs
(``tests/server/test_startup.py``).
"""
