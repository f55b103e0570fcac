"""Notify's gateways to systems outside the suite: the SMS provider (``sms``)."""
