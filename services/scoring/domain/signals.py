"""What a registration tells us, as plain JSON-able facts ("signals").

Signals are stored beside every decision, so a decision can be replayed and audited
(``decide_from_signals``) long after the registration event is gone. They hold the raw
facts (countries, similarity, counts), never a judgement and never the raw phone, email
address or IP.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any

import iptocc
import phonenumbers
from disposable_email_domains import blocklist as disposable_blocklist
from pydantic import BaseModel, ConfigDict, Field

from services.scoring.domain.config import ScoringConfig
from services.scoring.domain.famous import famous_match, placeholder_word
from services.scoring.domain.legal_forms import split_legal_form
from services.scoring.domain.names import is_keyboard_mash, name_form, name_similarity
from shared.contracts import CustomerRegistered, CustomerUpdated

SIGNALS_VERSION = 2  # 2: legal_forms and legal_form_kind; name checks on the name proper
FREE_MAIL_PATH = Path(__file__).resolve().parent.parent / "free_mail_domains.txt"
OPTIONAL_FIELDS = ("email", "card_holder_name", "source", "language", "ip", "card_number")
FACTS_CACHE = 8192  # recent addresses and phone numbers, each a few hundred bytes

Signals = dict[str, Any]


class VelocityCounts(BaseModel):
    """Earlier registrations sharing a key with this one inside that key's window.

    The repository counts them (this registration not included) for each key that
    ``velocity_keys`` returns, over ``config.velocity[key].window_seconds``.
    """

    model_config = ConfigDict(frozen=True)

    ip: int = Field(default=0, ge=0)
    card_holder: int = Field(default=0, ge=0)
    email_domain: int = Field(default=0, ge=0)


@lru_cache(maxsize=1)
def builtin_free_mail_domains() -> frozenset[str]:
    lines = FREE_MAIL_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def email_domain(email: str | None) -> str | None:
    """The lower-cased domain of an address, or None when there is no usable one."""
    if not email or email.count("@") != 1:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    if "." not in domain or not all(part for part in domain.split(".")):
        return None
    return domain


def _listed(domain: str, listing: frozenset[str] | set[str]) -> bool:
    # A subdomain of a listed domain is listed too (mx.mailinator.com).
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listing for i in range(len(parts) - 1))


def classify_email_domain(domain: str | None, config: ScoringConfig) -> str:
    """absent | disposable | free | corporate, applying the config's allowlist and extras."""
    if domain is None:
        return "absent"
    allow = {d.lower() for d in config.email.disposable_allowlist}
    if _listed(domain, disposable_blocklist) and not _listed(domain, allow):
        return "disposable"
    free = builtin_free_mail_domains() | {d.lower() for d in config.email.extra_free_mail}
    if _listed(domain, free):
        return "free"
    return "corporate"


def ip_facts(ip: str | None) -> tuple[str, str | None]:
    """(status, country): status is absent | invalid | private | unknown | public."""
    if not ip:
        return "absent", None
    status, country, _ = _address_facts(ip.strip())
    return status, country


@lru_cache(maxsize=FACTS_CACHE)
def _address_facts(ip: str) -> tuple[str, str | None, str | None]:
    """(status, country, the address written canonically); an address repeats (a shared
    one, a carrier's NAT) and each registration asks twice (its signals, its velocity keys)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "invalid", None, None
    if not address.is_global:
        return "private", None, str(address)
    country = iptocc.country_code(str(address))
    return ("public", country, str(address)) if country else ("unknown", None, str(address))


@lru_cache(maxsize=FACTS_CACHE)
def phone_facts(phone: str) -> tuple[bool, str | None]:
    """(valid, region) of an E.164 number (kept for recent numbers: a redelivery, a number
    registered again, one number behind many registrations)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False, None
    # What is_valid_number does, without finding the region a second time.
    region = phonenumbers.region_code_for_number(number)
    valid = region is not None and phonenumbers.is_valid_number_for_region(number, region)
    return valid, region


