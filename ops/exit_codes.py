"""The exit codes of every operator command, so scripts and CI can tell a refusal from a typo."""

EXIT_OK = 0  # done, or nothing to do
EXIT_FAILED = 1  # refused or failed
EXIT_USAGE = 2  # usage error (argparse's own code)
