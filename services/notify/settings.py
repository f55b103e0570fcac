"""Notify's settings: quiet hours, throttle, the SMS gateway and the inbound webhook's token."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from services.notify.domain import Policy, SendingWindow
from shared.settings import ServiceSettings, _env


def sending_window(quiet_hours: str) -> SendingWindow:
    """The window we may text in: the complement of ``quiet_hours`` ("21:00-09:00").

    ``"off"`` (or an empty value) means no quiet hours at all.
    """
    if quiet_hours.strip().lower() in ("", "off", "none"):
        return SendingWindow.parse("00:00-00:00")
    quiet = SendingWindow.parse(quiet_hours)
    return SendingWindow(start=quiet.end, end=quiet.start)


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = Field(8003, validation_alias=_env("CRM_NOTIFY_PORT"))
    default_region: str = Field(
        "RU", validation_alias=_env("CRM_DEFAULT_REGION"),
        description="Region assumed for an inbound number written without a country code.",
    )

    # Policy
    quiet_hours: str = Field(
        "21:00-09:00", validation_alias=_env("CRM_QUIET_HOURS"),
        description="Local hours of the recipient in which nothing is sent; 'off' for none.",
    )
    survey_throttle_days: float = Field(30, validation_alias=_env("CRM_SURVEY_THROTTLE_DAYS"))
    why_us_delay_s: float = Field(
        3600, validation_alias=_env("CRM_WHY_US_DELAY_S"),
        description="The why-us survey waits this long after registration; a survey sent "
        "meanwhile (the first purchase's) takes its place under the throttle.",
    )
    pending_grace_s: float = Field(
        86_400, validation_alias=_env("CRM_NOTIFY_PENDING_GRACE_S"),
        description="How long a message for a customer not registered yet waits for the "
        "registration before it is suppressed with reason no_phone.",
    )

    # Delivery
    sms_gateway: Literal["outbox", "http"] = Field(
        "outbox", validation_alias=_env("CRM_SMS_GATEWAY"),
        description="http: the provider's API (production); outbox: kept, not sent (the "
        "embedded mode, or a development MongoDB server on this machine; refused with a "
        "Kafka or MongoDB elsewhere).",
    )
    sms_outbox_outside_embedded: bool = Field(
        False, validation_alias=_env("CRM_SMS_OUTBOX_OUTSIDE_EMBEDDED"),
        description="Keep the outbox gateway with a real Kafka or MongoDB configured: a "
        "staging system that must not text anyone. Never in production.",
    )
    sms_http_url: str | None = Field(None, validation_alias=_env("CRM_SMS_HTTP_URL"))
    sms_http_token: SecretStr | None = Field(None, validation_alias=_env("CRM_SMS_HTTP_TOKEN"))
    sms_http_timeout_s: float = Field(5.0, validation_alias=_env("CRM_SMS_HTTP_TIMEOUT_S"))
    sms_http_retries: int = Field(3, validation_alias=_env("CRM_SMS_HTTP_RETRIES"))
    sms_send_attempts: int = Field(
        5, validation_alias=_env("CRM_SMS_SEND_ATTEMPTS"),
        description="Rounds of sending (each with the adapter's own retries) before a "
        "message is marked failed.",
    )
    sms_retry_after_s: float = Field(30.0, validation_alias=_env("CRM_SMS_RETRY_AFTER_S"))
    sms_sender_interval_s: float = Field(
        0.5, validation_alias=_env("CRM_SMS_SENDER_INTERVAL_S")
    )
    sms_claim_lease_s: float = Field(
        300, gt=0, validation_alias=_env("CRM_SMS_CLAIM_LEASE_S"),
        description="How long a replica's claim on a due message lasts unless renewed (it is, "
        "while the replica sends): how long a killed replica's messages wait for another.",
    )
    sms_inbound_token: SecretStr | None = Field(
        None, validation_alias=_env("CRM_SMS_INBOUND_TOKEN"),
        description="Bearer token of the SMS provider's inbound webhook (the admin token "
        "is accepted too).",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _readable_window(cls, value: str) -> str:
        sending_window(value)
        return value

    def policy(self) -> Policy:
        return Policy(
            window=sending_window(self.quiet_hours),
            survey_throttle=timedelta(days=self.survey_throttle_days),
            why_us_delay=timedelta(seconds=self.why_us_delay_s),
            pending_grace=timedelta(seconds=self.pending_grace_s),
        )

    def secrets(self) -> dict[str, SecretStr | None]:
        # Not the provider's own API key: its length is the provider's choice.
        return super().secrets() | {"CRM_SMS_INBOUND_TOKEN": self.sms_inbound_token}

    def outbox_problem(self) -> str | None:
        """Why the outbox gateway may not run here (it would silently send nothing), or None."""
        if (self.sms_gateway != "outbox" or self.on_this_machine
                or self.sms_outbox_outside_embedded):
            return None  # on_this_machine: a development MongoDB server beside the broker
        return ("CRM_SMS_GATEWAY is outbox (the default), which keeps SMS instead of sending "
                "them, and a Kafka or MongoDB elsewhere than this machine is configured. Set "
                "CRM_SMS_GATEWAY=http, "
                "CRM_SMS_HTTP_URL (the provider's send URL) and CRM_SMS_HTTP_TOKEN (its API "
                "token), see deploy/README.md; a staging system that must not text anyone "
                "may keep the outbox with CRM_SMS_OUTBOX_OUTSIDE_EMBEDDED=true")

    def missing_secrets(self) -> list[str]:
        missing = super().missing_secrets()
        if self.sms_gateway == "http" and not self.sms_http_url:
            missing.append("CRM_SMS_HTTP_URL")
        return missing
