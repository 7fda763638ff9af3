"""Files attached to records: save one to the configured folder (small text comes back inline), attach a local file.

A download is named by the record it is attached to, not by its key alone, so that the app allow / deny lists
apply to files as to everything else. Downloads never overwrite: a name already taken gets a numbered suffix.
"""
