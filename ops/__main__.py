"""Operator CLI: `python -m ops <command>` for the work that runs outside `pulumi up`."""

import sys

from ops.cli import main

sys.exit(main(sys.argv[1:]))
