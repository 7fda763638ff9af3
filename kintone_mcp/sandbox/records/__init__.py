"""Record logic: writing records (validation, defaults, lookups, CALC fields, uniqueness), the read form of
records, field values by type, the CALC formula language and process-management rules. It takes a small
``RecordContext`` (connection, caller, moment, a few settings), never the HTTP request or the Sandbox.
"""
