import asyncio
import base64

from services.notify.gateways.sms import HttpSmsGateway, OutboundSms

from .fake_provider import FakeProvider, Reply

SMS = OutboundSms(notification_id="quality_survey:abc123", to="+79161234567", text="Rate 1-5")


class RecordedSleep:
    """Stands in for asyncio.sleep so backoff is observed, not waited for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def gateway(url: str, sleep: RecordedSleep, **changes: object) -> HttpSmsGateway:
    options: dict[str, object] = {"timeout": 0.3, "max_retries": 3, "jitter": lambda: 1.0}
    return HttpSmsGateway(url=url, sleep=sleep, **(options | changes))  # type: ignore[arg-type]


async def test_two_503s_then_200_is_sent_on_the_third_attempt() -> None:
    sleep = RecordedSleep()
    async with FakeProvider(Reply(503), Reply(503), Reply(200)) as provider:
        result = await gateway(provider.url, sleep).send(SMS)
    assert (result.status, result.attempts, result.provider_message_id) == ("sent", 3, "prov-1")
    assert len(provider.requests) == 3
    assert sleep.delays == [0.5, 1.0]  # exponential: base, 2 x base (jitter pinned to 1)


async def test_every_retry_carries_the_same_idempotency_key() -> None:
    async with FakeProvider(Reply(503), Reply(500), Reply(200)) as provider:
        await gateway(provider.url, RecordedSleep()).send(SMS)
    keys = {seen.headers["idempotency-key"] for seen in provider.requests}
    assert keys == {"quality_survey:abc123"}
    assert all(seen.body["reference"] == "quality_survey:abc123" for seen in provider.requests)


async def test_a_provider_that_hangs_past_the_timeout_is_retried() -> None:
    async with FakeProvider(Reply(hang_s=2.0), Reply(200)) as provider:
        result = await gateway(provider.url, RecordedSleep(), timeout=0.2).send(SMS)
    assert (result.status, result.attempts) == ("sent", 2)


async def test_a_provider_that_always_hangs_fails_with_timeout_after_all_retries() -> None:
    async with FakeProvider(Reply(hang_s=2.0)) as provider:
        result = await gateway(provider.url, RecordedSleep(), timeout=0.1, max_retries=2).send(SMS)
    assert result.status == "failed"
    assert result.attempts == 3
    assert result.reason is not None
    assert result.reason.startswith("timeout")


async def test_a_400_is_a_permanent_failure_without_retries() -> None:
    sleep = RecordedSleep()
    async with FakeProvider(Reply(400, body={"error": "bad number"})) as provider:
        result = await gateway(provider.url, sleep).send(SMS)
    assert (result.status, result.reason, result.attempts) == ("failed", "http 400", 1)
    assert len(provider.requests) == 1
    assert sleep.delays == []


async def test_a_429_waits_as_long_as_retry_after_says() -> None:
    sleep = RecordedSleep()
    async with FakeProvider(Reply(429, headers={"Retry-After": "7"}), Reply(200)) as provider:
        result = await gateway(provider.url, sleep).send(SMS)
    assert result.status == "sent"
    assert sleep.delays == [7.0]


async def test_a_retry_after_beyond_the_cap_is_cut_to_the_cap() -> None:
    sleep = RecordedSleep()
    async with FakeProvider(Reply(503, headers={"Retry-After": "3600"}), Reply(200)) as provider:
        await gateway(provider.url, sleep, retry_after_cap=20.0).send(SMS)
    assert sleep.delays == [20.0]


async def test_persistent_5xx_fails_after_max_retries_without_raising() -> None:
    sleep = RecordedSleep()
    async with FakeProvider(Reply(502)) as provider:
        result = await gateway(provider.url, sleep, max_retries=2).send(SMS)
    assert result.status == "failed"
    assert result.reason == "http 502 after 3 attempts"
    assert len(provider.requests) == 3


async def test_a_refused_connection_fails_without_raising() -> None:
    async with FakeProvider() as provider:
        url = provider.url
    result = await gateway(url, RecordedSleep(), max_retries=1).send(SMS)
    assert result.status == "failed"
    assert result.reason is not None
    assert "connection error" in result.reason


async def test_backoff_grows_exponentially_up_to_the_cap_with_jitter() -> None:
    sleep = RecordedSleep()
    async with FakeProvider(Reply(503)) as provider:
        await gateway(provider.url, sleep, max_retries=5, backoff_cap=3.0, jitter=lambda: 0.5).send(
            SMS
        )
    assert sleep.delays == [0.25, 0.5, 1.0, 1.5, 1.5]


async def test_a_bearer_token_is_sent_as_authorization() -> None:
    async with FakeProvider() as provider:
        await gateway(provider.url, RecordedSleep(), token="s3cret").send(SMS)
    assert provider.requests[0].headers["authorization"] == "Bearer s3cret"


async def test_basic_credentials_are_sent_as_authorization() -> None:
    async with FakeProvider() as provider:
        await gateway(provider.url, RecordedSleep(), username="acme", password="pw").send(SMS)
    expected = "Basic " + base64.b64encode(b"acme:pw").decode()
    assert provider.requests[0].headers["authorization"] == expected


async def test_the_real_sleep_is_used_by_default_and_is_short_for_small_backoff() -> None:
    async with FakeProvider(Reply(503), Reply(200)) as provider:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await HttpSmsGateway(url=provider.url, backoff_base=0.05).send(SMS)
    assert result.status == "sent"
    assert loop.time() - started < 2.0


async def test_a_501_is_retried_like_any_5xx() -> None:
    async with FakeProvider(Reply(501), Reply(200)) as provider:
        result = await gateway(provider.url, RecordedSleep()).send(SMS)
    assert (result.status, result.attempts) == ("sent", 2)


async def test_a_404_is_a_permanent_failure() -> None:
    async with FakeProvider(Reply(404)) as provider:
        result = await gateway(provider.url, RecordedSleep()).send(SMS)
    assert (result.status, result.reason) == ("failed", "http 404")
