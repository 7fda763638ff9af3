"""Finding apps and learning their schema: ``list_apps``, ``get_app`` (and the schema resource's answer, which is
get_app's).

Named ``app_info`` rather than ``apps`` so that tools that *change* apps can come as their own family and toolset.
"""