def card_holder_key(name: str) -> str:
    """One spelling for a card-holder name, whatever its script, order or case."""
    return " ".join(sorted(name_form(name).tokens))


def velocity_keys(reg: CustomerRegistered) -> dict[str, str]:
    """The keys this registration adds to the velocity counters (and is counted under).

    Free-mail domains are left out: a thousand gmail sign-ups an hour is normal.
    """
    keys: dict[str, str] = {}
    if reg.ip:
        status, _, address = _address_facts(reg.ip.strip())
        if status in ("public", "unknown") and address:
            keys["ip"] = address
    if reg.card_holder_name and name_form(reg.card_holder_name).tokens:
        keys["card_holder"] = card_holder_key(reg.card_holder_name)
    domain = email_domain(reg.email)
    if domain and not _listed(domain, builtin_free_mail_domains()):
        keys["email_domain"] = domain
    return keys


def name_signals(full_name: str) -> Signals:
    """What the registered name tells (famous, placeholder, typed nonsense, a legal form).

    "ООО «Вектор»" is checked as "Вектор": the legal form is no part of the name proper.
    """
    legal = split_legal_form(full_name)
    famous = famous_match(legal.name) or placeholder_word(legal.name)
    return {
        "famous_category": famous.category if famous else None,
        "famous_name": famous.name if famous else None,
        "keyboard_mash": is_keyboard_mash(legal.name),
        "legal_forms": list(legal.forms),
        "legal_form_kind": (
            None if not legal.forms else "organisation" if legal.organisation else "sole_proprietor"
        ),
    }


def email_signals(email: str | None, config: ScoringConfig) -> Signals:
    """What the email address tells, without the address: its kind and a corporate domain."""
    domain = email_domain(email)
    email_kind = classify_email_domain(domain, config)
    return {
        "email_kind": email_kind,
        "email_domain_free": email_kind == "free",
        "corporate_domain": domain if email_kind == "corporate" else None,
    }


def updated_signals(event: CustomerUpdated, stored: Signals | None, config: ScoringConfig
                    ) -> Signals:
    """The signals a changed name, email or person type replaces in the registration's
    (``stored``, None when scoring never scored the customer); none when nothing it reads
    changed."""
    changed = set(event.changed) or set(event.model_fields_set)
    update: Signals = {}
    if "full_name" in changed and event.full_name:
        update |= name_signals(event.full_name)
    if "email" in changed:
        update |= email_signals(event.email, config)
    if "person_type" in changed and event.person_type:
        update["person_type"] = event.person_type
    if update and stored is not None and "email" in changed:
        missing = [f for f in stored.get("missing_fields", []) if f != "email"]
        update["missing_fields"] = missing if event.email else [*missing, "email"]
    return update


def extract_signals(
    reg: CustomerRegistered, velocity: VelocityCounts, config: ScoringConfig
) -> Signals:
    """Every fact the decision needs, as a JSON-able dict (see decide_from_signals)."""
    ip_status, ip_country = ip_facts(reg.ip)
    phone_valid, phone_country = phone_facts(reg.phone)
    legal = split_legal_form(reg.full_name)
    domain = email_domain(reg.email)
    email_kind = classify_email_domain(domain, config)
    missing = [f for f in OPTIONAL_FIELDS if not getattr(reg, f)]
    if reg.email and domain is None:
        missing.append("email")  # an unusable address is as good as none
    return {
        "version": SIGNALS_VERSION,
        "registration_country": reg.country,
        "person_type": reg.person_type,
        "entered_by": reg.entered_by,
        "ip_status": ip_status,
        "ip_country": ip_country,
        "phone_valid": phone_valid,
        "phone_country": phone_country,
        "card_holder_similarity": (
            name_similarity(legal.name, reg.card_holder_name) if reg.card_holder_name else None
        ),
        **name_signals(reg.full_name),
        "missing_fields": missing,
        "email_kind": email_kind,
        "email_domain_free": email_kind == "free",
        "corporate_domain": domain if email_kind == "corporate" else None,
        "velocity": velocity.model_dump(),
    }
