"""Finds use of deprecated pulumi-aws resources and arguments in a ProgramRun.

The SDK warns (a DeprecationWarning and a log warning) when a deprecated resource is created or a deprecated
argument goes through its *Args class, but not when the argument is passed as a keyword: so registered inputs
are also checked against the resource classes' deprecated properties (tagged by the SDK, or documented as
deprecated in their docstring)."""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from functools import cache

import pulumi
import pulumi_aws

from ops.engineless.program import ProgramRun

AWS_MODULES = [
    "acm",
    "cloudfront",
    "cloudwatch",
    "codebuild",
    "iam",
    "kms",
    "lambda_",
    "route53",
    "s3",
    "scheduler",
    "secretsmanager",
    "sns",
    "wafv2",
    "budgets",
]
TOKEN = re.compile(r"'(aws:[^']+)'")


def import_aws_modules() -> None:
    """Importing pulumi_aws.s3 warns about the package's own V2 aliases: that is the package, not our use.
    pulumi_aws's modules load lazily, on first attribute access, so one attribute is read to load each here
    (otherwise the first program run would load them and catch the package's warnings as ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in AWS_MODULES:
            hasattr(importlib.import_module(f"pulumi_aws.{module}"), "__all__")  # not an introspection name: loads


@cache
def resource_classes() -> dict[str, type]:
    import_aws_modules()
    classes: dict[str, type] = {}
    for module in AWS_MODULES:
        for _, cls in inspect.getmembers(getattr(pulumi_aws, module), inspect.isclass):
            if issubclass(cls, pulumi.CustomResource) and hasattr(cls, "_internal_init"):
                match = TOKEN.search(inspect.getsource(cls._internal_init))
                if match:
                    classes[match.group(1)] = cls
    return classes


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def _class_source(cls: type) -> str:
    return inspect.getsource(cls)


def deprecated_property(cls: type, input_name: str) -> bool:
    snake = _snake(input_name)
    prop = getattr(cls, snake, None)
    if not isinstance(prop, property):
        return False
    tagged = hasattr(prop.fget, "_pulumi_deprecated_callable")
    # Some arguments are deprecated in the resource's documentation only (iam.Role's managed_policy_arns).
    documented = f"The `{snake}` argument is deprecated" in _class_source(cls)
    return tagged or documented


def deprecation_findings(run: ProgramRun) -> list[str]:
    """Every deprecation message of the run, plus every deprecated resource type or argument it registered."""
    findings = [m for m in run.warnings if "deprecat" in m.lower()]
    classes = resource_classes()
    for resource in run.resources:
        if not resource.type.startswith("aws:"):
            continue
        cls = classes.get(resource.type)
        if cls is None:
            findings.append(f"{resource.name}: {resource.type} is not a resource of the checked modules")
            continue
        findings += [
            f"{resource.name}: argument {key} of {resource.type} is deprecated"
            for key in resource.inputs
            if deprecated_property(cls, key)
        ]
    return findings
