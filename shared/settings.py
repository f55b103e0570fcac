"""Settings every service reads from the environment (see ``.env.example``)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it to set its name and port."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "service"
    http_host: str = Field("127.0.0.1", validation_alias=_env("CRM_HTTP_HOST"))
    http_port: int = 8000
    log_level: str = Field("INFO", validation_alias=_env("CRM_LOG_LEVEL"))

    # Kafka
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=_env("KAFKA_BOOTSTRAP_SERVERS")
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=_env("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", validation_alias=_env("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(None, validation_alias=_env("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: SecretStr | None = Field(
        None, validation_alias=_env("KAFKA_SASL_PASSWORD")
    )
    kafka_ssl_cafile: str | None = Field(None, validation_alias=_env("KAFKA_SSL_CAFILE"))
    kafka_ssl_certfile: str | None = Field(None, validation_alias=_env("KAFKA_SSL_CERTFILE"))
    kafka_ssl_keyfile: str | None = Field(None, validation_alias=_env("KAFKA_SSL_KEYFILE"))
    # Tansu (the embedded broker) does not implement InitProducerId; `make run` turns this
    # off there. Consumers drop duplicates by event_id either way.
    kafka_idempotent_producer: bool = Field(
        True, validation_alias=_env("KAFKA_IDEMPOTENT_PRODUCER")
    )
    kafka_group_prefix: str = Field("crm", validation_alias=_env("KAFKA_GROUP_PREFIX"))

    # MongoDB
    mongodb_url: str = Field("memory://", validation_alias=_env("MONGODB_URL"))
    mongodb_database_prefix: str = Field("crm_", validation_alias=_env("MONGODB_DATABASE_PREFIX"))
    mongodb_tls_ca_file: str | None = Field(None, validation_alias=_env("MONGODB_TLS_CA_FILE"))
    data_dir: str | None = Field(None, validation_alias=_env("CRM_DATA_DIR"))
    memory_fsync: bool = Field(True, validation_alias=_env("CRM_MEMORY_FSYNC"))

    # Access: no defaults; the embedded `make run` takes the dev values from .env.example.
    operator_token: SecretStr | None = Field(None, validation_alias=_env("CRM_OPERATOR_TOKEN"))
    analyst_token: SecretStr | None = Field(None, validation_alias=_env("CRM_ANALYST_TOKEN"))
    admin_token: SecretStr | None = Field(None, validation_alias=_env("CRM_ADMIN_TOKEN"))

    # Limits and delivery
    max_body_bytes: int = Field(64 * 1024, validation_alias=_env("CRM_MAX_BODY_BYTES"))
    max_event_bytes: int = Field(64 * 1024, validation_alias=_env("CRM_MAX_EVENT_BYTES"))
    consumer_max_records: int = Field(500, validation_alias=_env("CRM_CONSUMER_MAX_RECORDS"))
    consumer_batch_timeout_ms: int = Field(
        20, validation_alias=_env("CRM_CONSUMER_BATCH_TIMEOUT_MS")
    )
    # How long a fetch may wait for data. Tansu answers a waiting fetch late rather than
    # when data arrives (measured: 122 ms median at 500 ms, 10 ms at 20 ms), so keep it short.
    consumer_fetch_max_wait_ms: int = Field(
        50, validation_alias=_env("CRM_CONSUMER_FETCH_MAX_WAIT_MS")
    )
    retry_attempts: int = Field(5, validation_alias=_env("CRM_RETRY_ATTEMPTS"))
    retry_backoff_s: float = Field(0.2, validation_alias=_env("CRM_RETRY_BACKOFF_S"))
    # Processed event ids are kept this long (a TTL index on MongoDB): longer than any
    # redelivery can come, i.e. longer than the topics' retention.
    processed_retention_days: int = Field(
        30, ge=1, validation_alias=_env("CRM_PROCESSED_RETENTION_DAYS")
    )
    faults_enabled: bool = Field(False, validation_alias=_env("CRM_FAULTS_ENABLED"))
    card_lookups_per_minute: int = Field(
        600, validation_alias=_env("CRM_CARD_LOOKUPS_PER_MINUTE")
    )

    def missing_secrets(self) -> list[str]:
        """Environment variables that must be set before the service may start."""
        names = {
            "CRM_OPERATOR_TOKEN": self.operator_token,
            "CRM_ANALYST_TOKEN": self.analyst_token,
            "CRM_ADMIN_TOKEN": self.admin_token,
        }
        return [name for name, value in names.items() if not value or not value.get_secret_value()]
