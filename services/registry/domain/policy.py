"""Payment policies in plain words, for operators in English, Russian and Persian.

These are the only copy: ``api/panel.py`` writes them into the operator panel's page (the
``crm-texts`` JSON block) and ``static/app.js`` reads them from there.
"""

from __future__ import annotations

from shared.contracts.types import Language, PaymentPolicy

PAYMENT_POLICY_TEXT: dict[PaymentPolicy, dict[Language, str]] = {
    "any": {
        "en": "Any payment method",
        "ru": "Любой способ оплаты",
        "fa": "هر روش پرداخت",
    },
    "prepaid_only": {
        "en": "Prepayment only",
        "ru": "Только предоплата",
        "fa": "فقط پیش‌پرداخت",
    },
    "irreversible_only": {
        "en": "Irreversible payment only (no card chargebacks)",
        "ru": "Только безотзывная оплата (без возвратных платежей по картам)",
        "fa": "فقط پرداخت برگشت‌ناپذیر (بدون امکان برگشت وجه کارت)",
    },
}

# How much a policy restricts the customer; the stricter of two policies wins. Prepayment
# is the strictest: nothing is handed over before the money has arrived.
_STRICTNESS: dict[PaymentPolicy, int] = {"any": 0, "irreversible_only": 1, "prepaid_only": 2}


def payment_policy_text(policy: PaymentPolicy, language: Language = "en") -> str:
    """The policy as an operator reads it aloud, e.g. ``"Prepayment only"``."""
    return PAYMENT_POLICY_TEXT[policy][language]


def stricter_policy(first: PaymentPolicy, second: PaymentPolicy) -> PaymentPolicy:
    """The more restrictive of two payment policies."""
    return first if _STRICTNESS[first] >= _STRICTNESS[second] else second
