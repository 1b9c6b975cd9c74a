"""The response headers both distributions send: the guides' security headers plus HSTS, a Referrer-Policy and
a Content-Security-Policy built from the stack's Supabase URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

HSTS_MAX_AGE_SECONDS = 31_536_000  # one year, as guide 002 sets it


def supabase_origins(supabase_url: str) -> tuple[str, str]:
    """The https and wss origins of a Supabase URL (REST, auth, storage, functions; realtime)."""
    parts = urlsplit(supabase_url if "://" in supabase_url else f"https://{supabase_url}")
    if not parts.hostname:
        raise ValueError(f"supabase URL {supabase_url!r} has no host; expected https://<ref>.supabase.co")
    host = parts.hostname if parts.port in (None, 443) else f"{parts.hostname}:{parts.port}"
    return f"https://{host}", f"wss://{host}"


def content_security_policy(supabase_url: str, image_sources: tuple[str, ...] = ()) -> str:
    """The SPA's CSP: its own files, and the Supabase project over https and wss; nothing else runs or frames it."""
    https_origin, wss_origin = supabase_origins(supabase_url)
    # Origins only: a source with a path not ending in "/" would match that one path exactly.
    extra_origins = tuple(supabase_origins(source)[0] for source in image_sources)
    images = " ".join(("'self'", "data:", "blob:", https_origin, *extra_origins))
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        # Component libraries inject style attributes at runtime.
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        f"connect-src 'self' {https_origin} {wss_origin}",
        f"media-src 'self' {https_origin}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "upgrade-insecure-requests",
    ]
    return "; ".join(directives)


def security_headers(
    content_security_policy: pulumi.Input[str] | None,
    *,
    frame_option: str | None = "DENY",
) -> aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs:
    """Every header overrides whatever the origin sent: the origin is a bucket or Supabase, not the authority."""
    return aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
        content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
            override=True
        ),
        frame_options=(
            aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                frame_option=frame_option, override=True
            )
            if frame_option
            else None
        ),
        # Obsolete in current browsers, kept because both guides ask for it and older ones still honour it.
        xss_protection=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs(
            protection=True, mode_block=True, override=True
        ),
        strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
            access_control_max_age_sec=HSTS_MAX_AGE_SECONDS, include_subdomains=True, preload=False, override=True
        ),
        referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
            referrer_policy="strict-origin-when-cross-origin", override=True
        ),
        content_security_policy=(
            aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                content_security_policy=content_security_policy, override=True
            )
            if content_security_policy
            else None
        ),
    )
