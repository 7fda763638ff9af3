"""The ``spaces`` toolset: reading and changing spaces, their members and threads, and posting to threads."""
