"""The ``kintone-mcp`` command line: ``main`` dispatches, and each sub-command is one module here (``serve``,
``check``, ``auth``, ``sandbox``) with ``add_arguments(parser)`` and ``run(args) -> int``.

Commands sit on top of every other package: they wire settings, client, server and sandbox together, so that
no lower layer has to import another for the sake of the command line. Nothing is imported here, so that
``kintone-mcp`` (the stdio server) loads only the command it runs.
"""
