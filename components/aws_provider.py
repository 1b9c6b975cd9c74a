"""The explicit AWS provider every AWS component runs under: the stack's region and the tags that say which
project and stack own a resource."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def aws_provider(name: str, *, region: str) -> aws.Provider:
    return aws.Provider(
        name,
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(
            tags={"project": pulumi.get_project(), "stack": pulumi.get_stack(), "managed-by": "pulumi"}
        ),
    )
