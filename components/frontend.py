"""Frontend hosting: the built SPA in a private, encrypted S3 bucket that only CloudFront can read (Origin
Access Control), with SPA fallback, long-lived hashed assets, an uncached index.html and security headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_policy import deny_insecure_transport, policy_document
from components.private_bucket import lock_down_bucket
from components.security_headers import content_security_policy, security_headers

ONE_YEAR_SECONDS = 31_536_000
ORIGIN_ID = "frontend-bucket"
# Hashed build output (Vite's default assets directory): a new build gets new names, so a year is safe.
ASSETS_PATH = "/assets/*"
ASSETS_CACHE_CONTROL = f"public, max-age={ONE_YEAR_SECONDS}, immutable"
# index.html names the current assets: browsers and the edge must fetch it every time.
HTML_CACHE_CONTROL = "no-cache, no-store, must-revalidate"
# The 2021 policy: TLS 1.2 and up with modern ciphers only.
MINIMUM_TLS_POLICY = "TLSv1.2_2021"


@dataclass(frozen=True, kw_only=True)
class FrontendArgs:
    supabase_url: pulumi.Input[str]
    # Both set, or both None: a custom name needs the certificate that covers it.
    hostname: str | None = None
    certificate_arn: pulumi.Input[str] | None = None
    # Shown images may come from the storage CDN as well as from Supabase directly.
    storage_cdn_url: pulumi.Input[str] | None = None
    price_class: str = "PriceClass_100"
    # The web firewall (components/web_firewall.py) in front of the distribution; None: none.
    web_acl_arn: pulumi.Input[str] | None = None


class Frontend(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    domain_name: pulumi.Output[str]
    hosted_zone_id: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: FrontendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:frontend:Frontend", name, None, opts)
        if (args.hostname is None) != (args.certificate_arn is None):
            raise ValueError(f"{name}: hostname and certificate_arn go together; pass both or neither")
        child = pulumi.ResourceOptions(parent=self)

        # Private origin: CloudFront reads it through OAC; nothing else, and no ACL, can make an object public.
        bucket = aws.s3.Bucket(f"{name}-bucket", opts=child)
        # SSE-S3 rather than KMS: the files are public through the CDN anyway, and OAC reads SSE-S3 objects
        # without a key policy for CloudFront.
        public_access = lock_down_bucket(name, bucket, child)
        # Versions let an operator roll a bad upload back; old ones go after a month.
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=30
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            description="CloudFront signs every request to the frontend bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )

        # The edge keeps hashed assets a year, and never keeps the HTML.
        assets_cache = aws.cloudfront.CachePolicy(
            f"{name}-assets-cache",
            comment="Hashed build assets: a year at the edge",
            min_ttl=ONE_YEAR_SECONDS,
            default_ttl=ONE_YEAR_SECONDS,
            max_ttl=ONE_YEAR_SECONDS,
            parameters_in_cache_key_and_forwarded_to_origin=cache_key_without_cookies_or_headers(
                query_strings="none", compressed=True
            ),
            opts=child,
        )
        html_cache = aws.cloudfront.CachePolicy(
            f"{name}-html-cache",
            comment="index.html and SPA routes: never cached at the edge",
            min_ttl=0,
            default_ttl=0,
            max_ttl=0,
            parameters_in_cache_key_and_forwarded_to_origin=cache_key_without_cookies_or_headers(
                query_strings="none", compressed=False
            ),
            opts=child,
        )

        image_sources = [args.storage_cdn_url] if args.storage_cdn_url is not None else []
        csp = pulumi.Output.all(args.supabase_url, *image_sources).apply(
            lambda values: content_security_policy(values[0], tuple(values[1:]))
        )
        assets_headers = self._headers_policy(f"{name}-assets-headers", csp, ASSETS_CACHE_CONTROL)
        html_headers = self._headers_policy(f"{name}-html-headers", csp, HTML_CACHE_CONTROL)

        behaviour: dict[str, Any] = {  # what both cache behaviours share
            "target_origin_id": ORIGIN_ID,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD", "OPTIONS"],
            "cached_methods": ["GET", "HEAD"],
            "compress": True,
        }
        distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            comment=f"Frontend of {pulumi.get_project()} ({pulumi.get_stack()})",
            web_acl_id=args.web_acl_arn,
            enabled=True,
            default_root_object="index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=args.price_class,
            aliases=[args.hostname] if args.hostname else [],
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=ORIGIN_ID,
                    domain_name=bucket.bucket_regional_domain_name,
                    origin_access_control_id=oac.id,
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                **behaviour, cache_policy_id=html_cache.id, response_headers_policy_id=html_headers.id
            ),
            ordered_cache_behaviors=[
                aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                    **behaviour,
                    path_pattern=ASSETS_PATH,
                    cache_policy_id=assets_cache.id,
                    response_headers_policy_id=assets_headers.id,
                )
            ],
            # SPA fallback: client-side routes are not objects. Without s3:ListBucket a missing key answers 403,
            # so both 403 and 404 serve index.html with 200, and the router takes over.
            custom_error_responses=[
                aws.cloudfront.DistributionCustomErrorResponseArgs(
                    error_code=code, response_code=200, response_page_path="/index.html", error_caching_min_ttl=0
                )
                for code in (403, 404)
            ],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            viewer_certificate=_viewer_certificate(args.certificate_arn),
            opts=child,
        )

        # Only this distribution, signing through OAC, may read objects; plain HTTP is refused outright.
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=policy_document(
                [
                    deny_insecure_transport(bucket.arn),
                    {
                        "Sid": "AllowCloudFrontRead",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                        "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}},
                    },
                ]
            ),
            # The public access block must exist first, or a policy could briefly be evaluated without it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        self.bucket_name = bucket.bucket
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.domain_name = distribution.domain_name
        self.hosted_zone_id = distribution.hosted_zone_id
        self.url = (
            pulumi.Output.from_input(f"https://{args.hostname}")
            if args.hostname
            else pulumi.Output.concat("https://", distribution.domain_name)
        )
        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "distributionId": self.distribution_id,
                "domainName": self.domain_name,
                "url": self.url,
            }
        )

    def _headers_policy(
        self, resource_name: str, csp: pulumi.Input[str], cache_control: str
    ) -> aws.cloudfront.ResponseHeadersPolicy:
        return aws.cloudfront.ResponseHeadersPolicy(
            resource_name,
            comment=f"Security headers, Cache-Control: {cache_control}",
            security_headers_config=security_headers(csp),
            custom_headers_config=aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigArgs(
                items=[
                    aws.cloudfront.ResponseHeadersPolicyCustomHeadersConfigItemArgs(
                        header="Cache-Control", value=cache_control, override=True
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


def cache_key_without_cookies_or_headers(
    *, query_strings: str, compressed: bool
) -> aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs:
    """A cache key no cookie or header varies (`query_strings`: none or all); a policy that caches nothing may not
    vary by encoding, so `compressed` is false for it."""
    return aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
        cookies_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
            cookie_behavior="none"
        ),
        headers_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
            header_behavior="none"
        ),
        query_strings_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
            query_string_behavior=query_strings
        ),
        enable_accept_encoding_gzip=compressed,
        enable_accept_encoding_brotli=compressed,
    )


def _viewer_certificate(
    certificate_arn: pulumi.Input[str] | None,
) -> aws.cloudfront.DistributionViewerCertificateArgs:
    if certificate_arn is None:
        # The *.cloudfront.net certificate: CloudFront fixes its TLS policy, a stack without a domain cannot raise it.
        return aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)
    return aws.cloudfront.DistributionViewerCertificateArgs(
        acm_certificate_arn=certificate_arn,
        ssl_support_method="sni-only",
        minimum_protocol_version=MINIMUM_TLS_POLICY,
    )
