"""CloudFront in front of the Supabase project's Storage objects (guide 002, "Configure CDN and Caching"):
public objects (avatars) and the private thumbnails bucket's signed URLs served from the edge, everything else on
the project refused here."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from components.frontend import MINIMUM_TLS_POLICY, cache_key_without_cookies_or_headers
from components.security_headers import security_headers
from components.storage_cdn_functions import REFUSE_EXPIRED_SIGNED_URLS, REFUSE_OTHER_PATHS

ONE_YEAR_SECONDS = 31_536_000
ORIGIN_ID = "supabase"
PUBLIC_OBJECTS = "/storage/v1/object/public"
PUBLIC_RENDERS = "/storage/v1/render/image/public"
# The thumbnails bucket is private: the app asks Supabase for a signed URL (createSignedUrl) and swaps its origin
# for the CDN's. Only this bucket's signed paths pass; the documents' signed URLs never touch the CDN.
SIGNED_OBJECTS = "/storage/v1/object/sign"
SIGNED_RENDERS = "/storage/v1/render/image/sign"
THUMBNAILS_BUCKET = "thumbnails"
# User uploads are served from this domain: a sandboxing CSP keeps an uploaded HTML or SVG file from running
# script in a browser. What it serves is shown with <img>, which framing rules do not touch, so no page may frame
# it (frame-ancestors 'none', and X-Frame-Options DENY, guide 002's value, for browsers without CSP 2).
STORAGE_CSP = (
    "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; sandbox"
)


@dataclass(frozen=True, kw_only=True)
class StorageCdnArgs:
    supabase_url: pulumi.Input[str]
    hostname: str | None = None
    certificate_arn: pulumi.Input[str] | None = None
    price_class: str = "PriceClass_100"
    public_ttl_seconds: int = 86_400
    avatar_ttl_seconds: int = 3_600
    thumbnail_ttl_seconds: int = 2_592_000
    # The web firewall (components/web_firewall.py) in front of the distribution; None: none.
    web_acl_arn: pulumi.Input[str] | None = None


class StorageCdn(pulumi.ComponentResource):
    distribution_id: pulumi.Output[str]
    domain_name: pulumi.Output[str]
    hosted_zone_id: pulumi.Output[str]
    # The base that replaces `<supabase url>/storage/v1/object/public` in public object URLs.
    url: pulumi.Output[str]

    def __init__(self, name: str, args: StorageCdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:storage_cdn:StorageCdn", name, None, opts)
        if (args.hostname is None) != (args.certificate_arn is None):
            raise ValueError(f"{name}: hostname and certificate_arn go together; pass both or neither")
        child = pulumi.ResourceOptions(parent=self)

        # Public objects: the origin's Cache-Control (set per upload) is honoured up to a year.
        public_cache = self._cache_policy(f"{name}-public-cache", 0, args.public_ttl_seconds, ONE_YEAR_SECONDS)
        # Avatars are replaced under the same name: never kept longer than avatarTtlSeconds.
        avatar_cache = self._cache_policy(f"{name}-avatar-cache", 0, args.avatar_ttl_seconds, args.avatar_ttl_seconds)
        # Thumbnails are derived once per document: kept the full month whatever the origin says. Their URLs are
        # signed, and the token is part of the cache key (query strings "all"), so the app gets hits by reusing a
        # signed URL until it expires (createSignedUrl once per expiry window, not per page view).
        thumbnail_ttl = args.thumbnail_ttl_seconds
        thumbnail_cache = self._cache_policy(f"{name}-thumbnail-cache", thumbnail_ttl, thumbnail_ttl, thumbnail_ttl)

        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers",
            comment="Security headers for user uploads served from the storage CDN",
            security_headers_config=security_headers(STORAGE_CSP, frame_option="DENY"),
            opts=child,
        )
        refuse = aws.cloudfront.Function(
            f"{name}-refuse-other-paths",
            runtime="cloudfront-js-2.0",
            comment="Answers 404 to anything but public Storage objects",
            code=REFUSE_OTHER_PATHS,
            publish=True,
            opts=child,
        )
        refuse_expired = aws.cloudfront.Function(
            f"{name}-refuse-expired-signed-urls",
            runtime="cloudfront-js-2.0",
            comment="Answers 403 to a signed Storage URL whose token has expired, before the cache is looked up",
            code=REFUSE_EXPIRED_SIGNED_URLS,
            publish=True,
            opts=child,
        )

        def behaviour(
            path: str, cache: aws.cloudfront.CachePolicy, viewer_request: aws.cloudfront.Function | None = None
        ) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgs:
            associations = (
                [
                    aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs(
                        event_type="viewer-request", function_arn=viewer_request.arn
                    )
                ]
                if viewer_request is not None
                else None
            )
            return aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=path,
                target_origin_id=ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=cache.id,
                response_headers_policy_id=headers.id,
                function_associations=associations,
            )

        origin_host = pulumi.Output.from_input(args.supabase_url).apply(_host_of)
        distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"Public Storage objects of {pulumi.get_project()} ({pulumi.get_stack()})",
            web_acl_id=args.web_acl_arn,
            enabled=True,
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=args.price_class,
            aliases=[args.hostname] if args.hostname else [],
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=ORIGIN_ID,
                    domain_name=origin_host,
                    custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                        http_port=80,
                        https_port=443,
                        origin_protocol_policy="https-only",
                        origin_ssl_protocols=["TLSv1.2"],
                    ),
                )
            ],
            # CloudFront evaluates ordered behaviours first to last: the specific buckets before the catch-all.
            ordered_cache_behaviors=[
                behaviour(f"{PUBLIC_OBJECTS}/avatars/*", avatar_cache),
                behaviour(f"{SIGNED_OBJECTS}/{THUMBNAILS_BUCKET}/*", thumbnail_cache, refuse_expired),
                behaviour(f"{SIGNED_RENDERS}/{THUMBNAILS_BUCKET}/*", thumbnail_cache, refuse_expired),
                behaviour(f"{PUBLIC_OBJECTS}/*", public_cache),
                behaviour(f"{PUBLIC_RENDERS}/*", public_cache),
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=public_cache.id,
                response_headers_policy_id=headers.id,
                function_associations=[
                    aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs(
                        event_type="viewer-request", function_arn=refuse.arn
                    )
                ],
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            viewer_certificate=(
                aws.cloudfront.DistributionViewerCertificateArgs(
                    acm_certificate_arn=args.certificate_arn,
                    ssl_support_method="sni-only",
                    minimum_protocol_version=MINIMUM_TLS_POLICY,
                )
                if args.certificate_arn is not None
                else aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)
            ),
            opts=child,
        )

        self.distribution_id = distribution.id
        self.domain_name = distribution.domain_name
        self.hosted_zone_id = distribution.hosted_zone_id
        host = pulumi.Output.from_input(args.hostname) if args.hostname else distribution.domain_name
        self.url = pulumi.Output.concat("https://", host, PUBLIC_OBJECTS)
        self.register_outputs({"distributionId": self.distribution_id, "domainName": self.domain_name, "url": self.url})

    def _cache_policy(
        self, resource_name: str, min_ttl: int, default_ttl: int, max_ttl: int
    ) -> aws.cloudfront.CachePolicy:
        # Query strings stay in the key: image renders vary by width, height and quality, and `download` by name.
        return aws.cloudfront.CachePolicy(
            resource_name,
            comment=f"Storage objects: {min_ttl}s to {max_ttl}s at the edge, {default_ttl}s by default",
            min_ttl=min_ttl,
            default_ttl=default_ttl,
            max_ttl=max_ttl,
            parameters_in_cache_key_and_forwarded_to_origin=cache_key_without_cookies_or_headers(
                query_strings="all", compressed=True
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


def _host_of(supabase_url: str) -> str:
    host = urlsplit(supabase_url if "://" in supabase_url else f"https://{supabase_url}").hostname
    if not host:
        raise ValueError(f"supabase URL {supabase_url!r} has no host; expected https://<ref>.supabase.co")
    return host
