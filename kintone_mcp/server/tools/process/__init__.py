"""Process management: moving a record through its workflow (``update_status``) and reassigning it
(``update_assignees``).
"""
