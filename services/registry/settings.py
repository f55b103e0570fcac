from pydantic import Field

from shared.settings import ServiceSettings, _env


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    http_port: int = Field(8000, validation_alias=_env("CRM_REGISTRY_PORT"))
    default_region: str = Field(
        "RU", validation_alias=_env("CRM_DEFAULT_REGION"),
        description="Region assumed for a looked-up number written without a country code.",
    )
