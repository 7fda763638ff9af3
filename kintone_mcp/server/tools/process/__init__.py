"""Process management: moving a record through its workflow (``update_status``, or up to 100 records at once with
``update_statuses``) and reassigning it (``update_assignees``).
"""
