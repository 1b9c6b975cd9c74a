"""The stack's names in its existing Route53 zone: A and AAAA aliases for the distributions, and the records
the Supabase custom domain asks for (its CNAME and the TXT records that prove ownership and validate TLS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

RECORD_TTL_SECONDS = 300


@dataclass(frozen=True, kw_only=True)
class AliasTarget:
    hostname: str
    # A CloudFront distribution's domain name and hosted zone id.
    domain_name: pulumi.Input[str]
    hosted_zone_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class TxtRecord:
    name: pulumi.Input[str]
    value: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class SupabaseDomainRecords:
    """What Supabase's custom-hostname API asks for: `hostname` CNAME to the project, plus its TXT records
    (`_cf-custom-hostname.<hostname>` for ownership, `_acme-challenge.<hostname>` for the certificate)."""

    hostname: pulumi.Input[str]
    cname_target: pulumi.Input[str]
    txt_records: Sequence[TxtRecord] = field(default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class DomainRecordsArgs:
    zone_id: pulumi.Input[str]
    aliases: Sequence[AliasTarget] = field(default_factory=tuple)
    supabase_domain: SupabaseDomainRecords | None = None


class DomainRecords(pulumi.ComponentResource):
    fqdns: pulumi.Output[list[str]]

    def __init__(self, name: str, args: DomainRecordsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:dns:DomainRecords", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        fqdns: list[pulumi.Output[str]] = []

        for target in args.aliases:
            label = target.hostname.replace(".", "-")
            # IPv4 and IPv6: the distributions answer on both.
            for record_type in ("A", "AAAA"):
                record = aws.route53.Record(
                    f"{name}-{label}-{record_type.lower()}",
                    zone_id=args.zone_id,
                    name=target.hostname,
                    type=record_type,
                    aliases=[
                        aws.route53.RecordAliasArgs(
                            name=target.domain_name,
                            zone_id=target.hosted_zone_id,
                            # CloudFront aliases cannot be health-evaluated.
                            evaluate_target_health=False,
                        )
                    ],
                    opts=child,
                )
                fqdns.append(record.fqdn)

        if args.supabase_domain is not None:
            domain = args.supabase_domain
            cname = aws.route53.Record(
                f"{name}-supabase-cname",
                zone_id=args.zone_id,
                name=domain.hostname,
                type="CNAME",
                records=[domain.cname_target],
                ttl=RECORD_TTL_SECONDS,
                opts=child,
            )
            fqdns.append(cname.fqdn)
            for index, txt in enumerate(domain.txt_records):
                record = aws.route53.Record(
                    f"{name}-supabase-txt-{index}",
                    zone_id=args.zone_id,
                    name=txt.name,
                    type="TXT",
                    records=[txt.value],
                    ttl=RECORD_TTL_SECONDS,
                    # Supabase issues new challenge values on re-verification: the record follows them.
                    allow_overwrite=True,
                    opts=child,
                )
                fqdns.append(record.fqdn)

        self.fqdns = pulumi.Output.all(*fqdns).apply(list) if fqdns else pulumi.Output.from_input([])
        self.register_outputs({"fqdns": self.fqdns})
