from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from shared.phones import phone_regions
from shared.settings import ServiceSettings, _env


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    http_port: int = Field(8000, validation_alias=_env("CRM_REGISTRY_PORT"))
    default_region: str = Field(
        "RU", validation_alias=_env("CRM_DEFAULT_REGION"),
        description="Region assumed for a looked-up number written without a country code.",
    )

    # Sign-in
    session_minutes: int = Field(15, ge=1, le=24 * 60,
                                 validation_alias=_env("CRM_SESSION_MINUTES"))
    session_max_hours: float = Field(12, gt=0, le=24 * 7,
                                     validation_alias=_env("CRM_SESSION_MAX_HOURS"))
    login_lock_after: int = Field(10, ge=2, validation_alias=_env("CRM_LOGIN_LOCK_AFTER"))
    login_lock_minutes: int = Field(15, ge=1, validation_alias=_env("CRM_LOGIN_LOCK_MINUTES"))
    # Generous: a whole floor signs in at shift start from one address behind a NAT; the
    # per-login throttle is what stops guessing.
    sign_ins_per_minute: int = Field(
        300, ge=1, validation_alias=_env("CRM_SIGN_INS_PER_MINUTE"),
        description="Sign-in attempts per client address and minute (bursts of a sixth).")
    bootstrap_admin_login: str = Field("admin",
                                       validation_alias=_env("CRM_BOOTSTRAP_ADMIN_LOGIN"))
    bootstrap_admin_password: SecretStr | None = Field(
        None, validation_alias=_env("CRM_BOOTSTRAP_ADMIN_PASSWORD"),
        description="Creates the first admin of an empty operator directory.")

    # Telephony
    telephony_token: SecretStr | None = Field(
        None, validation_alias=_env("CRM_TELEPHONY_TOKEN"),
        description="The PBX's token for POST /api/telephony/events (unset: admins only).")
    call_retention_hours: float = Field(
        24, gt=0, le=24 * 31, validation_alias=_env("CRM_CALL_RETENTION_HOURS"),
        description="How long a call's record (with the caller's number) is kept; the "
                    "interaction it logged stays with the customer.")
    call_wrap_up_s: float = Field(
        10, ge=0, le=600, validation_alias=_env("CRM_CALL_WRAP_UP_S"),
        description="After-call work: how long after a hang-up the operator may give the "
                    "call's outcome before it is logged as info (0: log at hang-up).")
    ring_timeout_s: int = Field(
        120, ge=10, le=3600, validation_alias=_env("CRM_RING_TIMEOUT_S"),
        description="A call still ringing or talked this long after it began is shown again "
                    "to a screen that connects (a reconnect, a new tab); older ones are not.")

    # The panel's loyalty actions (redeeming points) go through registry to loyalty.
    loyalty_port: int = Field(8002, validation_alias=_env("CRM_LOYALTY_PORT"))
    loyalty_url: str | None = Field(
        None, validation_alias=_env("CRM_LOYALTY_URL"),
        description="Loyalty's HTTP API as registry reaches it, for the panel's redemptions "
                    "(default http://127.0.0.1:CRM_LOYALTY_PORT).")

    def loyalty_base_url(self) -> str:
        """Where registry forwards the panel's loyalty requests."""
        return (self.loyalty_url or f"http://127.0.0.1:{self.loyalty_port}").rstrip("/")

    # The analyst view (/analytics) reads loyalty's and notify's reports through registry.
    notify_port: int = Field(8003, validation_alias=_env("CRM_NOTIFY_PORT"))
    notify_url: str | None = Field(
        None, validation_alias=_env("CRM_NOTIFY_URL"),
        description="Notify's HTTP API as registry reaches it, for the analyst view's survey "
                    "summary (default http://127.0.0.1:CRM_NOTIFY_PORT).")

    def notify_base_url(self) -> str:
        """Where registry forwards the analyst view's survey summary."""
        return (self.notify_url or f"http://127.0.0.1:{self.notify_port}").rstrip("/")

    # Thank-yous
    thank_you_max_bonus: int = Field(
        1000, ge=0, validation_alias=_env("CRM_THANK_YOU_MAX_BONUS"),
        description="The most bonus points an operator may give with one thank-you.")

    def secrets(self) -> dict[str, SecretStr | None]:
        return super().secrets() | {"CRM_BOOTSTRAP_ADMIN_PASSWORD": self.bootstrap_admin_password,
                                    "CRM_TELEPHONY_TOKEN": self.telephony_token}

    # Phones
    phone_regions: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias=_env("CRM_PHONE_REGIONS"),
        description="Regions a looked-up number without a country code is read in, "
                    "comma-separated ISO codes (e.g. RU,IR); unset: CRM_DEFAULT_REGION only. "
                    "Readings that are different customers' numbers are the operator's choice.")

    @field_validator("phone_regions", mode="before")
    @classmethod
    def _listed_regions(cls, value: object) -> object:
        return phone_regions(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _own_region_at_least(self) -> RegistrySettings:
        """Unset, the call center reads numbers in its default region only."""
        if not self.phone_regions:
            self.phone_regions = phone_regions(self.default_region)
        return self
