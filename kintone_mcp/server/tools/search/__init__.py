"""Kintone's cross search (``search.json``): the ``search`` tool of the records toolset."""
