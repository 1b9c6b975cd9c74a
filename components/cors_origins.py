"""Which browser origins the edge functions answer (CORS_ALLOWED_ORIGINS), when the stack file does not say.

The functions treat an unset CORS_ALLOWED_ORIGINS as `*` (right for the local stack, where origins vary). A
stack with a Supabase project gets its frontend's own origins instead: the frontend's custom domain and its
CloudFront name (both serve the same site), and the origin of supabaseAuth.siteUrl. An explicit
functionSettings.CORS_ALLOWED_ORIGINS (even `*`) wins, and then this component is not created.

Child: a FunctionSecrets resource holding only CORS_ALLOWED_ORIGINS (the project's own FunctionSecrets manages
the names from config and leaves this one alone), created once the CDN's name is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi

from providers.supabase.function_secrets import FunctionSecrets, FunctionSecretsArgs

__all__ = ["CORS_SETTING", "CorsOrigins", "CorsOriginsArgs", "origin_of"]

CORS_SETTING = "CORS_ALLOWED_ORIGINS"


def origin_of(url: str) -> str:
    """`https://app.example.com/path` -> `https://app.example.com`; a bare host name gets https://."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host; a CORS origin is scheme://host[:port]")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


@dataclass(frozen=True, kw_only=True)
class CorsOriginsArgs:
    project_ref: pulumi.Input[str]
    # URLs or bare host names (a CloudFront domain); only their origins are kept, each once, sorted.
    sources: Sequence[pulumi.Input[str]]
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"
    # Written after these (the project's own FunctionSecrets: a name moved out of config is removed there first).
    after: Sequence[pulumi.Resource] = ()


class CorsOrigins(pulumi.ComponentResource):
    origins: pulumi.Output[str]

    def __init__(self, name: str, args: CorsOriginsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:cors:CorsOrigins", name, None, opts)
        if not args.sources:
            raise ValueError(
                f"functionSettings.{CORS_SETTING}: this stack has no frontend origin to default to (frontend is off "
                "and supabaseAuth.siteUrl is unset); set it to the origins the frontend is served from "
                "(comma-separated), or to `*` deliberately"
            )
        self.origins = pulumi.Output.all(*args.sources).apply(
            lambda sources: ", ".join(sorted({origin_of(str(source)) for source in sources}))
        )
        # Plain text, but FunctionSecrets is how Supabase gives functions any environment variable.
        FunctionSecrets(
            f"{name}-setting",
            FunctionSecretsArgs(
                project_ref=args.project_ref,
                secrets=self.origins.apply(lambda origins: {CORS_SETTING: origins}),
                management_api_url=args.management_api_url,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
        )
        self.register_outputs({"origins": self.origins})
