"""The scheduled edge functions: one pg_cron job per function whose `function.json` has a `"schedule"`, calling
the function through pg_net with the service-role key kept in Supabase Vault.

Built after the migrations (pg_net comes with them) and the functions (a job must not call a function that does
not exist yet). Where the database has no pg_cron, pg_net or Vault, each schedule is skipped with a log line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from providers.supabase.function_bundle import discover_functions, read_manifest
from providers.supabase.function_schedule import FunctionSchedule, FunctionScheduleArgs
from stackconfig.model import StackConfig

# Supabase ends a function after 150 s on the free plan; pg_net waits for it that long at most.
DEFAULT_TIMEOUT_MS = 150_000


@dataclass(frozen=True, kw_only=True)
class FunctionSchedulesArgs:
    connection: pulumi.Input[str]
    functions_url: pulumi.Input[str]
    service_role_key: pulumi.Input[str]
    functions_dir: str = "functions"
    timeout_ms: int = DEFAULT_TIMEOUT_MS

    @classmethod
    def from_config(
        cls,
        config: StackConfig,
        *,
        connection: pulumi.Input[str],
        functions_url: pulumi.Input[str],
        service_role_key: pulumi.Input[str],
    ) -> FunctionSchedulesArgs:
        """The functions in the stack's `supabase.functionsDir`, called at `functions_url` with that key."""
        return cls(
            connection=connection,
            functions_url=functions_url,
            service_role_key=service_role_key,
            functions_dir=config.supabase.functions_dir,
        )


def scheduled_functions(functions_dir: str) -> dict[str, str]:
    """{slug: cron expression} of every function whose function.json has a schedule."""
    schedules = {}
    for slug in discover_functions(functions_dir):
        schedule = read_manifest(functions_dir, slug).schedule
        if schedule:
            schedules[slug] = schedule
    return schedules


class FunctionSchedules(pulumi.ComponentResource):
    def __init__(self, name: str, args: FunctionSchedulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:function_schedules:FunctionSchedules", name, None, opts)
        # Forced secret where they enter: the URL holds the database password, the key is the service role's.
        connection = pulumi.Output.secret(args.connection)
        key = pulumi.Output.secret(args.service_role_key)
        digest: pulumi.Input[str] = key.apply(lambda k: hashlib.sha256(k.encode()).hexdigest())
        digest = pulumi.Output.secret(digest)
        self.schedules: Sequence[FunctionSchedule] = [
            FunctionSchedule(
                f"{name}-{slug}",
                FunctionScheduleArgs(
                    connection=connection,
                    slug=slug,
                    schedule=schedule,
                    function_url=pulumi.Output.concat(args.functions_url, "/", slug),
                    key=key,
                    key_digest=digest,
                    timeout_milliseconds=args.timeout_ms,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            for slug, schedule in scheduled_functions(args.functions_dir).items()
        ]
        self.register_outputs({"scheduledFunctions": [s.urn for s in self.schedules]})
