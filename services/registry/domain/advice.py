"""Advice on the card: what a customer's category and behavioural type ask of the operator.

Built-in sentences in English, Russian and Persian for the default categories and for
every segment scoring assigns; an admin may give any category its own advice, which then
replaces the built-in one. The built-in sentences reach
the operator panel from here only, in the page's ``crm-texts`` JSON block (``api/panel.py``).
"""

from __future__ import annotations

from services.registry.domain.categories import Category
from shared.contracts.types import Language, Segment

CATEGORY_ADVICE: dict[str, dict[Language, str]] = {
    "ordinary": {
        "en": "Usual terms: no special rules for this customer.",
        "ru": "Обычные условия: особых правил для этого клиента нет.",
        "fa": "شرایط معمول: قاعده ویژه‌ای برای این مشتری وجود ندارد.",
    },
    "vip": {
        "en": "VIP: extra courtesy and patience; never rush them, offer a call back "
        "rather than a long wait.",
        "ru": "VIP-клиент: особая вежливость и терпение; не торопите, вместо долгого "
        "ожидания предложите перезвонить.",
        "fa": "مشتری ویژه: با احترام و حوصلهٔ بیشتر رفتار کنید؛ عجله نکنید و به‌جای "
        "انتظار طولانی، تماس مجدد پیشنهاد دهید.",
    },
    "problematic": {
        "en": "Prepayment only: no order goes out before full payment; stay calm and polite.",
        "ru": "Только предоплата: ничего не отправляйте до полной оплаты; "
        "сохраняйте спокойствие и вежливость.",
        "fa": "فقط پیش‌پرداخت: پیش از دریافت کامل مبلغ هیچ سفارشی ارسال نشود؛ "
        "آرام و مؤدب بمانید.",
    },
    "employee": {
        "en": "Our own staff: special employee prices apply.",
        "ru": "Наш сотрудник: действуют специальные цены для сотрудников.",
        "fa": "همکار ما: قیمت‌های ویژهٔ کارکنان اعمال می‌شود.",
    },
}

SEGMENT_ADVICE: dict[Segment, dict[Language, str]] = {
    "chatty": {
        "en": "Likes to talk and recommends us: be warm, mention the referral reward, "
        "and gently steer back to the point.",
        "ru": "Любит поговорить и советует нас знакомым: будьте приветливы, напомните "
        "о бонусе за рекомендацию и мягко возвращайте к делу.",
        "fa": "اهل گفت‌وگوست و ما را به دیگران معرفی می‌کند: گرم برخورد کنید، پاداش "
        "معرفی را یادآوری کنید و به‌آرامی به موضوع اصلی برگردید.",
    },
    "bargain_hunter": {
        "en": "Bargain hunter: hold the price; offer a current promotion, not an extra "
        "discount.",
        "ru": "Охотник за скидками: держите цену; предложите действующую акцию, "
        "а не дополнительную скидку.",
        "fa": "شکارچی تخفیف: روی قیمت بمانید؛ به‌جای تخفیف اضافه، حراج جاری را "
        "پیشنهاد دهید.",
    },
    "time_waster": {
        "en": "Many long calls and no purchase yet: keep it short and propose a "
        "concrete next step.",
        "ru": "Много долгих разговоров и ни одной покупки: говорите коротко и "
        "предложите конкретный следующий шаг.",
        "fa": "تماس‌های طولانی زیاد و هنوز بدون خرید: کوتاه صحبت کنید و یک قدم "
        "بعدی مشخص پیشنهاد دهید.",
    },
    "interested": {
        "en": "Bought after a trial: suggest the next product or another trial.",
        "ru": "Купил после пробного заказа: предложите следующий товар или новую пробу.",
        "fa": "پس از سفارش آزمایشی خرید کرده است: محصول بعدی یا یک سفارش آزمایشی "
        "دیگر پیشنهاد دهید.",
    },
    "company": {
        "en": "A company: ask for the contact person and the details for the invoice.",
        "ru": "Компания: уточните контактное лицо и реквизиты для счёта.",
        "fa": "شرکت: نام فرد رابط و اطلاعات لازم برای صدور فاکتور را بپرسید.",
    },
    "regular": {
        "en": "Nothing unusual in how they buy: find out what they need and offer what "
        "fits.",
        "ru": "Ничего необычного в покупках: выясните, что нужно, и предложите подходящее.",
        "fa": "رفتار خرید عادی: نیاز مشتری را بپرسید و آنچه مناسب است پیشنهاد دهید.",
    },
}


def category_advice(category: Category, language: Language = "en") -> str | None:
    """The category's own advice if an admin gave it one, else the built-in advice of a
    default category; None for a custom category without advice."""
    if category.advice is not None:
        return category.advice.in_language(language)
    texts = CATEGORY_ADVICE.get(category.slug)
    return texts[language] if texts else None


def segment_advice(segment: Segment | None, language: Language = "en") -> str | None:
    """The advice for a behavioural segment; None while scoring has not assigned one."""
    return SEGMENT_ADVICE[segment][language] if segment else None
