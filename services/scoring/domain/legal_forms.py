"""Legal forms in a registered name: "ООО «Вектор»", "Romashka, OOO", "Acme GmbH & Co. KG".

A company's name carries its legal form before or after the name proper, often with the
name in quotes. The name checks (keyboard mash, famous and placeholder names, card holder)
look at the name proper: the legal form is set aside first, so that the triple letter of
"ООО" is not typing and "ООО Вектор" is compared as "Вектор".

Forms are compared word by word, case-folded and without dots ("L.L.C." is "llc").
Short Latin forms that are also people's names or words ("Ip", "Ao", "Sa", "Pao", "Zao")
count only as written in capitals or with dots ("IP", "S.A."), so "Ip Man" keeps his name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Organisations: companies, partnerships, non-profits, state enterprises.
_ORGANISATION = (
    # Russian, Kazakh, Belarusian, Ukrainian abbreviations and their full forms
    "ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "РАО", "НКО", "АНО", "НПО", "ТОО", "ОДО", "ГУП",
    "МУП", "ФГУП", "ЧУП", "ЧТУП", "ТОВ", "ПрАТ", "ПАТ", "НП",
    "Общество с ограниченной ответственностью", "Акционерное общество",
    "Публичное акционерное общество", "Открытое акционерное общество",
    "Закрытое акционерное общество", "Непубличное акционерное общество",
    "Некоммерческая организация", "Автономная некоммерческая организация",
    "Товарищество с ограниченной ответственностью",
    # the Russian forms in Latin letters, and as Russian companies write them in English
    "OOO", "OAO", "JSC", "PJSC", "OJSC", "CJSC",
    # English-speaking countries, the Gulf free zones, India, Singapore, Malaysia
    "LLC", "LLP", "PLC", "Ltd", "Limited", "Inc", "Incorporated", "Corp", "Corporation", "Co",
    "Co Ltd", "Pte Ltd", "Pty Ltd", "Pvt Ltd", "Private Limited", "Sdn Bhd", "FZE", "FZCO",
    "FZ-LLC", "LLC-FZ",
    # German-speaking countries
    "GmbH", "gGmbH", "mbH", "KGaA", "OHG", "GbR",
    # Romance languages, Benelux, the Nordics, central Europe, Turkey
    "SARL", "Sàrl", "SAS", "SRL", "Sp z oo", "sro", "doo", "Kft", "Zrt", "ApS",
    "A/S", "Oyj", "AŞ", "Şti", "San ve Tic",
    # Persian: "company", "institute", and the kinds of company after the name
    "شرکت", "موسسه", "مؤسسه", "سهامی خاص", "سهامی عام", "با مسئولیت محدود",
    "بامسئولیت محدود", "مسئولیت محدود", "تضامنی", "تعاونی", "مختلط سهامی", "مختلط غیرسهامی",
)  # fmt: skip
# Short forms that are also names or words: counted only as written here (dots ignored).
_ORGANISATION_EXACT = (
    "AO", "ZAO", "PAO", "NAO", "TOO", "AG", "KG", "UG", "SA", "AS", "AB", "BV", "NV", "LP",
    "SE", "OY", "SpA", "SPA", "eG", "eV",
)  # fmt: skip
# Individual entrepreneurs: a person trading under their own name.
_SOLE_PROPRIETOR = (
    "ИП", "ИЧП", "ФОП", "ПБОЮЛ", "Индивидуальный предприниматель", "Einzelunternehmen",
    "Sole Trader", "Sole Proprietor",
)  # fmt: skip
_SOLE_PROPRIETOR_EXACT = ("IP", "eK")

# Quotes and brackets around the name or the form: «», „“, "", '', (), [].
_EDGE_MARKS = "«»„“”‟\"'‘’‚‹›()[]「」"
_SPLIT = re.compile(r"[\s,]+")
_FOLD_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "\u200c": "", "ـ": ""})


@dataclass(frozen=True, slots=True)
class LegalName:
    """A registered name split into the name proper and the legal forms around it."""

    name: str  # the name proper, quotes and forms set aside; the whole name if no form
    forms: tuple[str, ...]  # the forms found, as listed here ("ООО", "GmbH"), in name order
    sole_proprietor: bool  # every form found is an individual entrepreneur's (ИП, IP)

    @property
    def organisation(self) -> bool:
        """The name is a company's or another organisation's, not a person's."""
        return bool(self.forms) and not self.sole_proprietor


def _fold(word: str) -> str:
    return word.replace(".", "").casefold().translate(_FOLD_PERSIAN)


def _exact(word: str) -> str:
    return word.replace(".", "")


Forms = dict[tuple[str, ...], tuple[str, bool]]  # words -> (form as listed, sole proprietor)


def _index(forms: tuple[str, ...], personal: bool, exact: bool) -> Forms:
    fold = _exact if exact else _fold
    return {tuple(fold(w) for w in form.split()): (form, personal) for form in forms}


@lru_cache(maxsize=1)
def _forms() -> tuple[Forms, Forms, int]:
    """(forms compared case-folded, forms compared as written, longest form in words)."""
    folded = _index(_ORGANISATION, False, False) | _index(_SOLE_PROPRIETOR, True, False)
    exact = _index(_ORGANISATION_EXACT, False, True) | _index(_SOLE_PROPRIETOR_EXACT, True, True)
    longest = max(len(k) for k in (*folded, *exact))
    return folded, exact, longest


def _form_at(words: list[str], start: int, end: int) -> tuple[str, bool] | None:
    """The listed form that words[start:end] spell, with whether it is a sole proprietor's."""
    folded, exact, _ = _forms()
    span = words[start:end]
    return exact.get(tuple(_exact(w) for w in span)) or folded.get(tuple(_fold(w) for w in span))


def _bare(word: str) -> str:
    return word.strip(_EDGE_MARKS)


def _is_mark(word: str) -> bool:
    # A dash, an ampersand, an empty pair of quotes: nothing of the name.
    return not any(ch.isalnum() for ch in word)


@lru_cache(maxsize=4096)
def split_legal_form(name: str) -> LegalName:
    """The name proper and the legal forms before and after it.

    Forms are taken from both ends, longest first ("Pty Ltd" before "Ltd"), as many as
    there are ("GmbH & Co. KG"); what is left is the name proper. A name that is nothing
    but a form ("ООО") is left whole: there is no name proper to check.
    """
    text = unicodedata.normalize("NFC", name)
    words = [w for w in (_bare(w) for w in _SPLIT.split(text)) if w]
    _, _, longest = _forms()
    start, end = 0, len(words)
    before: list[tuple[str, bool]] = []
    after: list[tuple[str, bool]] = []
    changed = True
    while changed and start < end:
        changed = False
        if _is_mark(words[start]):
            start, changed = start + 1, True
            continue
        if _is_mark(words[end - 1]):
            end, changed = end - 1, True
            continue
        for size in range(min(longest, end - start - 1), 0, -1):
            if found := _form_at(words, start, start + size):
                before.append(found)
                start, changed = start + size, True
                break
            if found := _form_at(words, end - size, end):
                after.insert(0, found)
                end, changed = end - size, True
                break
    found_forms = before + after
    if not found_forms or start >= end:
        return LegalName(" ".join(words) if words else name, (), False)
    return LegalName(
        " ".join(words[start:end]),
        tuple(form for form, _ in found_forms),
        all(personal for _, personal in found_forms),
    )
