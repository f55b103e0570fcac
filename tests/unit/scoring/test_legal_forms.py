"""Legal forms are set aside from a registered name in every script the suite serves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.legal_forms import split_legal_form


@pytest.mark.parametrize(
    ("registered", "name", "forms"),
    [
        ("ООО «Северная Логистика»", "Северная Логистика", ("ООО",)),
        ("ООО Вектор", "Вектор", ("ООО",)),
        ('АО "Ромашка"', "Ромашка", ("АО",)),
        ("ПАО «Газпром нефть»", "Газпром нефть", ("ПАО",)),
        ("Вектор, ЗАО", "Вектор", ("ЗАО",)),
        ("НКО «Доброе дело»", "Доброе дело", ("НКО",)),
        ("Общество с ограниченной ответственностью «Ромашка»", "Ромашка",
         ("Общество с ограниченной ответственностью",)),
    ],
)
def test_russian_legal_forms_are_set_aside(registered, name, forms) -> None:
    legal = split_legal_form(registered)
    assert (legal.name, legal.forms, legal.organisation) == (name, forms, True)


@pytest.mark.parametrize(
    ("registered", "name", "forms"),
    [
        ("OOO Romashka", "Romashka", ("OOO",)),
        ("'Romashka' OOO", "Romashka", ("OOO",)),
        ("ZAO Vektor", "Vektor", ("ZAO",)),
        ("Acme, Inc.", "Acme", ("Inc",)),
        ("Foo Bar L.L.C.", "Foo Bar", ("LLC",)),
        ("Siemens AG", "Siemens", ("AG",)),
        ("Wesack Mende GmbH & Co. KG", "Wesack Mende", ("GmbH", "Co", "KG")),
        ("Colas Salmon S.A.", "Colas Salmon", ("SA",)),
        ("Mario Rossi S.r.l.", "Mario Rossi", ("SRL",)),
        ("Fiat S.p.A.", "Fiat", ("SpA",)),
        ("van Vliet N.V.", "van Vliet", ("NV",)),
        ("Tata Pvt. Ltd.", "Tata", ("Pvt Ltd",)),
        ("Kowalski Sp. z o.o.", "Kowalski", ("Sp z oo",)),
        ("Şensoy Kısakürek Ltd. Şti.", "Şensoy Kısakürek", ("Ltd", "Şti")),
    ],
)
def test_latin_legal_forms_are_set_aside(registered, name, forms) -> None:
    legal = split_legal_form(registered)
    assert (legal.name, legal.forms, legal.organisation) == (name, forms, True)


@pytest.mark.parametrize(
    ("registered", "name", "forms"),
    [
        ("شرکت فولاد مبارکه (سهامی عام)", "فولاد مبارکه", ("شرکت", "سهامی عام")),
        ("شرکت نفت پارس سهامی خاص", "نفت پارس", ("شرکت", "سهامی خاص")),
        ("شرکت تهران دارو با مسئولیت محدود", "تهران دارو", ("شرکت", "با مسئولیت محدود")),
        ("موسسه آموزشی نور", "آموزشی نور", ("موسسه",)),
        ("«پارس مسکن» شركت", "پارس مسکن", ("شرکت",)),  # Arabic kaf, as some keyboards type it
    ],
)
def test_persian_legal_forms_are_set_aside(registered, name, forms) -> None:
    legal = split_legal_form(registered)
    assert (legal.name, legal.forms, legal.organisation) == (name, forms, True)


@pytest.mark.parametrize("registered", ["ИП Фролов Пётр", "IP Frolov Petr", "Фролов Пётр ИП"])
def test_an_individual_entrepreneur_keeps_a_persons_name(registered) -> None:
    legal = split_legal_form(registered)
    assert legal.sole_proprietor and not legal.organisation
    assert legal.name in ("Фролов Пётр", "Frolov Petr")


@pytest.mark.parametrize(
    "registered",
    ["Ip Man", "Ellen Pao", "Zao Wou-Ki", "Anna Petrova", "AAA Plumbing", "Luxury Spa"],
)
def test_names_and_words_that_spell_a_short_form_are_left_alone(registered) -> None:
    legal = split_legal_form(registered)
    assert legal.forms == ()
    assert legal.name == registered


def test_a_name_that_is_only_a_legal_form_is_left_whole() -> None:
    legal = split_legal_form("ООО")
    assert (legal.name, legal.forms) == ("ООО", ())


@given(st.text(max_size=60))
def test_any_text_splits_without_error_and_keeps_a_name_proper(text: str) -> None:
    legal = split_legal_form(text)
    if legal.forms:
        assert legal.name.strip()
        assert not legal.sole_proprietor or not legal.organisation


@given(st.sampled_from(["ООО", "GmbH", "LLC", "شرکت", "S.A.", "Pvt. Ltd."]),
       st.sampled_from(["Вектор", "Acme Trading", "پارس مسکن"]),
       st.sampled_from([("«", "»"), ('"', '"'), ("'", "'"), ("", "")]), st.booleans())
def test_a_form_before_or_after_a_quoted_name_is_found(form, name, quotes, before) -> None:
    quoted = f"{quotes[0]}{name}{quotes[1]}"
    legal = split_legal_form(f"{form} {quoted}" if before else f"{quoted}, {form}")
    assert legal.name == name and legal.organisation
