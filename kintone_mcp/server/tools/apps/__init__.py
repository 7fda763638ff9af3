"""The ``apps`` toolset: creating apps and changing their design. Every change goes to the app's preview (pre-live)
settings and takes effect only with ``deploy_app`` (docs/kintone-api.md §4.1)."""
