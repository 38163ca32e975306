"""Typed settings of the security layer (``serverless-infra-security:*`` in the stack files)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from app.contract import CONFIG_TTL, MAX_BATCH_SIZE, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, IntParameter
from shared.config import Settings


def _bounded(spec: IntParameter) -> int:
    """A field with the default and bounds the app enforces when it reads the parameter (one contract)."""
    return Field(spec.default, ge=spec.minimum, le=spec.maximum, description=spec.description)


class ApiParameters(Settings):
    """Values written under ``/myapp/{env}/api/`` (the app reads them by these key names)."""

    max_batch_size: int = _bounded(MAX_BATCH_SIZE)
    page_size_default: int = _bounded(PAGE_SIZE_DEFAULT)
    page_size_max: int = _bounded(PAGE_SIZE_MAX)

    @model_validator(mode="after")
    def _pages(self) -> ApiParameters:
        if self.page_size_default > self.page_size_max:
            raise ValueError(
                f"pageSizeDefault ({self.page_size_default}) exceeds pageSizeMax ({self.page_size_max})"
            )
        return self


class CacheParameters(Settings):
    """Values written under ``/myapp/{env}/cache/``."""

    config_ttl_seconds: int = _bounded(CONFIG_TTL)


class SecuritySettings(Settings):
    key_deletion_window_days: int = Field(
        ge=7,
        le=30,
        description="Days a scheduled key deletion can still be cancelled (KMS allows 7-30).",
    )
    key_rotation_period_days: int = Field(
        365,
        ge=90,
        le=2_560,
        description="Automatic rotation period of every key (KMS allows 90-2560).",
    )
    parameter_tier: Literal["Standard", "Advanced", "Intelligent-Tiering"] = Field(
        "Standard",
        description="SSM tier: Standard is free (4 KB values); Advanced costs $0.05/parameter-month.",
    )
    signing_key_length: int = Field(
        64, ge=32, le=256, description="Characters of the generated API signing key."
    )
    signing_key_generation: int = Field(
        1,
        ge=1,
        description="Bump to generate a new API signing key (pulumi-random keepers).",
    )
    api_parameters: ApiParameters = Field(default_factory=lambda: ApiParameters.model_validate({}))
    cache_parameters: CacheParameters = Field(default_factory=lambda: CacheParameters.model_validate({}))
