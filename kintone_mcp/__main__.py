import sys

from kintone_mcp.cli import main

sys.exit(main())
