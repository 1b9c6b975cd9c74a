"""The pull-request comment of a preview environment, beside the `pulumi preview` diff that preview.yml posts.

The anon key is in it: it is public by design (the preview's frontend build hands it to every visitor, and the
row-level security and the per-user spend limits of the backend are what protect the branch, as in production),
and reviewers need it to point a local frontend at the preview. The service-role key and the database password
never leave the stack's encrypted state.
"""

from __future__ import annotations

from ops.preview.lifecycle import PreviewUp

MARKER = "<!-- preview-env -->"  # the workflow edits the comment that carries it instead of adding another


def comment(preview: PreviewUp, pr: int) -> str:
    outputs = preview.outputs
    rows = [
        ("API URL", outputs.get("supabaseUrl")),
        ("Functions URL", outputs.get("functionsUrl")),
        ("Anon key (public by design)", outputs.get("supabaseAnonKey")),
        ("Branch ref", outputs.get("supabaseProjectRef")),
        ("Migrations applied", outputs.get("appliedMigrations")),
    ]
    table = "\n".join(f"| {name} | `{value}` |" for name, value in rows if value is not None)
    return (
        f"{MARKER}\n### Preview environment `{preview.stack}`\n\n"
        "A Supabase branch of staging with this pull request's migrations, functions, buckets and auth settings "
        "(test-mode secrets only). It is deleted when the pull request closes.\n\n"
        f"| | |\n| --- | --- |\n{table}\n\n"
        f"**Cost**: {preview.cost.sentence()}\n\n"
        f"Debug it from a laptop: `ops preview up --pr {pr}` / `ops preview down --pr {pr}` (docs/previews.md).\n"
    )
