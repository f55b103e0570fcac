from __future__ import annotations

import json
import re

import pytest

from services.scoring.domain import (
    VelocityCounts,
    decide_from_signals,
    score_registration,
    velocity_keys,
)

NONE = VelocityCounts()
DE_IP = "46.4.0.1"  # Hetzner, Germany


def codes(decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def test_complete_consistent_registration_is_low_risk_and_may_pay_any_way(config, registration):
    decision = score_registration(registration(), NONE, config)
    assert decision.band == "low"
    assert decision.payment_policy == "any"
    assert "card_holder_match" in codes(decision)


def test_pushkin_registration_is_high_risk(config, registration):
    reg = registration(full_name="Alexander Pushkin", card_holder_name="IVAN SMIRNOV", ip="8.8.8.8")
    decision = score_registration(reg, NONE, config)
    assert decision.band == "high"
    assert decision.payment_policy == "irreversible_only"
    assert codes(decision)[0] == "famous_name"


def test_medvedev_in_cyrillic_is_recognised_as_a_politician(config, registration):
    decision = score_registration(registration(full_name="Дмитрий Медведев"), NONE, config)
    famous = next(r for r in decision.reasons if r.code == "famous_name")
    assert "politician" in famous.detail


def test_foreign_ip_with_mismatched_card_holder_is_high_risk(config, registration):
    reg = registration(ip="8.8.8.8", card_holder_name="JOHN SMITH")
    decision = score_registration(reg, NONE, config)
    assert decision.band == "high"
    assert {"ip_country_mismatch", "card_holder_mismatch"} <= set(codes(decision))


def test_private_ip_gives_no_country_signal(config, registration):
    decision = score_registration(registration(ip="192.168.1.10"), NONE, config)
    assert decision.signals["ip_status"] == "private"
    assert not {"ip_country_match", "ip_country_mismatch"} & set(codes(decision))


def test_garbage_ip_gives_no_country_signal_and_does_not_crash(config, registration):
    decision = score_registration(registration(ip="not-an-ip"), NONE, config)
    assert decision.signals["ip_status"] == "invalid"
    assert decision.signals["ip_country"] is None


def test_foreign_phone_number_is_a_reason(config, registration):
    decision = score_registration(registration(phone="+905012345678"), NONE, config)
    reason = next(r for r in decision.reasons if r.code == "phone_country_mismatch")
    assert "TR" in reason.detail


def test_minimal_profile_is_a_reason(config, registration):
    reg = registration(email=None, card_holder_name=None, source=None, language=None)
    assert "profile_minimal" in codes(score_registration(reg, NONE, config))


def test_disposable_email_is_a_reason(config, registration):
    decision = score_registration(registration(email="x1@mailinator.com"), NONE, config)
    assert "disposable_email" in codes(decision)


def test_allowlisted_domain_is_not_treated_as_disposable(config, registration):
    email_rules = config.email.model_copy(update={"disposable_allowlist": ["mailinator.com"]})
    relaxed = config.model_copy(update={"email": email_rules})
    decision = score_registration(registration(email="x1@mailinator.com"), NONE, relaxed)
    assert "disposable_email" not in codes(decision)


def test_corporate_email_company_is_recognised_and_prepaid(config, registration):
    reg = registration(
        full_name="Acme GmbH", person_type="company", email="info@acme-maschinenbau.de",
        country="DE", phone="+4915123456789", ip=DE_IP, card_holder_name="HANS MEIER",
    )  # fmt: skip
    decision = score_registration(reg, NONE, config)
    assert decision.company_recognised
    assert decision.signals["corporate_domain"] == "acme-maschinenbau.de"
    assert "company_verified" in codes(decision)
    assert decision.payment_policy == "prepaid_only"


def test_company_with_free_mail_is_not_recognised(config, registration):
    reg = registration(person_type="company", email="acme@gmail.com")
    decision = score_registration(reg, NONE, config)
    assert not decision.company_recognised
    assert "free_mail_company" in codes(decision)


def test_operator_entered_registration_scores_lower_than_self_service(config, registration):
    reg = registration(ip="8.8.8.8")
    self_service = score_registration(reg, NONE, config).score
    by_operator = score_registration(
        reg.model_copy(update={"entered_by": "operator"}), NONE, config
    )
    assert by_operator.score < self_service


def test_velocity_at_the_limit_fires_and_below_does_not(config, registration):
    limit = config.velocity["ip"].limit
    below = score_registration(registration(), VelocityCounts(ip=limit - 1), config)
    at = score_registration(registration(), VelocityCounts(ip=limit), config)
    assert "velocity_ip" not in codes(below)
    assert "velocity_ip" in codes(at)


def test_velocity_keys_fold_card_holder_spellings_together(registration):
    latin = velocity_keys(registration(card_holder_name="PETROVA ANNA"))
    cyrillic = velocity_keys(registration(card_holder_name="Анна Петрова"))
    assert latin["card_holder"] == cyrillic["card_holder"]


def test_velocity_keys_leave_out_free_mail_and_private_ips(registration):
    keys = velocity_keys(registration(ip="10.0.0.7", email="anna@gmail.com"))
    assert "ip" not in keys
    assert "email_domain" not in keys


def test_reasons_are_sorted_by_weight_descending(config, registration):
    reg = registration(full_name="John Doe", ip="8.8.8.8", card_holder_name="MARIA GARCIA")
    weights = [r.weight or 0 for r in score_registration(reg, NONE, config).reasons]
    assert weights == sorted(weights, reverse=True)


def test_reasons_never_reveal_phone_email_or_ip(config, registration):
    reg = registration(
        ip="8.8.8.8", email="secret.person@mailinator.com", phone="+905012345678",
        card_holder_name="JOHN SMITH",
    )  # fmt: skip
    details = " ".join(
        r.detail for r in score_registration(reg, VelocityCounts(ip=9), config).reasons
    )
    assert "8.8.8.8" not in details
    assert "secret.person" not in details
    assert not re.search(r"\d{6,}", details)


def test_decision_is_reproducible_from_stored_signals(config, registration):
    reg = registration(full_name="Иван Иванов", ip="8.8.8.8", email=None)
    original = score_registration(reg, VelocityCounts(card_holder=3), config)
    stored = json.loads(json.dumps(original.signals))
    assert decide_from_signals(stored, config) == original


def test_score_stays_within_0_and_100(config, registration):
    worst = registration(
        full_name="asdf qwerty", ip="8.8.8.8", email="a@mailinator.com", card_holder_name="X Y",
        phone="+905012345678", source=None, language=None,
    )  # fmt: skip
    heavy = VelocityCounts(ip=50, card_holder=50, email_domain=50)
    assert score_registration(worst, heavy, config).score == 100
    reassuring = registration(entered_by="operator")
    assert (
        config.base_score
        + sum(r.weight or 0 for r in score_registration(reassuring, NONE, config).reasons)
        < 0
    ), "this case must push the raw sum below zero to test the clamp"
    assert score_registration(reassuring, NONE, config).score == 0


def test_decision_becomes_a_scored_event(config, registration):
    event = score_registration(registration(), NONE, config).to_event("c-1")
    assert event.customer_id == "c-1"
    assert event.model_version == config.model_version


def minimal(registration, **fields):
    """Only what the form requires: name, phone, country; no IP, card holder, source."""
    return registration(email=None, ip=None, card_holder_name=None, source=None, language=None,
                        **fields)


def test_minimal_ooo_with_a_corporate_email_is_recognised_as_a_company_and_not_high(
    config, registration
):
    reg = minimal(registration, full_name="ООО «Северная Логистика»")
    reg = reg.model_copy(update={"email": "info@sev-logistika.ru"})
    decision = score_registration(reg, NONE, config)
    assert decision.band != "high"
    assert decision.company_recognised
    assert "company_detected" in codes(decision)
    assert "keyboard_mash_name" not in codes(decision)
    assert decision.payment_policy == "prepaid_only"
    assert decision.signals["legal_forms"] == ["ООО"]


@pytest.mark.parametrize("email", ["vektor@gmail.com", None])
def test_a_legal_form_without_a_corporate_domain_is_not_a_recognised_company(
    config, registration, email
):
    decision = score_registration(registration(full_name="ООО Вектор", email=email), NONE, config)
    assert not decision.company_recognised
    assert "company_detected" not in codes(decision)
    assert "keyboard_mash_name" not in codes(decision)


def test_a_company_name_with_free_mail_counts_as_a_company_with_free_mail(config, registration):
    reg = registration(full_name="OOO Romashka", email="romashka@gmail.com",
                       card_holder_name="IVAN PETROV")
    found = codes(score_registration(reg, NONE, config))
    assert "free_mail_company" in found
    assert "card_holder_mismatch" not in found  # a card never carries a company's name


def test_an_individual_entrepreneurs_card_is_compared_with_the_persons_name(config, registration):
    reg = registration(full_name="ИП Петрова Анна", card_holder_name="ANNA PETROVA")
    assert "card_holder_match" in codes(score_registration(reg, NONE, config))


def test_a_corporate_email_without_a_legal_form_leaves_an_individual_an_individual(
    config, registration
):
    decision = score_registration(registration(email="anna.petrova@sberbank.ru"), NONE, config)
    assert not decision.company_recognised
    assert "company_detected" not in codes(decision)


def test_a_company_named_after_a_cartoon_character_is_not_a_famous_name(config, registration):
    reg = registration(full_name="ООО «Чебурашка»", email="info@cheburashka-sad.ru")
    assert "famous_name" not in codes(score_registration(reg, NONE, config))
    assert "famous_name" in codes(score_registration(registration(full_name="Чебурашка"), NONE,
                                                     config))


def test_a_company_named_test_is_still_a_placeholder(config, registration):
    reg = registration(full_name="ООО «Тест»", email="info@test-firm.ru")
    assert "placeholder_name" in codes(score_registration(reg, NONE, config))


def test_a_common_real_name_is_weak_evidence_not_a_verdict(config, registration):
    complete = score_registration(registration(full_name="Иван Иванов",
                                               card_holder_name="IVAN IVANOV"), NONE, config)
    assert "common_name" in codes(complete)
    assert "placeholder_name" not in codes(complete)
    assert complete.band == "low"
    by_operator = minimal(registration, full_name="Ivan Ivanov", entered_by="operator")
    by_operator = by_operator.model_copy(update={"email": "i.ivanov@sberbank.ru"})
    assert score_registration(by_operator, NONE, config).band != "high"
    assert config.weight("common_name") < config.weight("placeholder_name") / 2


@pytest.mark.parametrize("name", ["Test Test", "Иван Иванович Тестов", "John Doe", "asdf"])
def test_true_placeholders_stay_strong(config, registration, name):
    decision = score_registration(minimal(registration, full_name=name), NONE, config)
    assert decision.band == "high"
    assert codes(decision)[0] in ("placeholder_name", "keyboard_mash_name")
