"""Mocks that answer like AWS: ARNs, ids, bucket and distribution domain names, certificate validation
options, so resources that depend on them receive realistic values."""

from __future__ import annotations

import hashlib
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from ops.engineless.program import PlainMocks

ACCOUNT_ID = "123456789012"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
DEFAULT_REGION = "eu-central-1"


def _token(name: str, length: int = 12) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def aws_resource(kind: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(id, outputs) for one registration: the inputs plus what AWS would compute."""
    inputs = dict(inputs)
    token = _token(name)
    region = inputs.get("region") or DEFAULT_REGION
    out: dict[str, Any] = dict(inputs)
    resource_id = f"{name}-{token[:7]}"

    if kind == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or f"{name}-{token[:7]}"
        resource_id = bucket
        out.update(
            bucket=bucket,
            arn=f"arn:aws:s3:::{bucket}",
            bucketDomainName=f"{bucket}.s3.amazonaws.com",
            bucketRegionalDomainName=f"{bucket}.s3.{region}.amazonaws.com",
            region=region,
        )
    elif kind == "aws:kms/key:Key":
        resource_id = f"{token[:8]}-{token[8:12]}-4000-8000-{_token(name + 'k', 12)}"
        out.update(keyId=resource_id, arn=f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{resource_id}")
    elif kind == "aws:cloudfront/distribution:Distribution":
        resource_id = "E" + token.upper()[:13]
        out.update(
            arn=f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{resource_id}",
            domainName=f"d{token}.cloudfront.net",
            hostedZoneId=CLOUDFRONT_ZONE_ID,
            status="Deployed",
        )
    elif kind == "aws:cloudfront/function:Function":
        fn = inputs.get("name") or f"{name}-{token[:7]}"
        out.update(name=fn, arn=f"arn:aws:cloudfront::{ACCOUNT_ID}:function/{fn}")
        resource_id = fn
    elif kind.startswith("aws:cloudfront/"):
        resource_id = f"{token[:8]}-{token[8:12]}-4000-8000-{_token(name + 'p', 12)}"
    elif kind == "aws:acm/certificate:Certificate":
        resource_id = f"arn:aws:acm:us-east-1:{ACCOUNT_ID}:certificate/{token[:8]}-{token[8:12]}-4000-8000-{token}"
        names = [inputs["domainName"], *(inputs.get("subjectAlternativeNames") or [])]
        out.update(
            arn=resource_id,
            domainValidationOptions=[
                {
                    "domainName": domain,
                    "resourceRecordName": f"_{_token(domain, 32)}.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_{_token(domain + 'v', 32)}.acm-validations.aws.",
                }
                for domain in names
            ],
            status="PENDING_VALIDATION",
        )
    elif kind == "aws:acm/certificateValidation:CertificateValidation":
        resource_id = inputs["certificateArn"]
    elif kind == "aws:route53/record:Record":
        fqdn = str(inputs["name"]).rstrip(".")
        resource_id = f"{inputs['zoneId']}_{fqdn}_{inputs['type']}"
        out.update(fqdn=fqdn)
    elif kind == "aws:route53/healthCheck:HealthCheck":
        resource_id = f"{token[:8]}-{token[8:12]}-4000-8000-{_token(name + 'h', 12)}"
        out.update(arn=f"arn:aws:route53:::healthcheck/{resource_id}")
    elif kind == "aws:iam/role:Role":
        role = inputs.get("name") or f"{name}-{token[:7]}"
        resource_id = role
        out.update(name=role, arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", uniqueId="AROA" + token.upper()[:17])
    elif kind == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        host = str(inputs["url"]).removeprefix("https://")
        resource_id = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
        out.update(arn=resource_id)
    elif kind == "aws:sns/topic:Topic":
        topic = inputs.get("name") or f"{name}-{token[:7]}"
        resource_id = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{topic}"
        out.update(name=topic, arn=resource_id)
    elif kind == "aws:secretsmanager/secret:Secret":
        secret = inputs.get("name") or f"{name}-{token[:7]}"
        resource_id = f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{secret}-{token[:6]}"
        out.update(name=secret, arn=resource_id)
    elif kind == "aws:codebuild/project:Project":
        project = inputs.get("name") or f"{name}-{token[:7]}"
        resource_id = project
        out.update(name=project, arn=f"arn:aws:codebuild:{region}:{ACCOUNT_ID}:project/{project}")
    elif kind == "aws:cloudwatch/logGroup:LogGroup":
        group = inputs.get("name") or f"{name}-{token[:7]}"
        resource_id = group
        out.update(name=group, arn=f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{group}")
    elif kind == "aws:scheduler/schedule:Schedule":
        out.update(arn=f"arn:aws:scheduler:{region}:{ACCOUNT_ID}:schedule/default/{resource_id}")
    elif kind.startswith("aws:") and "arn" not in out:
        out.update(arn=f"arn:aws:{kind.split(':')[1].split('/')[0]}:{region}:{ACCOUNT_ID}:{resource_id}")
    return resource_id, out


def aws_call(args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
    if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer",
            "userId": "AIDA" + "X" * 17,
            "id": ACCOUNT_ID,
        }
    if args.token == "aws:route53/getZone:getZone":
        name = str(args.args.get("name", "")).rstrip(".")
        return {
            "zoneId": ZONE_ID,
            "id": ZONE_ID,
            "name": name,
            "privateZone": False,
            "arn": f"arn:aws:route53:::hostedzone/{ZONE_ID}",
        }
    if args.token.startswith("aws:"):
        raise AssertionError(f"unexpected invoke {args.token}; add an answer for it to tests/aws/aws_mocks.py")
    return {}


class AwsMocks(PlainMocks):
    # Built from the SDK's own MockResourceArgs, so it does not depend on the recorder's per-call attachment.
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return aws_resource(args.typ, args.name, dict(args.inputs))

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        # A bare dict: the SDK's mock monitor iterates the failures of a (result, failures) tuple, so None fails.
        return aws_call(args)


def aws_mocks() -> AwsMocks:
    return AwsMocks()


SUPABASE_REF = "abcdefghijklmnopqrst"


def supabase_resource(kind: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Outputs of the Supabase dynamic resources the AWS half reads; None for any other resource."""
    if kind.endswith("/supabase:Project"):
        return SUPABASE_REF, {
            **inputs,
            "ref": SUPABASE_REF,
            "projectUrl": f"https://{SUPABASE_REF}.supabase.co",
            "anonKey": "eyJ.anon-key",
            "serviceRoleKey": "eyJ.service-role-key",
            "poolerConnectionString": f"postgresql://postgres.{SUPABASE_REF}:pw@pooler.example:5432/postgres",
        }
    if kind.endswith("/supabase:CustomDomain"):
        hostname = inputs["hostname"]
        return hostname, {
            **inputs,
            "dnsRecords": [
                {"type": "CNAME", "name": hostname, "value": f"{SUPABASE_REF}.supabase.co"},
                {"type": "TXT", "name": f"_cf-custom-hostname.{hostname}", "value": "ownership-token"},
                {"type": "TXT", "name": f"_acme-challenge.{hostname}", "value": "acme-token"},
            ],
        }
    return None


class WholeProgramMocks(AwsMocks):
    """The whole program (__main__.py): AWS resources as in AwsMocks, Supabase's project and domain answered."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        answered = supabase_resource(args.typ, args.name, dict(args.inputs))
        if answered is not None:
            return answered
        if args.typ.startswith("aws:"):
            return super().new_resource(args)
        return f"{args.name}-id", dict(args.inputs)
