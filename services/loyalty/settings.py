from pydantic import Field

from shared.settings import ServiceSettings, _env


class LoyaltySettings(ServiceSettings):
    service_name: str = "loyalty"
    http_port: int = Field(8002, validation_alias=_env("CRM_LOYALTY_PORT"))
