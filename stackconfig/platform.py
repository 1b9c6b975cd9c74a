"""What the stack is and what the frontend is told about it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from stackconfig.base import SECTION_CONFIG


class FeatureFlags(BaseModel):
    model_config = SECTION_CONFIG

    ai_chat: bool = True
    automation: bool = True
    it_support: bool = True
    analytics: bool = True
    document_vault: bool = True


Environment = Literal["local", "development", "preview", "staging", "production"]
