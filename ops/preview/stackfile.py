"""A preview stack's config, written from the committed Pulumi.preview.yaml: the template's config, the branch
named pr-<N> (with its git branch and {pr} in previewUrl filled in), and nothing else. A stack file per pull
request is the simplest thing every Pulumi backend runs: ESC environments (`environment:` imports) need Pulumi
Cloud, and `pulumi stack init --copy-config-from` needs a template stack kept in the backend with its own salt.

The test-mode secrets come from the environment: PREVIEW_SECRET_<NAME> becomes functionSecrets.<NAME> (in CI the
GitHub `preview` environment's secrets; on a laptop, your own test keys). A live payment key is refused here, by
name, and again by the program (stackconfig/branch.py).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from stackconfig.branch import LIVE_KEY
from stackconfig.paths import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "Pulumi.preview.yaml"
PROJECT = "ai-platform"
SECRET_PREFIX = "PREVIEW_SECRET_"
SECRET_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class PreviewError(Exception):
    """Why a preview was refused or failed; names the thing and the fix, never a secret value."""


def stack_name(pr: int) -> str:
    if pr < 1:
        raise PreviewError(f"pull request number {pr}: a positive number, as GitHub numbers them")
    return f"pr-{pr}"


def read_template(path: Path = TEMPLATE) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    if not (config.get(f"{PROJECT}:supabaseBranch") or {}).get("enabled"):
        raise PreviewError(f"{path.name}: {PROJECT}:supabaseBranch.enabled must be true in the previews' template")
    return dict(config)


def preview_config(pr: int, git_branch: str | None = None, template: Path = TEMPLATE) -> dict[str, Any]:
    """The pr-<N> stack's config (full keys, as a stack file holds them)."""
    config = copy.deepcopy(read_template(template))
    branch = dict(config[f"{PROJECT}:supabaseBranch"])
    branch["name"] = stack_name(pr)
    if git_branch:
        branch["gitBranch"] = git_branch
    if branch.get("previewUrl"):
        branch["previewUrl"] = str(branch["previewUrl"]).replace("{pr}", str(pr))
    config[f"{PROJECT}:supabaseBranch"] = branch
    return config


def template_section(key: str, template: Path = TEMPLATE) -> dict[str, Any]:
    return dict(read_template(template).get(f"{PROJECT}:{key}") or {})


def preview_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """functionSecrets from PREVIEW_SECRET_<NAME>; refuses live keys and bad names before anything runs."""
    found = {key[len(SECRET_PREFIX) :]: value for key, value in environ.items() if key.startswith(SECRET_PREFIX)}
    bad = sorted(name for name in found if not SECRET_NAME.match(name))
    if bad:
        raise PreviewError(f"{', '.join(SECRET_PREFIX + n for n in bad)}: a secret name is A-Z, 0-9 and _")
    live = sorted(name for name, value in found.items() if LIVE_KEY.match(value.strip()))
    if live:
        raise PreviewError(
            f"{', '.join(SECRET_PREFIX + n for n in live)} hold live-mode keys; previews take test-mode keys only "
            "(replace them in the GitHub `preview` environment)"
        )
    return {name: value for name, value in found.items() if value}
