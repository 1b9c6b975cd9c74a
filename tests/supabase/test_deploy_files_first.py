"""Every file a deploy reads is checked before the program registers any resource, and the functions are deployed
after the migrations. Before, a bad cron, an import outside functions/ or a migration that does not parse stopped
the program only once the project and its settings (for the migration: every function, bucket and secret) had
been registered, and `up` wrote them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from ops.engineless.program import run_program
from stackconfig.deploy_files import DeployFilesError
from tests.supabase.test_program import ProjectMocks

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FUNCTION_TYPE = "pulumi-python:dynamic/supabase:EdgeFunction"


class CountingMocks(ProjectMocks):
    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:  # type: ignore[override]
        self.created.append(args.name)
        return super().new_resource(args)


def _bad_cron(functions: Path, _migrations: Path) -> str:
    (functions / "reminder-engine" / "function.json").write_text('{"verify_jwt": false, "schedule": "*/5 * * *"}')
    return "functions/reminder-engine/function.json: schedule '*/5 * * *' has 4 fields"


def _import_outside(functions: Path, _migrations: Path) -> str:
    entry = functions / "health-check" / "index.ts"
    entry.write_text('import { secret } from "../../ops/secret.ts";\n' + entry.read_text())
    return "health-check"


def _migration_syntax_error(_functions: Path, migrations: Path) -> str:
    (migrations / "29991231000000_broken.sql").write_text("create tabel public.broken (id int);\n")
    return "29991231000000_broken.sql"


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    functions, migrations = tmp_path / "functions", tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "functions", functions, ignore=shutil.ignore_patterns("*_test.ts"))
    shutil.copytree(PROJECT_ROOT / "sql" / "migrations", migrations)
    return functions, migrations


def _overrides(functions: Path, migrations: Path) -> dict:
    return {
        "supabase": {"organizationSlug": "example-org", "projectName": "p", "functionsDir": str(functions)},
        "database": {"migrationsDir": str(migrations)},
    }


@pytest.mark.parametrize("spoil", [_bad_cron, _import_outside, _migration_syntax_error])
def test_a_bad_file_stops_the_program_before_any_resource_is_registered(copies, spoil):
    functions, migrations = copies
    named = spoil(functions, migrations)
    mocks = CountingMocks()
    with pytest.raises(DeployFilesError) as raised:
        run_program("staging", _overrides(functions, migrations), mocks=mocks)
    assert mocks.created == [], f"registered before the bad file was found: {mocks.created}"
    assert named in str(raised.value) and "nothing was changed" in str(raised.value)


def test_every_problem_is_listed_at_once(copies):
    functions, migrations = copies
    names = [spoil(functions, migrations) for spoil in (_bad_cron, _import_outside, _migration_syntax_error)]
    with pytest.raises(DeployFilesError) as raised:
        run_program("staging", _overrides(functions, migrations), mocks=CountingMocks())
    assert len(raised.value.problems) == 3
    assert all(name in str(raised.value) for name in names)


def test_functions_are_deployed_after_the_migrations(copies):
    functions, migrations = copies
    program = run_program("staging", _overrides(functions, migrations), mocks=ProjectMocks())
    migrations_urn = program.named("platform-db-migrations").urn
    deployed = program.of_type(FUNCTION_TYPE)
    assert deployed
    for function in deployed:
        assert migrations_urn in function.options["depends_on"], f"{function.name} does not wait for the migrations"
