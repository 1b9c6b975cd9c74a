"""Frontend hosting, per stack file: a private encrypted bucket, OAC, SPA fallback, cache rules, headers, TLS."""

from __future__ import annotations

from ops.engineless.program import ProgramRun
from tests.aws.aws_program import SUPABASE_URL
from tests.aws.helpers import all_of, children, one, policy, statement

FRONTEND = "ai-platform:frontend:Frontend"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def frontend_distribution(run: ProgramRun):
    return one(run, DISTRIBUTION, "frontend-distribution")


def test_frontend_bucket_blocks_every_kind_of_public_access(deployed):
    block = one(deployed, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "frontend-public-access")
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True, f"{deployed.stack}: frontend bucket {flag} is not set"
    ownership = one(deployed, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "frontend-ownership")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced", "ACLs must be disabled"
    bucket = one(deployed, "aws:s3/bucket:Bucket", "frontend-bucket")
    assert block.inputs["bucket"] == ownership.inputs["bucket"] == bucket.id


def test_frontend_bucket_is_encrypted_and_versioned(deployed):
    encryption = one(
        deployed,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "frontend-encryption",
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    versioning = one(deployed, "aws:s3/bucketVersioning:BucketVersioning", "frontend-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_only_this_distribution_reads_the_bucket_and_only_over_tls(deployed):
    distribution = frontend_distribution(deployed)
    bucket = one(deployed, "aws:s3/bucket:Bucket", "frontend-bucket")
    document = policy(one(deployed, "aws:s3/bucketPolicy:BucketPolicy", "frontend-policy"))
    read = statement(document, "AllowCloudFrontRead")
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert read["Resource"] == f"{bucket.outputs['arn']}/*"
    assert read["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}}
    allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    assert allows == [read], "nothing but the distribution may be allowed in"
    tls = statement(document, "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_distribution_reaches_the_bucket_through_origin_access_control(deployed):
    oac = one(deployed, "aws:cloudfront/originAccessControl:OriginAccessControl")
    assert oac.inputs["signingBehavior"] == "always" and oac.inputs["signingProtocol"] == "sigv4"
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    (origin,) = frontend_distribution(deployed).inputs["origins"]
    assert origin["originAccessControlId"] == oac.id
    assert origin["domainName"].endswith(".s3.eu-central-1.amazonaws.com"), "regional endpoint, not the website one"
    assert "s3OriginConfig" not in origin, "no legacy origin access identity next to OAC"


def test_spa_routes_fall_back_to_index_html_with_200(deployed):
    distribution = frontend_distribution(deployed).inputs
    assert distribution["defaultRootObject"] == "index.html"
    fallbacks = {int(e["errorCode"]): e for e in distribution["customErrorResponses"]}
    assert set(fallbacks) == {403, 404}
    for code, answer in fallbacks.items():
        assert answer["responsePagePath"] == "/index.html", f"{code} must serve index.html"
        assert int(answer["responseCode"]) == 200, f"{code} must answer 200"


def _cache_policy(run: ProgramRun, policy_id: str):
    return next(p for p in all_of(run, "aws:cloudfront/cachePolicy:CachePolicy") if p.id == policy_id)


def _headers_policy(run: ProgramRun, policy_id: str):
    return next(
        p for p in all_of(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy") if p.id == policy_id
    )


def _cache_control(headers_policy) -> str:
    items = headers_policy.inputs["customHeadersConfig"]["items"]
    (item,) = [i for i in items if i["header"] == "Cache-Control"]
    assert item["override"] is True
    return item["value"]


def test_hashed_assets_are_cached_a_year_and_immutable(deployed):
    (assets,) = frontend_distribution(deployed).inputs["orderedCacheBehaviors"]
    assert assets["pathPattern"] == "/assets/*"
    cache = _cache_policy(deployed, assets["cachePolicyId"]).inputs
    assert int(cache["minTtl"]) == int(cache["defaultTtl"]) == int(cache["maxTtl"]) == 31_536_000
    cache_control = _cache_control(_headers_policy(deployed, assets["responseHeadersPolicyId"]))
    assert "immutable" in cache_control and "max-age=31536000" in cache_control and "public" in cache_control


def test_index_html_is_never_cached(deployed):
    default = frontend_distribution(deployed).inputs["defaultCacheBehavior"]
    cache = _cache_policy(deployed, default["cachePolicyId"]).inputs
    assert int(cache["minTtl"]) == int(cache["defaultTtl"]) == int(cache["maxTtl"]) == 0
    cache_control = _cache_control(_headers_policy(deployed, default["responseHeadersPolicyId"]))
    assert "no-cache" in cache_control and "no-store" in cache_control


def test_every_frontend_answer_carries_the_security_headers(deployed):
    distribution = frontend_distribution(deployed).inputs
    behaviours = [distribution["defaultCacheBehavior"], *distribution["orderedCacheBehaviors"]]
    https, wss = SUPABASE_URL, SUPABASE_URL.replace("https://", "wss://")
    for behaviour in behaviours:
        assert behaviour["viewerProtocolPolicy"] == "redirect-to-https"
        headers = _headers_policy(deployed, behaviour["responseHeadersPolicyId"]).inputs["securityHeadersConfig"]
        hsts = headers["strictTransportSecurity"]
        assert int(hsts["accessControlMaxAgeSec"]) >= 31_536_000 and hsts["includeSubdomains"] and hsts["override"]
        assert headers["contentTypeOptions"]["override"] is True  # X-Content-Type-Options: nosniff
        assert headers["frameOptions"]["frameOption"] == "DENY"
        assert headers["xssProtection"] == {"protection": True, "modeBlock": True, "override": True}
        assert headers["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
        csp = headers["contentSecurityPolicy"]["contentSecurityPolicy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
        assert "'self'" in directives["default-src"]
        assert https in directives["connect-src"].split() and wss in directives["connect-src"].split()
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        storage_cdn_origin = "/".join(deployed.outputs["storageCdnUrl"].split("/")[:3])
        assert storage_cdn_origin in directives["img-src"].split(), "images from the storage CDN must load"


def test_distribution_speaks_http3_and_ipv6(deployed):
    distribution = frontend_distribution(deployed).inputs
    assert distribution["httpVersion"] == "http2and3"
    assert distribution["isIpv6Enabled"] is True


def test_prod_frontend_uses_its_own_certificate_with_tls_1_2_2021(prod):
    distribution = frontend_distribution(prod).inputs
    certificate = one(prod, "aws:acm/certificateValidation:CertificateValidation")
    viewer = distribution["viewerCertificate"]
    assert viewer["acmCertificateArn"] == certificate.outputs["certificateArn"], "the validated certificate"
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert viewer["sslSupportMethod"] == "sni-only"
    assert distribution["aliases"] == ["app.example.com"]
    assert prod.outputs["frontendUrl"] == "https://app.example.com"


def test_staging_without_a_domain_answers_on_its_cloudfront_name(staging):
    distribution = frontend_distribution(staging)
    assert distribution.inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert not distribution.inputs.get("aliases")
    assert staging.outputs["frontendUrl"] == f"https://{distribution.outputs['domainName']}"


def test_frontend_outputs_name_the_bucket_and_distribution(deployed):
    distribution = frontend_distribution(deployed)
    bucket = one(deployed, "aws:s3/bucket:Bucket", "frontend-bucket")
    assert deployed.outputs["frontendBucket"] == bucket.outputs["bucket"]
    assert deployed.outputs["distributionId"] == distribution.id
    assert deployed.outputs["cdnDomain"] == distribution.outputs["domainName"]
    assert all(
        r.options["parent"].endswith(f"{FRONTEND}::frontend") for r in children(deployed, FRONTEND, DISTRIBUTION)
    )
