"""The stack's TLS certificate: ACM in us-east-1 (the only region CloudFront takes certificates from), for
every hostname of the stack, validated by DNS records in the stack's existing Route53 zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import GLOBAL_SERVICES_REGION


@dataclass(frozen=True, kw_only=True)
class SiteCertificateArgs:
    zone_name: str
    # The first name is the certificate's subject; the others are its alternative names.
    hostnames: Sequence[str]


class SiteCertificate(pulumi.ComponentResource):
    zone_id: pulumi.Output[str]
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, args: SiteCertificateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:certificate:SiteCertificate", name, None, opts)
        if not args.hostnames:
            raise ValueError(
                f"{name}: a certificate needs at least one hostname; set frontend.hostname or storageCdn.hostname"
            )
        # The zone is the operator's: looked up, never created, so destroying a stack cannot take the domain with it.
        zone = aws.route53.get_zone_output(
            name=args.zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.zone_id = zone.zone_id

        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            region=GLOBAL_SERVICES_REGION,
            domain_name=args.hostnames[0],
            subject_alternative_names=list(args.hostnames[1:]),
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            # Pulumi's default create-before-replace keeps the distributions on a valid certificate while it changes.
            opts=pulumi.ResourceOptions(parent=self),
        )

        def validation_option(hostname: str) -> pulumi.Output[aws.acm.outputs.CertificateDomainValidationOption]:
            return certificate.domain_validation_options.apply(
                lambda options: next(o for o in options if o.domain_name == hostname)
            )

        validation_fqdns = []
        for index, hostname in enumerate(args.hostnames):
            option = validation_option(hostname)
            record = aws.route53.Record(
                f"{name}-validation-{index}",
                zone_id=self.zone_id,
                name=option.resource_record_name,
                type=option.resource_record_type,
                records=[option.resource_record_value],
                ttl=300,
                # ACM reuses the same validation record for a name across certificates and renewals.
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            validation_fqdns.append(record.fqdn)

        # Waits until ACM has issued the certificate, so distributions never reference a pending one.
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            region=GLOBAL_SERVICES_REGION,
            certificate_arn=certificate.arn,
            validation_record_fqdns=validation_fqdns,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.certificate_arn = validation.certificate_arn
        self.register_outputs({"zoneId": self.zone_id, "certificateArn": self.certificate_arn})
