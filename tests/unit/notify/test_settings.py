from datetime import time

import pytest
from pydantic import ValidationError

from services.notify.settings import NotifySettings, sending_window


def test_quiet_hours_21_to_09_leave_a_sending_window_of_09_to_21() -> None:
    window = sending_window("21:00-09:00")
    assert (window.start, window.end) == (time(9), time(21))


def test_quiet_hours_off_allow_every_hour() -> None:
    window = sending_window("off")
    assert window.allows(time(3)) and window.allows(time(23, 59))


def test_an_unreadable_quiet_hours_setting_is_refused() -> None:
    with pytest.raises(ValidationError):
        NotifySettings(quiet_hours="late evening")


def test_the_http_gateway_needs_its_url() -> None:
    settings = NotifySettings(sms_gateway="http", admin_token="a", analyst_token="b",
                              operator_token="c")
    assert settings.missing_secrets() == ["CRM_SMS_HTTP_URL"]
