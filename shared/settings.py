"""Settings every service reads from the environment (see ``.env.example``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _all_loopback(servers: list[str]) -> bool:
    """Whether every ``host[:port]`` given is this machine (at least one given)."""
    hosts = [server.strip().rsplit(":", 1)[0].strip("[]") if server.strip().count(":") <= 1
             or server.strip().startswith("[") else server.strip()
             for server in servers if server.strip()]
    return bool(hosts) and all(host in LOOPBACK for host in hosts)
MIN_SECRET_LENGTH = 32
#: The development values of .env.example: refused outside the embedded mode.
DEV_SECRETS = frozenset({
    "dev-operator-token", "dev-analyst-token", "dev-admin-token", "dev-password-change-me",
    "dev-telephony-token",
})


#: The machine-client tokens: a service does not start without them.
REQUIRED_SECRETS = ("CRM_OPERATOR_TOKEN", "CRM_ANALYST_TOKEN", "CRM_ADMIN_TOKEN")


def _revealed(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def secret_problem(name: str, secret: str) -> str | None:
    """Why a secret may not be used outside the embedded mode, or None."""
    if secret in DEV_SECRETS:
        return f"{name} is the development value from .env.example"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"{name} is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it to set its name and port."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "service"
    http_host: str = Field("127.0.0.1", validation_alias=_env("CRM_HTTP_HOST"))
    http_port: int = 8000
    log_level: str = Field("INFO", validation_alias=_env("CRM_LOG_LEVEL"))
    # Proxies whose X-Forwarded-For names the client (per-address sign-in limits); "*" when
    # only the ingress controller can reach the pods.
    forwarded_allow_ips: str = Field("127.0.0.1",
                                     validation_alias=_env("CRM_FORWARDED_ALLOW_IPS"))

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

    # Machine-client tokens (scripts, other systems): no defaults; the embedded `make run`
    # takes the dev values from .env.example.
    operator_token: SecretStr | None = Field(None, validation_alias=_env("CRM_OPERATOR_TOKEN"))
    analyst_token: SecretStr | None = Field(None, validation_alias=_env("CRM_ANALYST_TOKEN"))
    admin_token: SecretStr | None = Field(None, validation_alias=_env("CRM_ADMIN_TOKEN"))

    # People's session tokens: registry signs them; every service verifies them itself
    # against registry's JWKS (and a company identity provider's, with CRM_OIDC_*).
    auth_issuer: str = Field("crm-registry", validation_alias=_env("CRM_AUTH_ISSUER"))
    auth_audience: str = Field("crm", validation_alias=_env("CRM_AUTH_AUDIENCE"))
    auth_jwks_url: str | None = Field(None, validation_alias=_env("CRM_AUTH_JWKS_URL"))
    registry_port: int = Field(8000, validation_alias=_env("CRM_REGISTRY_PORT"))
    auth_key_dir: str | None = Field(
        None, validation_alias=_env("CRM_AUTH_KEY_DIR"),
        description="Where registry keeps the keys that sign session tokens (default: "
                    "<CRM_DATA_DIR>/keys). Replicas of registry share it.")
    oidc_issuer: str | None = Field(None, validation_alias=_env("CRM_OIDC_ISSUER"))
    oidc_jwks_url: str | None = Field(None, validation_alias=_env("CRM_OIDC_JWKS_URL"))
    oidc_audience: str | None = Field(None, validation_alias=_env("CRM_OIDC_AUDIENCE"))
    oidc_role_claim: str = Field("roles", validation_alias=_env("CRM_OIDC_ROLE_CLAIM"))

    # Limits and delivery
    max_body_bytes: int = Field(64 * 1024, validation_alias=_env("CRM_MAX_BODY_BYTES"))
    max_event_bytes: int = Field(64 * 1024, validation_alias=_env("CRM_MAX_EVENT_BYTES"))
    consumer_max_records: int = Field(500, validation_alias=_env("CRM_CONSUMER_MAX_RECORDS"))
    # Events applied in one transaction (a unit of work). The stand-in serialises writers,
    # so a unit also bounds how long an HTTP command can wait behind the consumer.
    consumer_unit_events: int = Field(
        100, ge=1, validation_alias=_env("CRM_CONSUMER_UNIT_EVENTS"))
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
    # A transient database error (a write conflict, say) that outlasts this while the database
    # answers is a persistent one: the event is dead-lettered instead of blocking its partition.
    # Well above MongoDB's transactionLifetimeLimitSeconds (60 s): a replica killed inside a
    # transaction holds its documents that long, and its peers' conflicts on them are no fault.
    transient_limit_s: float = Field(180, gt=0, validation_alias=_env("CRM_TRANSIENT_LIMIT_S"))
    # Processed event ids are kept this long (a TTL index on MongoDB): longer than any
    # redelivery can come, i.e. longer than the topics' retention.
    processed_retention_days: int = Field(
        30, ge=1, validation_alias=_env("CRM_PROCESSED_RETENTION_DAYS")
    )
    faults_enabled: bool = Field(False, validation_alias=_env("CRM_FAULTS_ENABLED"))
    # How soon an erased customer's removed documents leave the stand-in's files (its
    # journal keeps after-images until it is compacted); MongoDB needs nothing.
    erasure_scrub_s: float = Field(60, gt=0, validation_alias=_env("CRM_ERASURE_SCRUB_S"))
    # How often each service reads its own consumer group's lag for /metrics
    # (crm_consumer_lag); 0 turns it off.
    lag_interval_s: float = Field(15, ge=0, validation_alias=_env("CRM_LAG_INTERVAL_S"))
    card_lookups_per_minute: int = Field(
        600, validation_alias=_env("CRM_CARD_LOOKUPS_PER_MINUTE")
    )
    # /docs, /redoc and /openapi.json: the API's whole surface is a map for an attacker, so
    # by default only someone holding a valid token (any role) may read it.
    api_docs: Literal["public", "token", "off"] = Field(
        "token", validation_alias=_env("CRM_API_DOCS"),
        description="public: anyone; token: a valid token of any role, in the header or as "
                    "?access_token= (how a browser opens /docs); off: not served (404).")
    # Reads that return a customer's personal data (the customer, its history, activity and
    # notes, a loyalty card), per person or client and service; bursts of a sixth.
    personal_reads_per_minute: int = Field(
        120, ge=1, validation_alias=_env("CRM_PERSONAL_READS_PER_MINUTE")
    )

    def secrets(self) -> dict[str, SecretStr | None]:
        """The secrets this service reads, by environment variable (subclasses add theirs)."""
        return {
            "CRM_OPERATOR_TOKEN": self.operator_token,
            "CRM_ANALYST_TOKEN": self.analyst_token,
            "CRM_ADMIN_TOKEN": self.admin_token,
        }

    def missing_secrets(self) -> list[str]:
        """Environment variables that must be set before the service may start."""
        values = self.secrets()
        return [name for name in REQUIRED_SECRETS if not _revealed(values.get(name))]

    @property
    def embedded(self) -> bool:
        """The development shape: the stand-in database and a broker on this machine."""
        return self.mongodb_url in ("", "memory://") and _all_loopback(self._kafka_hosts())

    @property
    def on_this_machine(self) -> bool:
        """The broker and the database on loopback: the embedded mode, or a development
        MongoDB server beside it (secrets are still checked as outside the embedded mode:
        one server can host a whole small call center)."""
        if self.mongodb_url in ("", "memory://"):
            return self.embedded
        if not self.mongodb_url.startswith("mongodb://"):
            return False  # mongodb+srv:// names a cluster in DNS
        authority = self.mongodb_url[len("mongodb://"):].split("/", 1)[0].split("?", 1)[0]
        servers = authority.rsplit("@", 1)[-1].split(",")
        return _all_loopback(self._kafka_hosts()) and _all_loopback(servers)

    def _kafka_hosts(self) -> list[str]:
        return self.kafka_bootstrap_servers.split(",")

    def weak_secrets(self) -> list[str]:
        """Why the secrets may not be used outside the embedded mode (empty when they may)."""
        if self.embedded:
            return []
        found = (secret_problem(name, _revealed(value))
                 for name, value in self.secrets().items() if _revealed(value))
        return [problem for problem in found if problem]

    def key_dir(self) -> Path:
        """Registry's signing keys (``crm keys`` manages them)."""
        if self.auth_key_dir:
            return Path(self.auth_key_dir)
        return Path(self.data_dir or "data") / "keys"

    def jwks_url(self) -> str:
        """Where registry publishes the keys that sign people's session tokens."""
        return self.auth_jwks_url or \
            f"http://127.0.0.1:{self.registry_port}/.well-known/jwks.json"

    def oidc_problems(self) -> list[str]:
        given = {"CRM_OIDC_ISSUER": self.oidc_issuer, "CRM_OIDC_JWKS_URL": self.oidc_jwks_url,
                 "CRM_OIDC_AUDIENCE": self.oidc_audience}
        if any(given.values()) and not all(given.values()):
            missing = ", ".join(name for name, value in given.items() if not value)
            return [f"a company identity provider needs {missing} as well"]
        return []
