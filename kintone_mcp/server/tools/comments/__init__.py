"""The conversation on a record: ``get_comments`` and ``add_comment``."""
