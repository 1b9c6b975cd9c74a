"""The AI Super Assistant platform's backend, one stack per environment.

Reads the stack's config once (a bad key stops here, before anything is touched), then wires one
component per concern. Stack differences live in Pulumi.<stack>.yaml, never in this file.
"""

import pulumi

from components.database import Database, DatabaseArgs
from components.local_storage import LocalStorage, LocalStorageArgs
from components.supabase_project import SupabaseProject, SupabaseProjectArgs
from stackconfig import load_stack_config

config = load_stack_config()

# ------------------------------------------------------------------ database
# The local stack names its database; stacks with a Supabase project connect through its pooler.
database_url: pulumi.Input[str] | None = config.database.local_url
if database_url is not None:
    database = Database(
        "platform-db",
        DatabaseArgs(
            connection=pulumi.Output.secret(database_url),
            migrations_dir=config.database.migrations_dir,
            lock_timeout_seconds=config.database.lock_timeout_seconds,
            allow_out_of_order=config.database.allow_out_of_order,
            accept_changed_versions=config.database.accept_changed_versions,
        ),
    )
    pulumi.export("appliedMigrations", database.applied_count)
    # The local stack has no Storage service: its buckets are rows in storage.buckets.
    LocalStorage(
        "local-storage",
        LocalStorageArgs(connection=pulumi.Output.secret(database_url), buckets=config.storage_buckets),
        pulumi.ResourceOptions(depends_on=[database]),
    )

# ------------------------------------------------------------------ supabase
# Staging and prod each own one Supabase project (settings, secrets, functions, buckets); local has none.
if config.supabase.enabled:
    supabase = SupabaseProject("supabase", SupabaseProjectArgs.from_config(config))
    # The migrations reach the project through its session pooler (the direct host is IPv6-only).
    supabase_database = Database(
        "platform-db",
        DatabaseArgs(
            connection=supabase.pooler_connection_string,
            migrations_dir=config.database.migrations_dir,
            lock_timeout_seconds=config.database.lock_timeout_seconds,
            allow_out_of_order=config.database.allow_out_of_order,
            accept_changed_versions=config.database.accept_changed_versions,
        ),
    )
    pulumi.export("appliedMigrations", supabase_database.applied_count)
    # What the frontend build needs; the anon key is public by design, the service-role key never leaves.
    pulumi.export("supabaseUrl", supabase.url)
    pulumi.export("supabaseAnonKey", supabase.anon_key)
    pulumi.export("supabaseProjectRef", supabase.ref)
    pulumi.export("functionsUrl", supabase.functions_url)

pulumi.export("environment", config.environment)
