"""Where the checkout is. The program, its providers and the operator CLI read sql/, functions/, Pulumi.yaml and
the stack files relative to this one path."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
