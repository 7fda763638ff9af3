"""Operational behaviour around the sandbox app: the pure-ASGI wrapper (``middleware``: concurrency limit, method
override, the URL length limit, the ``/_sandbox/`` admin endpoints) and the fault rules it injects (``faults``), so
that clients can be tested against throttling, errors and broken connections.
"""

from kintone_mcp.sandbox.operations.faults import FaultRule, parse_fault_spec
from kintone_mcp.sandbox.operations.middleware import OperationsConfig

__all__ = ["FaultRule", "OperationsConfig", "parse_fault_spec"]
