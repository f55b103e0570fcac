from __future__ import annotations

from services.scoring.evaluation import evaluate, main, report
from services.scoring.population import FRAUD_KINDS, PopulationGenerator

EASY_FRAUD = ("famous_name", "placeholder_or_mash", "name_mismatch_foreign_ip")


def test_population_is_the_same_for_the_same_seed() -> None:
    first = [x.registration.full_name for x in PopulationGenerator(7).population(50)]
    again = [x.registration.full_name for x in PopulationGenerator(7).population(50)]
    assert first == again


def test_population_holds_normal_customers_and_every_fraud_kind() -> None:
    kinds = {x.kind for x in PopulationGenerator(3).population(600)}
    assert {"individual", "company"} <= kinds
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
