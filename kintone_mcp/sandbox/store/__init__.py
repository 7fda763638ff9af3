"""Storage: the SQLite schema and its serialised connection (``database``), apps and their settings, files,
the user directory, spaces, and the compilation of Kintone queries (and their date functions) to SQL. Everything
here works on a connection and plain values; it knows nothing of HTTP, callers or configuration.
"""
