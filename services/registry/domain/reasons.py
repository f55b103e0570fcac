"""Risk reasons in the operator's words, in English, Russian and Persian.

Scoring explains a decision with reason codes and an English ``detail`` that names the
particulars (which famous name, which countries, how similar). The card shows the code's
sentence in the panel's language and keeps the detail as a tooltip. The sentences reach
the panel from here only (``api/panel.py`` writes them into the page's ``crm-texts`` JSON
block); a unit test checks that every code scoring weighs has a sentence here.
"""

from __future__ import annotations

from shared.contracts.types import Language

REASON_TEXT: dict[str, dict[Language, str]] = {
    "famous_name": {
        "en": "The name is that of a famous person or character: check who is calling.",
        "ru": "Имя совпадает с именем известного человека или персонажа: уточните, кто звонит.",
        "fa": "نام با نام یک فرد یا شخصیت مشهور یکی است: بررسی کنید چه کسی تماس گرفته است.",
    },
    "placeholder_name": {
        "en": "The name is a placeholder, like John Doe: ask for the real name.",
        "ru": "Вместо имени заглушка вроде «Тест Тестов»: спросите настоящее имя.",
        "fa": "نام ثبت‌شده یک نام ساختگی و نمونه است: نام واقعی را بپرسید.",
    },
    "keyboard_mash_name": {
        "en": "The name looks like random typing: ask the caller to spell it.",
        "ru": "Имя похоже на случайный набор букв: попросите продиктовать его по буквам.",
        "fa": "نام شبیه حروف تصادفی صفحه‌کلید است: بخواهید آن را حرف به حرف بگوید.",
    },
    "card_holder_mismatch": {
        "en": "The card holder's name differs from the customer's name.",
        "ru": "Имя владельца карты не совпадает с именем клиента.",
        "fa": "نام دارنده کارت با نام مشتری یکی نیست.",
    },
    "card_holder_partial_match": {
        "en": "The card holder's name only partly matches the customer's name.",
        "ru": "Имя владельца карты лишь отчасти совпадает с именем клиента.",
        "fa": "نام دارنده کارت فقط تا حدی با نام مشتری یکی است.",
    },
    "card_holder_match": {
        "en": "The card holder's name matches the customer's name.",
        "ru": "Имя владельца карты совпадает с именем клиента.",
        "fa": "نام دارنده کارت با نام مشتری یکی است.",
    },
    "ip_country_mismatch": {
        "en": "Registered from an IP address in another country.",
        "ru": "Регистрация с IP-адреса из другой страны.",
        "fa": "ثبت‌نام از نشانی IP کشور دیگری انجام شده است.",
    },
    "ip_country_match": {
        "en": "The IP address is in the customer's country.",
        "ru": "IP-адрес из страны клиента.",
        "fa": "نشانی IP در کشور مشتری است.",
    },
    "phone_country_mismatch": {
        "en": "The phone number is from another country.",
        "ru": "Номер телефона из другой страны.",
        "fa": "شماره تلفن متعلق به کشور دیگری است.",
    },
    "phone_invalid": {
        "en": "The phone number is not a valid number.",
        "ru": "Номер телефона недействителен.",
        "fa": "شماره تلفن معتبر نیست.",
    },
    "profile_minimal": {
        "en": "Only the bare minimum was filled in.",
        "ru": "Заполнен только необходимый минимум.",
        "fa": "فقط حداقل اطلاعات لازم وارد شده است.",
    },
    "profile_incomplete": {
        "en": "The profile is incomplete.",
        "ru": "Анкета заполнена не полностью.",
        "fa": "مشخصات مشتری کامل نیست.",
    },
    "disposable_email": {
        "en": "The email address is a throw-away one.",
        "ru": "Одноразовый адрес электронной почты.",
        "fa": "نشانی ایمیل یک‌بارمصرف است.",
    },
    "free_mail_company": {
        "en": "A company registered with a free-mail address.",
        "ru": "Компания указала адрес на бесплатной почте.",
        "fa": "شرکت با یک ایمیل رایگان ثبت‌نام کرده است.",
    },
    "company_verified": {
        "en": "The company is recognised by its corporate email domain.",
        "ru": "Компания подтверждена корпоративным почтовым доменом.",
        "fa": "شرکت از روی دامنه ایمیل سازمانی‌اش شناسایی شده است.",
    },
    "velocity_ip": {
        "en": "Several registrations from the same IP address in a short time.",
        "ru": "Несколько регистраций с одного IP-адреса за короткое время.",
        "fa": "چند ثبت‌نام از یک نشانی IP در مدتی کوتاه.",
    },
    "velocity_card_holder": {
        "en": "Several recent registrations with the same card holder's name.",
        "ru": "Несколько недавних регистраций с тем же именем владельца карты.",
        "fa": "چند ثبت‌نام اخیر با همین نام دارنده کارت.",
    },
    "velocity_email_domain": {
        "en": "Several registrations with the same email domain in a short time.",
        "ru": "Несколько регистраций с одним почтовым доменом за короткое время.",
        "fa": "چند ثبت‌نام با یک دامنه ایمیل در مدتی کوتاه.",
    },
    "operator_entered": {
        "en": "Entered by an operator who spoke to the caller.",
        "ru": "Данные внёс оператор, который говорил с клиентом.",
        "fa": "اطلاعات را اپراتوری وارد کرده که با تماس‌گیرنده صحبت کرده است.",
    },
    "chargeback": {
        "en": "A payment was reversed by chargeback: take irreversible payments only.",
        "ru": "Платёж отозван через чарджбэк: принимайте только безотзывную оплату.",
        "fa": "پرداختی با برگشت وجه (چارج‌بک) پس گرفته شد: فقط پرداخت برگشت‌ناپذیر بپذیرید.",
    },
    "refund_pattern": {
        "en": "Many refunds for few purchases.",
        "ru": "Много возвратов при немногих покупках.",
        "fa": "بازپرداخت‌های زیاد در برابر خریدهای کم.",
    },
    "forbidden_payment_method": {
        "en": "Paid by a method the payment policy does not allow.",
        "ru": "Оплата способом, который не разрешён платёжной политикой.",
        "fa": "پرداخت با روشی که سیاست پرداخت اجازه نمی‌دهد.",
    },
    "card_purchase_without_questions": {
        "en": "Bought by card right after registering, without a call or a question.",
        "ru": "Купил картой сразу после регистрации, не позвонив и ничего не спросив.",
        "fa": "بلافاصله پس از ثبت‌نام با کارت خرید، بدون تماس یا پرسشی.",
    },
    "questions_before_buying": {
        "en": "Asked many questions before buying: a good sign.",
        "ru": "Задал много вопросов перед покупкой: хороший признак.",
        "fa": "پیش از خرید پرسش‌های زیادی پرسید: نشانهٔ خوبی است.",
    },
    "common_name": {
        "en": "A very common name, often used as a placeholder: alone, a weak sign.",
        "ru": "Очень частое имя, им нередко подменяют настоящее: само по себе слабый признак.",
        "fa": "نامی بسیار رایج که جای نام واقعی هم نوشته می‌شود: به‌تنهایی نشانه ضعیفی است.",
    },
    "company_detected": {
        "en": "Registered as a person, but with a legal form and a corporate email: a company.",
        "ru": "Записан как частное лицо, но с ООО, АО или ИП и корпоративной почтой: это компания.",
        "fa": "به‌عنوان شخص ثبت شده، ولی نام نوع شرکت و ایمیل سازمانی دارد: شرکت است.",
    },
}


def reason_text(code: str, language: Language = "en") -> str:
    """A risk reason as the operator reads it; English when a language is missing, and the
    code itself for a code this table does not know yet (a newer scoring rule)."""
    texts = REASON_TEXT.get(code)
    if texts is None:
        return code
    return texts.get(language) or texts.get("en") or code
