from services.notify.gateway import OutboundSms, OutboxGateway

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
