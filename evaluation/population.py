"""A labelled synthetic population of registrations, for the evaluation harness.

Normal individuals and companies in several countries, with the noise real customers
have (travelling, a relative's card, a skipped field), and fraudsters of several kinds,
some of them deliberately hard. Beside them, populations that test one thing each:
companies under every legal form (Russian, Latin, Persian; often registered as an
individual), honest customers with exactly one odd fact (a roaming IP, a spouse's card,
only name and phone), and subtle fraud (a complete, tidy profile with one or two of the
seeds' signals). Everything comes from one seeded generator.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import iptocc
import phonenumbers
from faker import Faker

from services.scoring.domain.famous import famous_names
from services.scoring.domain.names import to_latin
from services.scoring.domain.signals import builtin_free_mail_domains
from shared.contracts import CustomerRegistered

# country -> (faker locale, language field)
COUNTRIES: dict[str, tuple[str, str | None]] = {
    "RU": ("ru_RU", "ru"),
    "IR": ("fa_IR", "fa"),
    "US": ("en_US", "en"),
    "DE": ("de_DE", None),
    "GB": ("en_GB", "en"),
    "FR": ("fr_FR", None),
    "TR": ("tr_TR", None),
    "AE": ("en_US", "en"),
    "KZ": ("ru_RU", "ru"),
    "NL": ("nl_NL", "en"),
    "IN": ("en_IN", "en"),
}
COUNTRY_WEIGHTS = {"RU": 30, "IR": 15, "US": 12, "DE": 10, "GB": 7, "FR": 6, "TR": 6, "AE": 4}
COUNTRY_WEIGHTS |= {"KZ": 4, "NL": 3, "IN": 3}
# Where carders and fraudsters connect from when not from the victim's country.
FRAUD_IP_COUNTRIES = ("NL", "US", "DE", "TR", "AE", "IN", "KZ", "GB", "FR")

# Persian names with their usual Latin spelling (cards are embossed in Latin).
PERSIAN_FIRST = [
    ("محمد", "Mohammad"), ("علی", "Ali"), ("حسین", "Hossein"), ("رضا", "Reza"),
    ("مهدی", "Mehdi"), ("امیر", "Amir"), ("حمید", "Hamid"), ("سعید", "Saeed"),
    ("وحید", "Vahid"), ("بهرام", "Bahram"), ("داریوش", "Dariush"), ("فرهاد", "Farhad"),
    ("فاطمه", "Fatemeh"), ("زهرا", "Zahra"), ("مریم", "Maryam"), ("نرگس", "Narges"),
    ("لیلا", "Leila"), ("شیرین", "Shirin"), ("پریسا", "Parisa"), ("الهام", "Elham"),
    ("آزاده", "Azadeh"), ("مینا", "Mina"),
]  # fmt: skip
PERSIAN_LAST = [
    ("رضایی", "Rezaei"), ("احمدی", "Ahmadi"), ("کریمی", "Karimi"), ("حسینی", "Hosseini"),
    ("محمدی", "Mohammadi"), ("موسوی", "Mousavi"), ("جعفری", "Jafari"), ("قاسمی", "Ghasemi"),
    ("صادقی", "Sadeghi"), ("رحیمی", "Rahimi"), ("نوری", "Nouri"), ("طاهری", "Taheri"),
    ("کاظمی", "Kazemi"), ("عباسی", "Abbasi"), ("یزدانی", "Yazdani"), ("شریفی", "Sharifi"),
    ("اکبری", "Akbari"), ("نجفی", "Najafi"), ("سلیمانی", "Soleimani"), ("فرهادی", "Farhadi"),
]  # fmt: skip
# ICAO 9303 romanisation, as Russian banks emboss cards (differs from anyascii on purpose).
_ICAO = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e",
        "ю": "iu", "я": "ia",
    }
)  # fmt: skip
_CYRILLIC = re.compile("[\u0400-\u04FF]")
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщз", "фывапролдж")
DISPOSABLE = ("mailinator.com", "yopmail.com", "10minutemail.com", "guerrillamail.com")
SOURCES = ("friend", "search", "advert", "social", "tv", "partner", "returning")

LEGIT_KINDS = (
    "individual",
    "company",
    "company_legal_form",
    "odd_roaming_ip",
    "odd_spouse_card",
    "odd_name_and_phone_only",
)
LEGIT_MIX = (70, 10, 8, 4, 4, 4)
FRAUD_KINDS = (
    "famous_name",
    "placeholder_or_mash",
    "minimal_profile",
    "name_mismatch_foreign_ip",
    "carder_ring",
    "hard_real_name_foreign_ip",
    "hard_famous_matching_ip",
    "subtle_one_signal",
    "subtle_two_signals",
)
FRAUD_MIX = (20, 8, 15, 20, 8, 10, 10, 8, 8)  # a carder ring yields 2-5 registrations
# The seeds' signals (003: "fill in the minimum, register under famous names"; "IP country
# matches, the card-holder name matches"), one or two of which a tidy fraudster shows.
SUBTLE_SIGNALS = ("foreign_ip", "stolen_card", "foreign_phone", "famous_name")

# Legal forms as companies write them, per country: (form, before the name?).
LEGAL_FORMS: dict[str, tuple[tuple[str, bool], ...]] = {
    "RU": (("ООО", True), ("АО", True), ("ПАО", True), ("ЗАО", True), ("ОАО", True),
           ("НКО", True), ("ИП", True), ("OOO", True), ("ZAO", True), ("OAO", True),
           ("LLC", False), ("JSC", False)),
    "KZ": (("ТОО", True), ("АО", True), ("ИП", True), ("TOO", True), ("LLP", False)),
    "IR": (("شرکت … سهامی خاص", True), ("شرکت … سهامی عام", True),
           ("شرکت … با مسئولیت محدود", True), ("موسسه", True), ("شرکت", True),
           ("(سهامی خاص)", False)),
    "US": (("LLC", False), ("L.L.C.", False), ("Inc.", False), ("Corp.", False),
           ("Inc", False)),
    "GB": (("Ltd", False), ("Limited", False), ("LLP", False), ("PLC", False)),
    "IN": (("Pvt. Ltd.", False), ("Private Limited", False), ("LLP", False)),
    "AE": (("LLC", False), ("FZE", False), ("FZ-LLC", False)),
    "DE": (("GmbH", False), ("AG", False), ("KG", False), ("GmbH & Co. KG", False),
           ("e.K.", False), ("UG", False)),
    "FR": (("SA", False), ("SARL", False), ("SAS", False), ("S.A.", False)),
    "TR": (("A.Ş.", False), ("Ltd. Şti.", False)),
    "NL": (("B.V.", False), ("N.V.", False), ("BV", False)),
}  # fmt: skip
BUSINESS_WORDS = {
    "cyrillic": ("Вектор", "Ромашка", "Северная Логистика", "Альфа", "Техносервис",
                 "Стройинвест", "Меридиан", "Гарант", "Импульс", "Восток", "Сибирь Трейд"),
    "latin_ru": ("Romashka", "Vektor", "Alfa", "Tekhnoservis", "Stroyinvest", "Meridian"),
    "persian": ("فولاد", "پارس", "نوین", "صنایع", "تهران", "البرز", "آریا", "کاوه", "دارو",
                "پخش", "سپهر"),
    "latin": ("Trading", "Logistics", "Plumbing", "Consulting", "Holdings", "Systems",
              "Solutions", "Bakery", "Motors", "Textiles"),
}  # fmt: skip
QUOTES = (("«", "»"), ('"', '"'), ("'", "'"), ("", ""), ("", ""))


@dataclass(frozen=True)
class Labelled:
    registration: CustomerRegistered
    kind: str
    fraud: bool
    at: datetime


@lru_cache(maxsize=1)
def ip_pools(samples: int = 250_000) -> dict[str, tuple[str, ...]]:
    """Real public IPv4 addresses per country, each verified with iptocc.

    iptocc exposes no ranges, so we draw addresses from a fixed generator and keep the
    ones iptocc places in a country we need; a pool is therefore correct by construction.
    """
    rng = random.Random(20261122)
    addresses = [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(samples)
    ]
    pools: dict[str, list[str]] = defaultdict(list)
    for address, country in zip(addresses, iptocc.country_code(addresses), strict=True):
        if country in COUNTRIES:
            pools[country].append(address)
    missing = [c for c in COUNTRIES if len(pools[c]) < 20]
    if missing:
        raise RuntimeError(f"too few sample IPs for {missing}; raise `samples`")
    return {country: tuple(found) for country, found in pools.items()}


@lru_cache(maxsize=1)
def _fakers() -> dict[str, Faker]:
    # Building a Faker per locale costs far more than reseeding one.
    return {locale: Faker(locale) for locale in sorted({loc for loc, _ in COUNTRIES.values()})}


def _phone(rng: random.Random, country: str) -> str:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"no example mobile number for {country}")
    national = str(example.national_number)
    for _ in range(30):
        tail = "".join(rng.choice("0123456789") for _ in range(min(6, len(national) - 3)))
        candidate = phonenumbers.parse(f"+{example.country_code}{national[: -len(tail)]}{tail}")
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


class PopulationGenerator:
    """Draws labelled registrations from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = _fakers()
        for i, faker in enumerate(self.fakers.values()):
            faker.seed_instance(seed * 1000 + i)
        self.pools = ip_pools()
        listed = famous_names()
        self.famous = [name for cat, name, _ in listed if cat not in ("placeholder", "common")]
        # Fraudsters type the common names (Ivan Ivanov) as well as the made-up ones.
        self.placeholders = [name for cat, name, _ in listed if cat in ("placeholder", "common")]
        self.free_mail = sorted(builtin_free_mail_domains())
        self.counter = 0

    # -- building blocks -------------------------------------------------------------
    def country(self) -> str:
        return self.rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]

    def ip_in(self, country: str) -> str:
        return self.rng.choice(self.pools[country])

    def foreign_ip(self, country: str) -> str:
        return self.ip_in(self.rng.choice([c for c in FRAUD_IP_COUNTRIES if c != country]))

    def person(self, country: str) -> tuple[str, str]:
        """(registered name, card-holder name as embossed) of a plausible real person."""
        rng = self.rng
        if country == "IR":
            (fa_first, en_first), (fa_last, en_last) = (
                rng.choice(PERSIAN_FIRST),
                rng.choice(PERSIAN_LAST),
            )
            full = f"{fa_first} {fa_last}" if rng.random() < 0.8 else f"{en_first} {en_last}"
            card = (
                f"{en_first} {en_last}".upper() if rng.random() < 0.7 else f"{fa_first} {fa_last}"
            )
            return full, card
        faker = self.fakers[COUNTRIES[country][0]]
        male = rng.random() < 0.5
        first = faker.first_name_male() if male else faker.first_name_female()
        last = faker.last_name_male() if male else faker.last_name_female()
        if COUNTRIES[country][0] == "ru_RU":
            middle = faker.middle_name_male() if male else faker.middle_name_female()
            full = f"{last} {first} {middle}" if rng.random() < 0.25 else f"{first} {last}"
            return full, f"{first} {last}".lower().translate(_ICAO).upper()
        card = f"{first} {last}".upper()
        if rng.random() < 0.1:
            card = f"{first[0]}. {last}".upper()
        return f"{first} {last}", card

    def email(self, name: str, domain: str | None = None) -> str:
        local = f"user{self.rng.randint(10, 99999)}"
        return f"{local}@{domain or self.rng.choice(self.free_mail)}"

    def mash(self) -> str:
        def word() -> str:
            row = self.rng.choice(_KEYBOARD)
            start = self.rng.randint(0, len(row) - 5)
            return row[start : start + self.rng.randint(4, 5)].capitalize()

        return f"{word()} {word()}"

    def _registration(self, **fields: object) -> CustomerRegistered:
        self.counter += 1
        fields.setdefault("category", "ordinary")
        return CustomerRegistered.model_validate({"customer_id": f"c{self.counter}", **fields})

    # -- normal customers ------------------------------------------------------------
    def individual(self) -> CustomerRegistered:
        rng, country = self.rng, self.country()
        full, card = self.person(country)
        operator = rng.random() < 0.4
        if rng.random() < 0.05:  # a relative's card: same family name, other first name
            _, other = self.person(country)
            card = f"{other.split()[0]} {card.split()[-1]}"
        elif rng.random() < 0.02:  # a spouse's card under another surname
            _, card = self.person(country)
        ip_country = country if rng.random() > 0.08 else self.rng.choice(FRAUD_IP_COUNTRIES)
        phone_country = country if rng.random() > 0.03 else self.country()
        return self._registration(
            full_name=full,
            phone=_phone(rng, phone_country),
            email=self.email(full) if rng.random() > 0.15 else None,
            country=country,
            ip=None if operator else self.ip_in(ip_country),
            card_holder_name=card if rng.random() > 0.25 else None,
            person_type="individual",
            source=rng.choice(SOURCES) if rng.random() > 0.1 else None,
            language=COUNTRIES[country][1] if rng.random() > 0.1 else None,
            entered_by="operator" if operator else "self",
        )

    def company(self, domain: str | None = None) -> CustomerRegistered:
        rng, country = self.rng, self.country()
        faker = self.fakers[COUNTRIES[country][0]]
        name = faker.company()[:120]
        corporate = rng.random() < 0.85
        domain = domain or f"{faker.domain_word()}{rng.randint(1, 999)}.{country.lower()}"
        contact, card = self.person(country)
        operator = rng.random() < 0.5
        return self._registration(
            full_name=name if rng.random() < 0.7 else contact,
            phone=_phone(rng, country),
            email=f"info@{domain}" if corporate else self.email(name),
            country=country,
            ip=None if operator else self.ip_in(country if rng.random() > 0.08 else "NL"),
            card_holder_name=None if rng.random() < 0.6 else card,
            person_type="company",
            category="ordinary",
            source=rng.choice(SOURCES) if rng.random() > 0.2 else None,
            language=COUNTRIES[country][1],
            entered_by="operator" if operator else "self",
        )

    def legit(self, kind: str) -> CustomerRegistered:
        """A normal customer of one of LEGIT_KINDS."""
        if kind == "individual":
            return self.individual()
        if kind == "company":
            return self.company()
        if kind == "company_legal_form":
            return self.company_with_legal_form()
        return self.odd_individual(kind)

    def tidy(self, country: str, name: str, card: str, entered_by: str) -> dict[str, object]:
        """Every field filled in and consistent: what a careful customer (or fraudster) types."""
        rng = self.rng
        return {
            "full_name": name,
            "phone": _phone(rng, country),
            "email": self.email(name),
            "country": country,
            "ip": None if entered_by == "operator" else self.ip_in(country),
            "card_holder_name": card,
            "person_type": "individual",
            "source": rng.choice(SOURCES),
            "language": COUNTRIES[country][1],
            "entered_by": entered_by,
        }

    def odd_individual(self, kind: str) -> CustomerRegistered:
        """An honest customer whose registration is tidy but for exactly one odd fact."""
        rng, country = self.rng, self.country()
        full, card = self.person(country)
        fields = self.tidy(country, full, card, "self")
        if kind == "odd_roaming_ip":  # registering from a trip abroad
            fields["ip"] = self.foreign_ip(country)
        elif kind == "odd_spouse_card":  # the spouse's card: their first name, often surname
            _, spouse_card = self.person(country)
            same_surname = rng.random() < 0.5
            fields["card_holder_name"] = (
                f"{spouse_card.split()[0]} {card.split()[-1]}" if same_surname else spouse_card
            )
        elif kind == "odd_name_and_phone_only":  # nothing but what the form requires
            operator = rng.random() < 0.6
            fields |= {"email": None, "card_holder_name": None, "source": None,
                       "language": None, "entered_by": "operator" if operator else "self"}
            fields["ip"] = None if operator else self.ip_in(country)
        else:
            raise ValueError(f"not an odd-fact kind: {kind}")
        return self._registration(**fields)

    def company_with_legal_form(self) -> CustomerRegistered:
        """A company whose name carries its country's legal form, before or after the name,
        in quotes or not; half are registered as individuals (the operator did not pick
        "company"), a fifth with a free-mail address, a third with the minimum of fields."""
        rng, country = self.rng, self.country()
        form, before = rng.choice(LEGAL_FORMS[country])
        proper = self.business_name(country, form)
        opening, closing = rng.choice(QUOTES)
        quoted = f"{opening}{proper}{closing}"
        if "…" in form:
            head, _, tail = form.partition("…")
            name = f"{head.strip()} {quoted} {tail.strip()}"
        else:
            name = f"{form} {quoted}" if before else f"{quoted} {form}"
        domain = f"{to_latin(proper).replace(' ', '-')[:20] or 'firm'}{rng.randint(1, 99)}"
        domain = f"{domain}.{country.lower()}"
        contact, card = self.person(country)
        thin = rng.random() < 0.35
        operator = rng.random() < 0.5
        return self._registration(
            full_name=name[:120],
            phone=_phone(rng, country),
            email=f"{rng.choice(('info', 'office', 'buh', 'sales'))}@{domain}"
            if rng.random() < 0.8 else self.email(contact),
            country=country,
            ip=None if operator else self.ip_in(country),
            card_holder_name=None if thin or rng.random() < 0.5 else card,
            person_type="individual" if rng.random() < 0.5 else "company",
            source=None if thin else rng.choice(SOURCES),
            language=None if thin else COUNTRIES[country][1],
            entered_by="operator" if operator else "self",
        )

    def business_name(self, country: str, form: str) -> str:
        """A company's name proper in the script its legal form is written in."""
        rng = self.rng
        if form in ("ИП", "IP"):  # an individual entrepreneur trades under their own name
            return self.person(country)[0]
        if country == "IR":
            return " ".join(rng.sample(BUSINESS_WORDS["persian"], 2))
        if _CYRILLIC.search(form):
            return rng.choice(BUSINESS_WORDS["cyrillic"])
        if country in ("RU", "KZ"):
            return rng.choice(BUSINESS_WORDS["latin_ru"])
        surname = self.fakers[COUNTRIES[country][0]].last_name()
        prefix = "AAA " if rng.random() < 0.1 else ""  # first in the phone book
        return f"{prefix}{surname} {rng.choice(BUSINESS_WORDS['latin'])}"

    # -- fraudsters ------------------------------------------------------------------
    def fraud(self, kind: str) -> list[CustomerRegistered]:
        rng, country = self.rng, self.country()
        victim, victim_card = self.person(country)
        _, stolen_card = self.person(self.country())
        base: dict[str, object] = {
            "phone": _phone(rng, country if rng.random() < 0.6 else self.country()),
            "country": country,
            "person_type": "individual",
            "entered_by": "self" if rng.random() < 0.8 else "operator",
            "ip": self.foreign_ip(country),
            "email": self.email(victim) if rng.random() < 0.5 else None,
        }
        if kind == "famous_name":
            base |= {"full_name": rng.choice(self.famous), "card_holder_name": stolen_card}
            if rng.random() < 0.4:
                base["ip"] = self.ip_in(country)
        elif kind == "placeholder_or_mash":
            name = rng.choice(self.placeholders) if rng.random() < 0.6 else self.mash()
            base |= {"full_name": name, "card_holder_name": None}
        elif kind == "minimal_profile":
            email = f"x{rng.randint(1, 9999)}@{rng.choice(DISPOSABLE)}"
            base |= {"full_name": victim, "email": email if rng.random() < 0.3 else None}
            if rng.random() < 0.4:
                base["ip"] = self.ip_in(country)
        elif kind == "name_mismatch_foreign_ip":
            base |= {"full_name": victim, "card_holder_name": stolen_card}
            base["source"] = rng.choice(SOURCES) if rng.random() < 0.5 else None
        elif kind == "hard_real_name_foreign_ip":
            base |= {
                "full_name": victim,
                "card_holder_name": victim_card,
                "email": self.email(victim),
            }
            base |= {"source": rng.choice(SOURCES), "language": COUNTRIES[country][1]}
        elif kind == "hard_famous_matching_ip":
            base |= {"full_name": rng.choice(self.famous), "ip": self.ip_in(country)}
            base |= {"email": self.email(victim), "source": rng.choice(SOURCES)}
            base |= {"language": COUNTRIES[country][1], "entered_by": "self"}
        elif kind == "carder_ring":
            return self.carder_ring(base, country)
        elif kind.startswith("subtle_"):
            return [self.subtle_fraud(country, 1 if kind == "subtle_one_signal" else 2)]
        return [self._registration(**base)]

    def subtle_fraud(self, country: str, signals: int) -> CustomerRegistered:
        """A complete, tidy profile in the victim's name with `signals` of the seeds' signals:
        the first is a foreign IP or another card holder, the second any other."""
        rng = self.rng
        victim, victim_card = self.person(country)
        first = rng.choice(SUBTLE_SIGNALS[:2])
        shown = {first, *rng.sample([s for s in SUBTLE_SIGNALS if s != first], signals - 1)}
        fields = self.tidy(country, victim, victim_card, entered_by="self")
        if "foreign_ip" in shown:
            fields["ip"] = self.foreign_ip(country)
        if "stolen_card" in shown:
            fields["card_holder_name"] = self.person(self.country())[1]
        if "foreign_phone" in shown:
            fields["phone"] = _phone(rng, rng.choice([c for c in COUNTRIES if c != country]))
        if "famous_name" in shown:
            fields["full_name"] = rng.choice(self.famous)
        return self._registration(**fields)

    def carder_ring(self, base: dict[str, object], country: str) -> list[CustomerRegistered]:
        """Several accounts in a burst from one IP, often paying with the same stolen card."""
        size = self.rng.randint(2, 5)
        ip = self.foreign_ip(country)
        _, shared_card = self.person(self.country())
        ring = []
        for _ in range(size):
            victim, victim_card = self.person(country)
            card = shared_card if self.rng.random() < 0.5 else victim_card
            domain = self.rng.choice(DISPOSABLE) if self.rng.random() < 0.4 else None
            ring.append(
                self._registration(
                    **(base | {"ip": ip, "full_name": victim, "card_holder_name": card})
                    | {"email": self.email(victim, domain), "entered_by": "self"}
                )
            )
        return ring

    def population(self, size: int, fraud_share: float = 0.2) -> list[Labelled]:
        """About `size` registrations over one simulated day, in arrival order."""
        start = datetime(2026, 11, 23, tzinfo=UTC)
        day = 86_400
        out: list[Labelled] = []
        while len(out) < size:
            at = start + timedelta(seconds=self.rng.uniform(0, day))
            if self.rng.random() < fraud_share:
                kind = self.rng.choices(FRAUD_KINDS, weights=FRAUD_MIX)[0]
                for offset, reg in enumerate(self.fraud(kind)):
                    moment = at + timedelta(seconds=offset * self.rng.uniform(60, 600))
                    out.append(Labelled(reg, kind, True, moment))
            else:
                kind = self.rng.choices(LEGIT_KINDS, weights=LEGIT_MIX)[0]
                out.append(Labelled(self.legit(kind), kind, False, at))
        out = out[:size]
        out.sort(key=lambda item: item.at)
        return out
