"""Operational behaviour around the sandbox app: the pure-ASGI wrapper (``middleware``: concurrency limit, method
override, the URL length limit, the ``/_sandbox/`` admin endpoints) and the fault rules it injects (``faults``), so
that clients can be tested against throttling, errors and broken connections.
"""
