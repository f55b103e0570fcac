"""Static checks of deploy/: every manifest parses, topics and probes are complete, every
environment variable is a real setting, the dashboard queries something, the alert rules
pass promtool. Fast, no network, no container engine."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from services.loyalty.settings import LoyaltySettings
from services.notify.settings import NotifySettings
from services.registry.settings import RegistrySettings
from services.scoring.settings import ScoringSettings
from shared.contracts import acls, topics
from shared.contracts.topology import CONSUMERS, PRODUCERS
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
K8S = DEPLOY / "k8s"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboard.json"

SERVICE_SETTINGS: dict[str, type[ServiceSettings]] = {
    "registry": RegistrySettings,
    "scoring": ScoringSettings,
    "loyalty": LoyaltySettings,
    "notify": NotifySettings,
}
# Read by the image's entrypoint and healthcheck, not by the settings.
NON_SETTING_VARIABLES = {"SERVICE"}
ALL_TOPICS = topics.all_with_dlq()


def _aliases(model: type[ServiceSettings]) -> set[str]:
    names: set[str] = set()
    for field in model.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices if str(choice).isupper())
        elif isinstance(alias, str):
            names.add(alias)
    return names


def _known_variables() -> set[str]:
    known = _aliases(ServiceSettings)
    for model in SERVICE_SETTINGS.values():
        known |= _aliases(model)
    return known | NON_SETTING_VARIABLES


def _default_port(name: str) -> int:
    return int(SERVICE_SETTINGS[name].model_fields["http_port"].default)


def _yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))


def _load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _k8s_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.rglob("*.yaml")):
        docs.extend(doc for doc in _load_all(path) if isinstance(doc, dict) and "kind" in doc)
    return docs


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _env_file_keys(path: Path) -> set[str]:
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            keys.add(match.group(1))
    return keys


# --- every file parses ------------------------------------------------------------------


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    assert _load_all(path), f"{path} is empty"


def test_every_json_file_parses() -> None:
    files = sorted(DEPLOY.rglob("*.json"))
    assert DASHBOARD in files
    for path in files:
        json.loads(path.read_text(encoding="utf-8"))


def test_kustomizations_list_existing_files() -> None:
    for kustomization in K8S.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text(encoding="utf-8"))["resources"]:
            assert (kustomization.parent / resource).exists(), f"{kustomization}: {resource}"


# --- topics -----------------------------------------------------------------------------


def test_compose_topic_init_creates_every_topic_and_dlq() -> None:
    init = _compose()["services"]["kafka-topics"]
    created = init["environment"]["TOPICS"].split()
    assert sorted(created) == sorted(ALL_TOPICS)
    assert init["environment"]["PARTITIONS"] == "12"
    assert init["environment"]["REPLICATION_FACTOR"] == "3"
    assert "--if-not-exists" in " ".join(init["command"])


def test_k8s_kafka_topics_cover_every_topic_and_dlq() -> None:
    kafka_topics = [doc for doc in _k8s_docs() if doc["kind"] == "KafkaTopic"]
    names = [doc["spec"]["topicName"] for doc in kafka_topics]
    assert sorted(names) == sorted(ALL_TOPICS)
    for doc in kafka_topics:
        assert doc["spec"]["partitions"] == 12
        assert doc["spec"]["replicas"] == 3
        assert doc["spec"]["config"]["min.insync.replicas"] == 2
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "crm-kafka"


def test_kafka_is_kraft_with_three_replicated_nodes() -> None:
    compose = _compose()["services"]
    brokers = [name for name in compose if name.startswith("kafka-") and name[-1].isdigit()]
    assert len(brokers) == 3
    voters = compose["kafka-1"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters.count("@") == 3
    for name in brokers:
        env = compose[name]["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    docs = _k8s_docs()
    (kafka,) = [doc for doc in docs if doc["kind"] == "Kafka"]
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    pools = [doc for doc in docs if doc["kind"] == "KafkaNodePool"]
    assert sum(pool["spec"]["replicas"] for pool in pools if "broker" in pool["spec"]["roles"]) == 3
    (mongo,) = [doc for doc in docs if doc["kind"] == "MongoDBCommunity"]
    assert mongo["spec"]["members"] == 3


# --- Kafka users and ACLs ---------------------------------------------------------------


def _strimzi_acls() -> dict[str, list[dict[str, Any]]]:
    users = [doc for doc in _k8s_docs() if doc["kind"] == "KafkaUser"]
    return {user["metadata"]["name"]: user["spec"]["authorization"]["acls"] for user in users}


def _topics_allowed(acl_list: list[dict[str, Any]], operation: str) -> set[str]:
    return {acl["resource"]["name"] for acl in acl_list
            if acl["resource"]["type"] == "topic" and operation in acl["operations"]}


def _compose_grants() -> dict[str, dict[str, set[str]]]:
    """Per principal and operation, the topics kafka-acls.sh grants (literal names)."""
    script = (DEPLOY / "compose" / "kafka-acls.sh").read_text(encoding="utf-8")
    granted: dict[str, dict[str, set[str]]] = {}
    for call in script.replace("\\\n", " ").splitlines():
        if not call.startswith("acl "):
            continue
        who = re.search(r"--allow-principal User:(\S+)", call)
        assert who is not None, call
        if "prefixed" in call:
            continue
        for operation in re.findall(r"--operation (\w+)", call):
            granted.setdefault(who.group(1), {}).setdefault(operation, set()).update(
                re.findall(r"--topic (\S+)", call))
    return granted


def test_the_generated_acls_are_those_of_the_topology() -> None:
    # A topology change without `python -m shared.contracts.acls` fails here.
    for path, text in acls.rendered().items():
        assert path.read_text(encoding="utf-8") == text, f"{path}: regenerate it"
    resources = yaml.safe_load((K8S / "data" / "kustomization.yaml").read_text())["resources"]
    assert "kafka-users.yaml" in resources


@pytest.mark.parametrize("name", sorted(SERVICE_SETTINGS))
def test_a_service_may_write_exactly_what_it_publishes_and_its_dead_letters(name: str) -> None:
    produced = {topic for topic, services in PRODUCERS.items() if name in services}
    consumed = {topic for topic, services in CONSUMERS.items() if name in services}
    dead_letters = {topics.dlq(topic) for topic in consumed}
    for granted in (_topics_allowed(_strimzi_acls()[f"crm-{name}"], "Write"),
                    _compose_grants()[f"crm-{name}"]["Write"]):
        assert granted == produced | dead_letters
    assert _topics_allowed(_strimzi_acls()[f"crm-{name}"], "Read") == consumed
    assert _compose_grants()[f"crm-{name}"]["Read"] == consumed


def test_notify_cannot_forge_scores_and_loyalty_cannot_forge_registrations() -> None:
    strimzi, compose = _strimzi_acls(), _compose_grants()
    assert topics.CUSTOMER_SCORED not in _topics_allowed(strimzi["crm-notify"], "Write")
    assert topics.CUSTOMER_SCORED not in compose["crm-notify"]["Write"]
    assert topics.CUSTOMER_REGISTERED not in _topics_allowed(strimzi["crm-loyalty"], "Write")
    assert topics.CUSTOMER_REGISTERED not in compose["crm-loyalty"]["Write"]
    assert topics.LOYALTY_UPDATED not in _topics_allowed(strimzi["crm-notify"], "Write")


def test_no_service_user_has_a_wildcard_or_another_services_group() -> None:
    for name in SERVICE_SETTINGS:
        for acl in _strimzi_acls()[f"crm-{name}"]:
            assert acl["resource"]["patternType"] == "literal", acl
            assert acl["resource"]["type"] in ("topic", "group"), acl
            if acl["resource"]["type"] == "group":
                assert acl["resource"]["name"] == f"crm.{name}"


def test_the_ops_user_reads_dead_letters_but_no_live_topic() -> None:
    ops = _strimzi_acls()["crm"]
    assert _topics_allowed(ops, "Read") == {topics.dlq(topic) for topic in topics.ALL}
    assert _topics_allowed(ops, "Delete") == {topics.dlq(topic) for topic in topics.ALL}
    groups = {acl["resource"]["name"]: acl for acl in ops if acl["resource"]["type"] == "group"}
    from shared.deadletters import PURGE_GROUP, REPLAY_GROUP
    assert groups[acls.OPS_GROUPS]["resource"]["patternType"] == "prefix"
    assert REPLAY_GROUP.startswith(acls.OPS_GROUPS) and PURGE_GROUP.startswith(acls.OPS_GROUPS)
    assert all(groups[f"crm.{name}"]["operations"] == ["Describe"] for name in SERVICE_SETTINGS)


@pytest.mark.parametrize("name", sorted(SERVICE_SETTINGS))
def test_each_service_signs_in_to_kafka_as_itself(name: str) -> None:
    (deployment,) = [d for d in _k8s_docs()
                     if d["kind"] == "Deployment" and d["metadata"]["name"] == name]
    env = {item["name"]: item for item in
           deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KAFKA_SASL_USERNAME"]["value"] == f"crm-{name}"
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"crm-{name}"
    compose = _compose()["services"][name]["environment"]
    assert compose["KAFKA_SASL_USERNAME"] == f"crm-{name}"
    assert f"CRM_KAFKA_{name.upper()}_PASSWORD" in compose["KAFKA_SASL_PASSWORD"]
    assert compose["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert "kafka-acls" in _compose()["services"][name]["depends_on"]


def test_compose_brokers_authorize_every_request() -> None:
    env = _compose()["services"]["kafka-1"]["environment"]
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert "StandardAuthorizer" in env["KAFKA_AUTHORIZER_CLASS_NAME"]
    assert "PLAINTEXT:PLAINTEXT" not in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    users = re.findall(r"user_([\w-]+)=", env["KAFKA_LISTENER_NAME_CLIENT_PLAIN_SASL_JAAS_CONFIG"])
    assert set(users) == {"admin", acls.OPS, acls.EXPORTER,
                          *(acls.principal(name) for name in SERVICE_SETTINGS)}


# --- services: probes, ports, replicas --------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICE_SETTINGS))
def test_k8s_deployment_probes_and_port(name: str) -> None:
    docs = _k8s_docs()
    (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    port = _default_port(name)
    assert spec["replicas"] == 2
    assert pod["terminationGracePeriodSeconds"] == 30
    assert [p["containerPort"] for p in container["ports"]] == [port]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert named.get(get["port"], get["port"]) == port
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])
    assert {"requests", "limits"} <= set(container["resources"])
    annotations = spec["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    (service,) = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == port
    assert [d for d in docs if d["kind"] == "PodDisruptionBudget" and d["metadata"]["name"] == name]


def test_hpas_never_exceed_the_partition_count() -> None:
    hpas = {d["metadata"]["name"]: d for d in _k8s_docs() if d["kind"] == "HorizontalPodAutoscaler"}
    assert set(hpas) == {"scoring", "loyalty", "notify"}
    for hpa in hpas.values():
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= 12


@pytest.mark.parametrize("name", sorted(SERVICE_SETTINGS))
def test_compose_service_shape(name: str) -> None:
    service = _compose()["services"][name]
    env = service["environment"]
    assert env["SERVICE"] == name
    assert env["CRM_HTTP_HOST"] == "0.0.0.0"
    assert env["CRM_FAULTS_ENABLED"] == "false"
    assert len(env["KAFKA_BOOTSTRAP_SERVERS"].split(",")) == 3
    assert "replicaSet=rs0" in env["MONGODB_URL"]
    assert service["deploy"]["replicas"] == 2
    assert "/ready" in service["healthcheck"]["test"]
    assert service["ports"] == [str(_default_port(name))]
    assert {"kafka-topics", "mongo-init"} <= set(service["depends_on"])


# --- environment variables are real settings --------------------------------------------


def test_compose_environment_variables_are_settings() -> None:
    known = _known_variables()
    compose = _compose()["services"]
    used: set[str] = set()
    for name in SERVICE_SETTINGS:
        used |= set(compose[name]["environment"])
    used |= _env_file_keys(DEPLOY / "compose" / "crm.env.example")
    assert used - known == set()


def test_k8s_environment_variables_are_settings() -> None:
    known = _known_variables()
    docs = _k8s_docs()
    used: set[str] = set()
    (config,) = [d for d in docs
                 if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "crm-config"]
    used |= set(config["data"])
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            used |= {item["name"] for item in container.get("env", [])}
    secrets = [d for d in docs if d["kind"] == "Secret"
               and d["metadata"]["name"] in ("crm-secrets", "crm-sms")]
    for secret in secrets:
        used |= set(secret["stringData"])
    assert used - known == set()
    assert config["data"]["CRM_FAULTS_ENABLED"] == "false"


def test_the_secret_template_holds_placeholders_only() -> None:
    for secret in (d for d in _k8s_docs() if d["kind"] == "Secret"):
        assert all(value == "" for value in secret["stringData"].values())
    for key in ("CRM_OPERATOR_TOKEN", "CRM_ANALYST_TOKEN", "CRM_ADMIN_TOKEN"):
        assert re.search(rf"^{key}=$", (DEPLOY / "compose" / "crm.env.example").read_text(),
                         re.MULTILINE)


# --- notify sends SMS (the outbox keeps them unsent: development only) --------------------


def _deployment_env(name: str) -> dict[str, dict[str, Any]]:
    (deployment,) = [d for d in _k8s_docs()
                     if d["kind"] == "Deployment" and d["metadata"]["name"] == name]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item for item in container.get("env", [])}


def test_the_notify_deployment_sends_through_the_http_gateway_with_its_secret() -> None:
    docs = _k8s_docs()
    (config,) = [d for d in docs
                 if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "crm-config"]
    assert config["data"]["CRM_SMS_GATEWAY"] == "http"
    assert "CRM_SMS_HTTP_URL" in config["data"]  # empty: notify refuses to start until set
    token = _deployment_env("notify")["CRM_SMS_HTTP_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert not token.get("optional")
    (secret,) = [d for d in docs
                 if d["kind"] == "Secret" and d["metadata"]["name"] == token["name"]]
    assert token["key"] in secret["stringData"]
    assert "CRM_SMS_OUTBOX_OUTSIDE_EMBEDDED" not in config["data"]


@pytest.mark.parametrize("name", ["registry", "scoring", "loyalty"])
def test_only_notify_holds_the_sms_providers_token(name: str) -> None:
    assert "CRM_SMS_HTTP_TOKEN" not in _deployment_env(name)
    assert "CRM_SMS_HTTP_TOKEN" not in _compose()["services"][name]["environment"]


def test_compose_notify_sends_through_the_http_gateway_with_its_url_and_token() -> None:
    env = _compose()["services"]["notify"]["environment"]
    assert env["CRM_SMS_GATEWAY"] == "http"
    for key in ("CRM_SMS_HTTP_URL", "CRM_SMS_HTTP_TOKEN"):  # compose refuses to start without
        assert env[key].startswith(f"${{{key}:?")
        assert key in _env_file_keys(DEPLOY / "compose" / "kafka-users.env.example")
    assert "CRM_SMS_GATEWAY" not in _env_file_keys(DEPLOY / "compose" / "crm.env.example")
    assert "CRM_SMS_OUTBOX_OUTSIDE_EMBEDDED" not in env


# --- Grafana and Prometheus -------------------------------------------------------------


def test_dashboard_panels_all_query_something() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["schemaVersion"] >= 36
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 8
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert all(target.get("expr") for target in panel["targets"]), panel["title"]
    exprs = " ".join(t["expr"] for p in panels for t in p["targets"])
    for metric in ("crm_events_consumed_total", "crm_event_handle_seconds_bucket",
                   "crm_dead_letters_total", "crm_outbox_pending", "crm_http_requests_total",
                   "crm_http_request_seconds_bucket", "crm_event_retries_total",
                   '/api/callers/{phone}', "crm_consumer_lag", "crm_customers_scored_total",
                   "crm_registrations_total", "crm_loyalty_points_issued_total",
                   "crm_notifications_total"):
        assert metric in exprs


def test_prometheus_scrapes_the_four_services() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in SERVICE_SETTINGS:
        (sd,) = jobs[f"crm-{name}"]["dns_sd_configs"]
        assert sd["port"] == _default_port(name)


def test_alert_rules_have_runbook_annotations() -> None:
    rules = [rule for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
             for rule in group["rules"]]
    for rule in rules:
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
    exprs = " ".join(rule["expr"] for rule in rules)
    for needle in ("up{", "crm_dead_letters_total", 'kind="outage"', "crm_outbox_pending",
                   "kafka_consumergroup_lag", '"429"', '"/api/callers/{phone}"',
                   "max by (job, topic) (crm_consumer_lag)"):
        assert needle in exprs


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules_config_and_rule_tests() -> None:
    assert PROMTOOL is not None
    for args in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"],
                 ["test", "rules", "alerts.test.yml"]):
        result = subprocess.run([PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True,
                                text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
