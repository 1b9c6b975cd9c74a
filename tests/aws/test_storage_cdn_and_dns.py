"""The storage CDN (guide 002's caching rules, Supabase as origin) and the domain: certificate in us-east-1
validated by DNS, aliases, and the Supabase custom domain's records."""

from __future__ import annotations

import yaml

from ops.engineless.program import PROJECT_ROOT
from tests.aws.aws_mocks import CLOUDFRONT_ZONE_ID, ZONE_ID
from tests.aws.aws_program import SUPABASE_REF
from tests.aws.helpers import all_of, one

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
RECORD = "aws:route53/record:Record"
MONTH = 2_592_000
THUMBNAIL_PATHS = ("/storage/v1/object/sign/thumbnails/*", "/storage/v1/render/image/sign/thumbnails/*")
PULUMI_YAML = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())


def storage_distribution(run):
    return one(run, DISTRIBUTION, "storage-cdn-distribution")


def cache_policy(run, policy_id):
    return next(p for p in all_of(run, "aws:cloudfront/cachePolicy:CachePolicy") if p.id == policy_id).inputs


def behaviours_by_path(run):
    return {b["pathPattern"]: b for b in storage_distribution(run).inputs["orderedCacheBehaviors"]}


def test_storage_cdn_fetches_from_the_supabase_project_over_tls_only(deployed):
    (origin,) = storage_distribution(deployed).inputs["origins"]
    assert origin["domainName"] == f"{SUPABASE_REF}.supabase.co"
    custom = origin["customOriginConfig"]
    assert custom["originProtocolPolicy"] == "https-only"
    assert custom["originSslProtocols"] == ["TLSv1.2"]


def test_thumbnails_are_kept_a_month_whatever_the_origin_says(deployed):
    behaviours = behaviours_by_path(deployed)
    for path in THUMBNAIL_PATHS:
        cache = cache_policy(deployed, behaviours[path]["cachePolicyId"])
        assert int(cache["minTtl"]) == int(cache["defaultTtl"]) == int(cache["maxTtl"]) == MONTH, path
        # The signed URL's token is in the key: a cached thumbnail is only served to a holder of that URL.
        assert cache["parametersInCacheKeyAndForwardedToOrigin"]["queryStringsConfig"]["queryStringBehavior"] == "all"
        assert cache["parametersInCacheKeyAndForwardedToOrigin"]["headersConfig"]["headerBehavior"] == "none"


def test_each_bucket_the_cdn_serves_is_reached_the_way_its_visibility_allows(deployed):
    # A public path to a private bucket never serves anything; a signed path to a public one is pointless.
    buckets = {bucket["id"]: bucket["public"] for bucket in PULUMI_YAML["config"]["storageBuckets"]["default"]}
    for path in behaviours_by_path(deployed):
        kind, _, rest = (
            path.removeprefix("/storage/v1/").removeprefix("render/image/").removeprefix("object/").partition("/")
        )
        bucket = rest.split("/", 1)[0]
        if bucket == "*":
            continue
        assert bucket in buckets, f"{path}: no bucket {bucket!r} in storageBuckets"
        assert kind == ("public" if buckets[bucket] else "sign"), (
            f"{path}: bucket {bucket!r} is public={buckets[bucket]}"
        )


def test_signed_thumbnail_urls_are_checked_for_expiry_before_the_cache(deployed):
    behaviours = behaviours_by_path(deployed)
    expiry = one(deployed, "aws:cloudfront/function:Function", "storage-cdn-refuse-expired-signed-urls")
    for path in THUMBNAIL_PATHS:
        assert behaviours[path]["functionAssociations"] == [
            {"eventType": "viewer-request", "functionArn": expiry.outputs["arn"]}
        ], path
    assert expiry.inputs["runtime"] == "cloudfront-js-2.0"


def test_avatars_never_outlive_their_ttl_and_other_public_objects_follow_the_origin(deployed):
    behaviours = behaviours_by_path(deployed)
    avatars = cache_policy(deployed, behaviours["/storage/v1/object/public/avatars/*"]["cachePolicyId"])
    assert int(avatars["minTtl"]) == 0 and int(avatars["defaultTtl"]) == int(avatars["maxTtl"]) == 3600
    public = cache_policy(deployed, behaviours["/storage/v1/object/public/*"]["cachePolicyId"])
    assert int(public["minTtl"]) == 0 and int(public["defaultTtl"]) == 86_400 and int(public["maxTtl"]) == 31_536_000
    # Renders vary by their query (width, height, quality): it stays in the cache key.
    assert public["parametersInCacheKeyAndForwardedToOrigin"]["queryStringsConfig"]["queryStringBehavior"] == "all"
    assert public["parametersInCacheKeyAndForwardedToOrigin"]["cookiesConfig"]["cookieBehavior"] == "none"


def test_specific_buckets_are_matched_before_the_public_catch_all(deployed):
    paths = list(behaviours_by_path(deployed))
    assert paths.index("/storage/v1/object/public/avatars/*") < paths.index("/storage/v1/object/public/*")
    assert all(p.startswith("/storage/v1/") and ("/public/" in p or p in THUMBNAIL_PATHS) for p in paths), (
        "only public Storage paths and the thumbnails' signed URLs"
    )


