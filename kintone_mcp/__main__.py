import sys

from kintone_mcp.commands.main import main

sys.exit(main())
