"""The operator CLI's commands: each module exposes `register(subparsers)`, which adds its parser and
sets `run=<callable(args) -> exit code>` as the parser's default."""

COMMAND_MODULES: list[str] = [
    "migrate",
    "local",
    "backup",
    "backup_prune",
    "restore",
    "verify_backup",
    "frontend_env",
    "publish_frontend",
    "check_site",
    "restore_pitr",
    "scrape_metrics",
    "storage",
    "account",
    "retention",
    "export",
    "archive",
    "functions",
    "report",
    "recover_stack",
    "webhooks_arrived",
    "google_cloud_check",
    "preview",
]
