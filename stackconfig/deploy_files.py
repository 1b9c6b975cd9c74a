"""The files a deploy reads besides the stack config, checked before the program registers any resource.

A bad file found halfway used to half-apply a deploy: a cron expression in a `function.json`, an import that
leaves `functions/` or a migration that does not parse stopped the program only after the project, its auth
and database settings (and, for the migration, every function, bucket and secret) had been written, because
`pulumi up` through the Automation API or pulumi/actions does not stop at a preview first. __main__.py calls
`check_deploy_files` right after reading the config: every problem is listed at once and nothing is touched.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

import dbmigrate
from providers.supabase.errors import SupabaseError
from providers.supabase.function_bundle import collect_files, discover_functions
from stackconfig.model import StackConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DeployFilesError(pulumi.RunError):
    """Files the deploy would read are wrong. A RunError: Pulumi shows the message alone, without a traceback."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"nothing was changed: the files this deploy reads have problems:\n{lines}\nFix each file and run again."
        )


def check_deploy_files(config: StackConfig) -> None:
    """Parses every migration (with the migrations engine's own parser) and, for a stack with a Supabase
    project, reads every function's `function.json` (its schedule included) and follows its import graph, as a
    deploy will; raises DeployFilesError listing every problem."""
    problems = _migration_problems(PROJECT_ROOT / config.database.migrations_dir)
    if config.supabase.enabled:
        problems += _function_problems(config.supabase.functions_dir, set(config.functions))
    if problems:
        raise DeployFilesError(problems)


def _migration_problems(migrations_dir: Path) -> list[str]:
    try:
        files = dbmigrate.load_files(migrations_dir)
    except dbmigrate.MigrationError as exc:
        return [str(exc)]
    problems = []
    for migration in files:
        try:
            migration.parsed()
        except dbmigrate.MigrationFileError as exc:
            problems.append(str(exc))
    return problems


def _function_problems(functions_dir: str, configured: set[str]) -> list[str]:
    try:
        slugs = discover_functions(functions_dir)
    except SupabaseError as exc:
        return [str(exc)]
    problems = []
    for slug in slugs:
        try:
            collect_files(functions_dir, slug)  # function.json (schedule included), then the import graph
        except SupabaseError as exc:
            problems.append(str(exc))
    unknown = sorted(configured - set(slugs))
    if unknown:
        problems.append(
            f"functions: {', '.join(unknown)} configured but not found under {functions_dir}/; "
            "fix the name or remove the entry"
        )
    return problems
