"""The HTTP layer: how endpoints are declared and routed (``routing``), what a handler receives
(``RequestContext``, with the sandbox's long-lived ``Services``), request parameters (``params``), multipart
uploads (``uploads``) and Kintone-shaped JSON and error responses (``responses``). It knows Starlette; the layers
below it do not.
"""
