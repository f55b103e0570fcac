from __future__ import annotations

from evaluation.population import FRAUD_KINDS, LEGIT_KINDS, PopulationGenerator
from evaluation.scoring import evaluate, main, report

EASY_FRAUD = ("famous_name", "placeholder_or_mash", "name_mismatch_foreign_ip")


def test_population_is_the_same_for_the_same_seed() -> None:
    first = [x.registration.full_name for x in PopulationGenerator(7).population(50)]
    again = [x.registration.full_name for x in PopulationGenerator(7).population(50)]
    assert first == again


def test_population_holds_normal_customers_and_every_fraud_kind() -> None:
    kinds = {x.kind for x in PopulationGenerator(3).population(600)}
    assert set(LEGIT_KINDS) <= kinds
    assert set(FRAUD_KINDS) <= kinds


def test_easy_fraud_lands_in_high_and_few_normal_customers_do(config) -> None:
    (result,) = evaluate([11], 500, config)
    for kind in EASY_FRAUD:
        assert result.kind_recall(kind, ("high",)) >= 0.8, kind
    assert result.flagging(("high",))["fpr"] <= 0.05


def test_report_prints_figures_per_band(config, capsys) -> None:
    assert main(["--seeds", "5", "--size", "200"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "confusion" in out
    assert report(evaluate([5], 200, config), config).startswith("model_version")


def test_companies_under_legal_forms_in_every_script_are_in_the_population() -> None:
    names = [x.registration.full_name for x in PopulationGenerator(4).population(1500)
             if x.kind == "company_legal_form"]
    joined = " ".join(names)
    assert "ООО" in joined or "АО" in joined
    assert "شرکت" in joined
    assert any(form in joined for form in ("GmbH", "LLC", "Ltd", "Inc", "B.V.", "SAS"))


def test_companies_and_honest_odd_customers_rarely_land_in_high(config) -> None:
    (result,) = evaluate([12], 1500, config)
    for kind in ("company_legal_form", "odd_spouse_card", "odd_name_and_phone_only"):
        assert result.kind_recall(kind, ("high",)) <= 0.02, kind


def test_report_has_a_row_per_population_kind(config) -> None:
    text = report(evaluate([5], 400, config), config)
    assert "confusion per kind" in text
    for kind in LEGIT_KINDS:
        assert f"legit:{kind}" in text
    for kind in FRAUD_KINDS:
        assert f"fraud:{kind}" in text
