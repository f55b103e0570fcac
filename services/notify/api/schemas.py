"""Request bodies of notify's HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InboundSms(BaseModel):
    """What the SMS provider's webhook posts for a reply."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    sender: str = Field(alias="from", min_length=3, max_length=40, examples=["+79001234567"])
    text: str = Field(max_length=1600, examples=["5 отлично"])