def test_anything_but_public_storage_is_refused_at_the_edge(deployed):
    default = storage_distribution(deployed).inputs["defaultCacheBehavior"]
    (association,) = default["functionAssociations"]
    function = one(deployed, "aws:cloudfront/function:Function", "storage-cdn-refuse-other-paths")
    assert association == {"eventType": "viewer-request", "functionArn": function.outputs["arn"]}
    assert "statusCode: 404" in function.inputs["code"] and "request" not in function.inputs["code"].split("{", 1)[1]
    assert default["allowedMethods"] == ["GET", "HEAD"], "the API's writes never pass through the CDN"


def test_storage_cdn_is_https_only_with_security_headers(deployed):
    distribution = storage_distribution(deployed).inputs
    behaviours = [distribution["defaultCacheBehavior"], *distribution["orderedCacheBehaviors"]]
    headers_policy = one(deployed, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "storage-cdn-headers")
    for behaviour in behaviours:
        assert behaviour["viewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["responseHeadersPolicyId"] == headers_policy.id
    headers = headers_policy.inputs["securityHeadersConfig"]
    assert headers["contentTypeOptions"]["override"] is True
    assert int(headers["strictTransportSecurity"]["accessControlMaxAgeSec"]) >= 31_536_000
    assert "sandbox" in headers["contentSecurityPolicy"]["contentSecurityPolicy"], "uploads must not run script"
    # Guide 002's header, and its CSP form, which current browsers prefer: no site frames an upload.
    assert headers["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert "frame-ancestors 'none'" in headers["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert distribution["httpVersion"] == "http2and3" and distribution["isIpv6Enabled"] is True


def test_prod_certificate_is_in_us_east_1_validated_by_dns_and_covers_both_names(prod):
    certificate = one(prod, "aws:acm/certificate:Certificate")
    assert certificate.inputs["region"] == "us-east-1", "CloudFront only takes us-east-1 certificates"
    assert certificate.inputs["validationMethod"] == "DNS"
    assert certificate.inputs["domainName"] == "app.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["cdn.example.com"]
    validation = one(prod, "aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["region"] == "us-east-1"
    assert validation.inputs["certificateArn"] == certificate.outputs["arn"]
    expected = {o["resourceRecordName"].rstrip(".") for o in certificate.outputs["domainValidationOptions"]}
    assert set(validation.inputs["validationRecordFqdns"]) == expected
    records = [r for r in all_of(prod, RECORD) if r.name.startswith("site-certificate-validation-")]
    assert {r.inputs["name"] for r in records} == {
        o["resourceRecordName"] for o in certificate.outputs["domainValidationOptions"]
    }
    assert all(r.inputs["zoneId"] == ZONE_ID and r.inputs["type"] == "CNAME" for r in records)
    viewer = storage_distribution(prod).inputs["viewerCertificate"]
    assert viewer["acmCertificateArn"] == validation.outputs["certificateArn"]
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021"


def test_prod_names_are_ipv4_and_ipv6_aliases_to_their_distributions(prod):
    targets = {
        "app.example.com": one(prod, DISTRIBUTION, "frontend-distribution"),
        "cdn.example.com": storage_distribution(prod),
    }
    aliases = [r for r in all_of(prod, RECORD) if r.inputs.get("aliases")]
    assert {(r.inputs["name"], r.inputs["type"]) for r in aliases} == {
        (name, kind) for name in targets for kind in ("A", "AAAA")
    }
    for record in aliases:
        (alias,) = record.inputs["aliases"]
        distribution = targets[record.inputs["name"]]
        assert alias["name"] == distribution.outputs["domainName"]
        assert alias["zoneId"] == CLOUDFRONT_ZONE_ID
        assert record.inputs["zoneId"] == ZONE_ID, "records go to the looked-up zone"
    assert storage_distribution(prod).inputs["aliases"] == ["cdn.example.com"]
    assert prod.outputs["storageCdnUrl"] == "https://cdn.example.com/storage/v1/object/public"


def test_zone_is_looked_up_never_created(prod, staging):
    for run in (prod, staging):
        assert not all_of(run, "aws:route53/zone:Zone"), f"{run.stack} must not create a hosted zone"


def test_supabase_custom_domain_gets_its_cname_and_txt_records(prod):
    cname = one(prod, RECORD, "domain-records-supabase-cname")
    assert cname.inputs["name"] == "api.example.com" and cname.inputs["type"] == "CNAME"
    assert cname.inputs["records"] == [f"{SUPABASE_REF}.supabase.co"]
    txt = {r.inputs["name"]: r.inputs["records"] for r in all_of(prod, RECORD) if r.inputs["type"] == "TXT"}
    assert txt == {
        "_cf-custom-hostname.api.example.com": ["8c9f7a1e-ownership"],
        "_acme-challenge.api.example.com": ["acme-challenge-value"],
    }


def test_staging_has_no_domain_certificate_or_records(staging):
    for token in ("aws:acm/certificate:Certificate", RECORD):
        assert not all_of(staging, token), f"staging has no domain, yet registers {token}"
    assert storage_distribution(staging).inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert staging.outputs["storageCdnUrl"].endswith(".cloudfront.net/storage/v1/object/public")
