"""Kintone's REST API, one module per API family (apps, app settings, records, bulk requests, cursors, files,
comments, process management, the User API, the API catalogue, OAuth). Each module owns a ``Router`` of handlers
that read the request through ``http.RequestContext`` and do the work with ``records``, ``access`` and ``store``.
"""
