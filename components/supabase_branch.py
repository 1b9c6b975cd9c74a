"""What a branch stack (a preview `pr-<N>`, the dev stack) changes in the Supabase component: a Branch of the
parent project takes the project's place, and the frontend's preview build becomes the site auth returns to.
Everything else (settings, secrets, functions, buckets, migrations) is the same program, under the branch's ref."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from providers.supabase.branch import Branch, BranchArgs
from stackconfig.branch import SupabaseBranchConfig
from stackconfig.supabase import SupabaseAuthConfig, SupabaseProjectConfig


def preview_branch(
    name: str, parent: SupabaseProjectConfig, branch: SupabaseBranchConfig, opts: pulumi.ResourceOptions
) -> Branch:
    """The branch, under the parent the `supabase` section names (its projectRef, else its org and name)."""
    return Branch(
        name,
        BranchArgs(
            name=branch.name or "",
            organization_slug=parent.organization_slug,
            parent_name=parent.project_name,
            parent_project_ref=parent.project_ref,
            git_branch=branch.git_branch,
            persistent=branch.persistent,
            instance_size=branch.instance_size,
            max_concurrent=branch.max_concurrent,
            ready_timeout_seconds=parent.ready_timeout_seconds,
            management_api_url=parent.management_api_url,
            project_url_template=parent.project_url_template,
        ),
        # protect (the dev stack may set it) keeps `pulumi destroy` from deleting a persistent branch by mistake.
        pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=parent.protect)),
    )


def with_preview_url(auth: SupabaseAuthConfig, preview_url: str | None) -> SupabaseAuthConfig:
    """A branch's auth settings: its frontend preview build is the site, and sign-ins may return to it."""
    if not preview_url:
        return auth
    redirects = (*auth.redirect_urls, f"{preview_url.rstrip('/')}/**")
    return auth.model_copy(update={"site_url": preview_url, "redirect_urls": redirects})


def groups_with_preview_url(settings: Mapping[str, Any], preview_url: str | None, *, replace: bool) -> dict[str, Any]:
    """The same for settings from config.toml's groups (Auth API field names), where they set the site or the
    redirect list: laid over the stack's own auth settings, they would otherwise drop the preview's URL."""
    if not preview_url or not (replace or "site_url" in settings or "uri_allow_list" in settings):
        return dict(settings)
    allowed = [url for url in str(settings.get("uri_allow_list") or "").split(",") if url]
    allowed.append(f"{preview_url.rstrip('/')}/**")
    return {**settings, "site_url": preview_url, "uri_allow_list": ",".join(allowed)}
