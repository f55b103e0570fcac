from pathlib import Path

from pydantic import Field

from services.scoring.domain import DEFAULT_RULES_PATH
from shared.settings import ServiceSettings, _env


class ScoringSettings(ServiceSettings):
    service_name: str = "scoring"
    http_port: int = Field(8001, validation_alias=_env("CRM_SCORING_PORT"))
    rules_path: Path = Field(
        DEFAULT_RULES_PATH, validation_alias=_env("CRM_SCORING_RULES"),
        description="The scoring rules file; reloaded when it changes.",
    )
    rules_check_interval_s: float = Field(
        2.0, validation_alias=_env("CRM_SCORING_RULES_CHECK_S"),
        description="How often, at most, the rules file is checked for changes.",
    )
