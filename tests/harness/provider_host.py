"""The tests' handle on Pulumi's real dynamic-provider host (the implementation is shared with the
engine-less local deployment in ops/engineless)."""

from ops.engineless.provider_host import (
    PROVIDER_KEY,
    ProviderError,
    ProviderHost,
    ProviderResult,
    Secret,
    Unknown,
)

__all__ = ["PROVIDER_KEY", "ProviderError", "ProviderHost", "ProviderResult", "Secret", "Unknown"]
