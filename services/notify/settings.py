from pydantic import Field

from shared.settings import ServiceSettings, _env


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = Field(8003, validation_alias=_env("CRM_NOTIFY_PORT"))
