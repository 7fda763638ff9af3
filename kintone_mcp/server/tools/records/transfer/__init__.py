"""Records moved between Kintone and files without passing through the model: export to and import from CSV
(cli-kintone's layout) and JSON Lines. The export_records / import_records tools and the ``kintone-mcp export`` /
``import`` commands share this engine; it reaches Kintone through the client only."""

from kintone_mcp.server.tools.records.transfer.exporting import Exported, Progress, export_to_file
from kintone_mcp.server.tools.records.transfer.importing import Imported, Mode, PartialImportError, import_file
from kintone_mcp.server.tools.records.transfer.reading import ENCODINGS, Encoding, Format

__all__ = [
    "ENCODINGS",
    "Encoding",
    "Exported",
    "Format",
    "Imported",
    "Mode",
    "PartialImportError",
    "Progress",
    "export_to_file",
    "import_file",
]
