import pytest

from services.notify.gateways.sms import HttpSmsGateway, OutboundSms, OutboxGateway, make_gateway
from services.notify.repository import NotifyRepository
from services.notify.settings import NotifySettings
from shared.database.memory import MemoryDatabase

SMS = OutboundSms(notification_id="thank_you:1", to="+79161234567", text="Спасибо!")


async def test_the_outbox_keeps_what_it_is_given() -> None:
    outbox = OutboxGateway()
    result = await outbox.send(SMS)
    assert result.status == "sent"
    assert outbox.messages == [SMS]


async def test_the_outbox_keeps_a_redelivered_message_once() -> None:
    outbox = OutboxGateway()
    await outbox.send(SMS)
    again = await outbox.send(SMS)
    assert again.status == "sent"
    assert outbox.messages == [SMS]


async def test_the_outbox_hands_each_new_message_to_its_store() -> None:
    stored: list[OutboundSms] = []

    async def store(message: OutboundSms) -> None:
        stored.append(message)

    outbox = OutboxGateway(store=store)
    await outbox.send(SMS)
    await outbox.send(SMS)
    assert stored == [SMS]


async def test_a_failing_store_is_a_failed_send_not_an_exception() -> None:
    async def broken(message: OutboundSms) -> None:
        raise OSError("disk full")

    outbox = OutboxGateway(store=broken)
    result = await outbox.send(SMS)
    assert result.status == "failed"
    assert outbox.messages == []


# The outbox sends nothing: outside the embedded mode notify refuses to start on it.
REAL_MONGODB = "mongodb://mongo-0:27017/?replicaSet=rs0"


def gateway_for(**settings: object) -> object:
    values: dict[str, object] = {"sms_gateway": "outbox", "mongodb_url": "memory://",
                                 "kafka_bootstrap_servers": "127.0.0.1:9092"} | settings
    return make_gateway(NotifySettings(**values), NotifyRepository(MemoryDatabase("outbox")))  # type: ignore[arg-type]


def test_the_embedded_mode_keeps_messages_in_the_outbox() -> None:
    assert isinstance(gateway_for(), OutboxGateway)


@pytest.mark.parametrize("real", [{"mongodb_url": REAL_MONGODB},
                                  {"kafka_bootstrap_servers": "kafka-1:9092,kafka-2:9092"}],
                         ids=["mongodb", "kafka"])
def test_the_outbox_refuses_to_start_with_a_real_kafka_or_mongodb(real: dict[str, str]) -> None:
    with pytest.raises(SystemExit) as refused:
        gateway_for(**real)
    for setting in ("CRM_SMS_GATEWAY=http", "CRM_SMS_HTTP_URL", "CRM_SMS_HTTP_TOKEN"):
        assert setting in str(refused.value)


def test_a_development_mongodb_server_beside_the_broker_keeps_the_outbox() -> None:
    local = "mongodb://127.0.0.1:27018/?replicaSet=secantus"  # make run on SecantusDB
    assert isinstance(gateway_for(mongodb_url=local), OutboxGateway)


def test_a_staging_system_may_keep_the_outbox_when_it_says_so() -> None:
    assert isinstance(gateway_for(mongodb_url=REAL_MONGODB, sms_outbox_outside_embedded=True),
                      OutboxGateway)


def test_production_sends_through_the_http_gateway() -> None:
    gateway = gateway_for(mongodb_url=REAL_MONGODB, sms_gateway="http",
                          sms_http_url="https://sms.example/v1/messages")
    assert isinstance(gateway, HttpSmsGateway)
