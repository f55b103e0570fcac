from pydantic import Field

from shared.settings import ServiceSettings, _env


class ScoringSettings(ServiceSettings):
    service_name: str = "scoring"
    http_port: int = Field(8001, validation_alias=_env("CRM_SCORING_PORT"))
