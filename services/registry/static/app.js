/*
 * Operator panel of the registry: look up a caller, see the card, register a new caller,
 * change the category, log an interaction, record a purchase. Vanilla JS, no build step,
 * nothing loaded from outside the suite. Talks to the registry's own API (same origin).
 *
 * Element ids (each also a data-testid) that browser tests can rely on:
 *   #sign-in-form #login-input #password-input #sign-in-button
 *   #session-status #session-name #session-role (data-role) #logout-button
 *   #lang-en #lang-ru #lang-fa          (FA sets <html dir="rtl" lang="fa">)
 *   #lookup-form #phone-input #lookup-button #clear-button
 *   #choices-section #choices-heading #choices-list (li[data-customer-id] > button): a
 *     number typed without a country code that is several customers' numbers; one opens
 *   #message (status, aria-live)  #error (alert: the API's detail in words)
 *   #card #card-name #card-phone #card-category (data-slug) #card-person-type
 *   #tier-badge (data-tier) #lapsed-badge (hidden unless lapsed)
 *   #risk-band (data-band: low|medium|high, empty until scored) #risk-score
 *   #risk-pending (shown while scoring has not answered) #risk-reasons (li[data-code]: the
 *     reason in the panel's language, scoring's English detail as its title)
 *   #card-advice (li[data-advice=category|segment]; hidden when there is none)
 *   #payment-policy (data-policy) #card-segment #points-balance
 *   #value-month #value-year #value-lifetime
 *   #last-purchases (li[data-purchase-id]) #last-interactions (li[data-interaction-id])
 *   #last-redemptions (li[data-redemption-id]: points spent, the balance they left)
 *   #thank-yous (li[data-thank-you-id][data-automatic][data-sms]: an operator's thank-you
 *     with reason, points, who and note; an automatic one for a referral or reaching gold)
 *   #last-survey
 *   #category-form #category-select #category-save
 *   #interaction-form #interaction-channel #interaction-outcome #interaction-duration
 *     #interaction-questions #interaction-submit
 *   #purchase-form (data-mode=refund while refunding) #purchase-amount #purchase-currency
 *     #purchase-method #purchase-discounted #purchase-submit
 *     #purchase-to-pay (data-amount: the price after the category's discount; hidden when
 *     none applies) #purchase-refund #purchase-refund-of (data-purchase-id)
 *     #purchase-refund-cancel
 *     (#last-purchases li button[data-action=refund] opens the refund of that purchase)
 *   #redeem-form #redeem-points #redeem-submit: spend points (POST /api/loyalty/redemptions,
 *     forwarded by registry to loyalty); the key R on a card fills in the whole balance,
 *     selected, and Enter spends it: two keystrokes
 *   #thank-form #thank-reason #thank-points #thank-note #thank-submit: say thank you
 *     (POST /api/customers/{id}/thank-yous: an SMS, and the bonus points credited once);
 *     the key T on a card opens it at the reason
 *   #erase-form (admins only) #erase-reason #erase-confirm #erase-submit
 *   #people-section (admins only) #people-list (tr[data-operator-id][data-active],
 *     button[data-action=toggle]) #person-form #person-name #person-login #person-role
 *     #person-password #person-extension #person-name-ru #person-name-fa #person-submit
 *   #register-section #register-form #register-phone #register-name #register-email
 *     #register-country #register-person-type #register-category #register-source
 *     #register-referred-by #register-card-number #register-language #register-submit
 *
 * The phone line, search, notes, history and the referrer picker are desk.js's; it uses
 * this file's requests, session, language and card through window.CrmPanel (panelApi).
 * The session, the requests, the kept language and the sign-in header's words are
 * session.js's (shared with the analyst view); the payment policy, risk reason and advice
 * texts are registry's (services/registry/domain), which puts them into the page as JSON
 * (the "crm-texts" data block).
 *
 * No phone number or search text goes into a URL: look-ups are POST /api/callers/lookup
 * and searches POST /api/customers/search (proxies' access logs and the browser's history
 * keep URLs).
 *
 * Keyboard: Enter in the phone box looks up; Esc anywhere clears and returns to it; on a
 * card, R offers the whole balance to spend and T opens the thank-you.
 * Signing in: login and password go to POST /api/sessions once; the password field is
 * emptied at once and the password is never stored (session.js keeps the token); the token is
 * renewed (POST /api/sessions/renew) shortly before it expires while the operator is
 * working, and when it has ended the sign-in form comes back with everything on the
 * screen left as it was. The language is kept in localStorage.
 */
"use strict";

(function () {
  // session.js's: the session in this tab, the requests and the API's errors in words.
  const { ApiError, describeDetail, current: currentSession } = window.CrmSession;
  const RENEW_BEFORE_MS = 2 * 60 * 1000; // renew when less than this is left
  const ACTIVE_WITHIN_MS = 15 * 60 * 1000; // ...and the operator did something lately
  const RENEW_CHECK_MS = 30 * 1000;
  const POLL_INTERVAL_MS = 1000;
  const POLL_ATTEMPTS = 10;

  // Registry's texts (services/registry/domain), put into the page as JSON.
  const SERVED = JSON.parse(document.getElementById("crm-texts")?.textContent || "{}");
  const POLICY_TEXT = SERVED.payment_policy || {};
  const REASON_TEXT = SERVED.reasons || {};
  const ADVICE_TEXT = { category: {}, segment: {}, ...SERVED.advice };

  const OPTIONS = {
    person_type: ["individual", "company"],
    channel: ["call", "chat", "email", "sms"],
    outcome: ["info", "purchase", "no_purchase", "trial", "complaint"],
    payment_method: ["card", "cash", "bank_transfer", "online"],
    language: ["", "en", "ru", "fa"],
    role: ["operator", "analyst", "admin"],
    thank_you_reason: ["loyal_customer", "complaint_resolved", "big_purchase", "referral",
                       "other"],
  };

  const TEXT = {
    en: {
      title: "Caller card",
      "role.operator": "operator", "role.analyst": "analyst", "role.admin": "admin",
      session_ended: "Your session has ended: sign in again. Nothing on the screen is lost.",
      people: "People", display_name: "Name", role: "Role", extension: "Extension",
      status: "Status", active: "active", disabled: "disabled", disable: "Disable",
      enable: "Enable", new_person: "New person",
      first_password: "Password (12 characters or more)", name_ru: "Name in Russian",
      name_fa: "Name in Persian", create: "Create", person_created: "Account created.",
      person_changed: "Saved.", phone_label: "Caller's phone number",
      look_up: "Look up", clear: "Clear", lookup_hint: "Enter looks up, Esc clears.",
      risk: "Risk", risk_pending: "Scoring…", payment_policy: "Payment policy",
      loyalty: "Loyalty and value", segment: "Type", points: "Points",
      value_month: "Value this month", value_year: "Value this year",
      value_lifetime: "Lifetime value", last_purchases: "Last purchases",
      last_interactions: "Last interactions", last_survey: "Last survey answer",
      change_category: "Change category", category: "Category", save: "Save",
      log_interaction: "Log an interaction", channel: "Channel", outcome: "Outcome",
      duration_s: "Duration, seconds", questions: "Questions asked", log: "Log",
      record_purchase: "Record a purchase", amount: "Amount (negative for a refund)",
      currency: "Currency", payment_method: "Payment method",
      discounted: "Bought on a promotion", record: "Record",
      refund: "Refund", refund_short: "refund", refund_cancel: "Cancel the refund",
      refund_of: "Refund of purchase", refund_recorded: "Refund recorded.",
      to_pay: "To pay: {amount} {currency} after the {percent}% discount of {category}",
      new_caller: "New caller: register", phone: "Phone", full_name: "Full name",
      email: "Email", country: "Country (ISO code)", person_type: "Customer type",
      source: "How they found us", referred_by: "Referred by (customer id)",
      source_not_asked: "Not asked",
      card_number: "Loyalty card number", customer_language: "Customer's language",
      register: "Register", none: "—", no_purchases: "No purchases yet.",
      no_interactions: "No interactions yet.", no_survey: "No answers yet.",
      last_redemptions: "Points spent", no_redemptions: "No points spent yet.",
      spent_points: "{points} points spent, {balance} left",
      lapsed: "Lapsed", score: "score", rating: "rating", questions_n: "questions",
      advice: "Advice", seconds: "s", discounted_short: "promotion",
      forbidden: "Your role may not do this.",
      empty_phone: "Type a phone number first.",
      not_found: "Unknown number: register the caller.",
      choose_heading: "Which customer is calling?",
      choose_caller: "This number may be any of these customers': choose the caller.",
      registered: "Registered.", already_registered: "This number is already registered.",
      erase_customer: "Erase this customer", erase: "Erase", erased: "The customer is erased.",
      erase_explained: "On the customer's request: every service removes what it keeps about "
        + "them. This cannot be undone.",
      erase_reason: "Reason (no personal data)", erase_confirm: "I have checked who is asking",
      category_saved: "Category saved.", interaction_logged: "Interaction logged.",
      purchase_recorded: "Purchase recorded.",
      thank_yous: "Thank-yous", no_thank_yous: "No thank-yous yet.",
      thank_customer: "Say thank you", thank_reason: "What for",
      thank_points: "Bonus points (optional)", thank_note: "Note (optional)", thank: "Thank",
      thank_hint: "T: say thank you. The customer gets an SMS in their language; bonus "
        + "points go to their balance.",
      thanked: "Thank-you sent.", thanked_points: "Thank-you sent with {points} bonus points.",
      thank_automatic: "automatic", thank_bonus: "+{points} points",
      "thank_you_reason.loyal_customer": "Loyal customer",
      "thank_you_reason.complaint_resolved": "Complaint resolved",
      "thank_you_reason.big_purchase": "Big purchase",
      "thank_you_reason.referral": "Brought a new customer",
      "thank_you_reason.gold": "Reached gold", "thank_you_reason.other": "Other",
      "sms.sent": "SMS sent", "sms.suppressed": "no SMS (no consent, quiet hours or too late)",
      "sms.failed": "SMS failed", "sms.queued": "SMS queued",
      redeem_points: "Spend points", points_to_redeem: "Points to spend", redeem: "Spend",
      redeem_hint: "R: the whole balance; Enter spends it.",
      redeemed: "Spent {points} points. Balance: {balance}.",
      "band.low": "Low risk", "band.medium": "Medium risk", "band.high": "High risk",
      "tier.standard": "Standard", "tier.silver": "Silver", "tier.gold": "Gold",
      "person_type.individual": "Individual", "person_type.company": "Company",
      "segment.chatty": "Chatty, spreads the word", "segment.bargain_hunter": "Bargain hunter",
      "segment.time_waster": "Time-waster", "segment.interested": "Interested",
      "segment.company": "Company", "segment.regular": "Regular",
      "channel.call": "Call", "channel.chat": "Chat", "channel.email": "Email",
      "channel.sms": "SMS",
      "outcome.purchase": "Purchase", "outcome.no_purchase": "No purchase",
      "outcome.complaint": "Complaint", "outcome.info": "Information", "outcome.trial": "Trial",
      "payment_method.card": "Card", "payment_method.cash": "Cash",
      "payment_method.bank_transfer": "Bank transfer", "payment_method.online": "Online",
      "language.": "Not set", "language.en": "English", "language.ru": "Russian",
      "language.fa": "Persian",
      "kind.quality_survey": "Quality survey", "kind.winback_survey": "Win-back survey",
      "kind.thank_you": "Thank you", "kind.why_us_survey": "Why us",
      "kind.points_expiry": "Points expiry notice",
    },
    ru: {
      title: "Карточка звонящего",
      "role.operator": "оператор", "role.analyst": "аналитик", "role.admin": "администратор",
      session_ended: "Сеанс завершён: войдите снова. Всё на экране сохранится.",
      people: "Сотрудники", display_name: "Имя", role: "Роль", extension: "Добавочный",
      status: "Статус", active: "активен", disabled: "отключён", disable: "Отключить",
      enable: "Включить", new_person: "Новый сотрудник",
      first_password: "Пароль (не короче 12 символов)", name_ru: "Имя по-русски",
      name_fa: "Имя на персидском", create: "Создать", person_created: "Учётная запись создана.",
      person_changed: "Сохранено.", phone_label: "Номер телефона звонящего",
      look_up: "Найти", clear: "Очистить", lookup_hint: "Enter — найти, Esc — очистить.",
      risk: "Риск", risk_pending: "Идёт оценка…", payment_policy: "Порядок оплаты",
      loyalty: "Лояльность и ценность", segment: "Тип", points: "Баллы",
      value_month: "Сумма за месяц", value_year: "Сумма за год",
      value_lifetime: "Сумма за всё время", last_purchases: "Последние покупки",
      last_interactions: "Последние обращения", last_survey: "Последний ответ на опрос",
      change_category: "Сменить категорию", category: "Категория", save: "Сохранить",
      log_interaction: "Записать обращение", channel: "Канал", outcome: "Итог",
      duration_s: "Длительность, секунд", questions: "Задано вопросов", log: "Записать",
      record_purchase: "Записать покупку", amount: "Сумма (отрицательная — возврат)",
      currency: "Валюта", payment_method: "Способ оплаты",
      discounted: "Куплено по акции", record: "Записать",
      refund: "Возврат", refund_short: "возврат", refund_cancel: "Отменить возврат",
      refund_of: "Возврат по покупке", refund_recorded: "Возврат записан.",
      to_pay: "К оплате: {amount} {currency} со скидкой {percent}% (категория «{category}»)",
      new_caller: "Новый клиент: регистрация", phone: "Телефон", full_name: "ФИО",
      email: "Эл. почта", country: "Страна (код ISO)", person_type: "Тип клиента",
      source: "Откуда узнал о нас", referred_by: "Кто привёл (id клиента)",
      source_not_asked: "Не спрашивали",
      card_number: "Номер карты лояльности", customer_language: "Язык клиента",
      register: "Зарегистрировать", none: "—", no_purchases: "Покупок пока нет.",
      no_interactions: "Обращений пока нет.", no_survey: "Ответов пока нет.",
      last_redemptions: "Списанные баллы", no_redemptions: "Баллы ещё не списывались.",
      spent_points: "списано баллов: {points}, осталось {balance}",
      lapsed: "Ушёл", score: "балл", rating: "оценка", questions_n: "вопросов",
      advice: "Совет", seconds: "с", discounted_short: "акция",
      forbidden: "Вашей роли это действие недоступно.",
      empty_phone: "Сначала введите номер телефона.",
      not_found: "Номер не найден: зарегистрируйте клиента.",
      choose_heading: "Кто из клиентов звонит?",
      choose_caller: "Этот номер может быть номером любого из этих клиентов: выберите звонящего.",
      registered: "Клиент зарегистрирован.",
      erase_customer: "Удалить данные клиента", erase: "Удалить", erased: "Данные клиента удалены.",
      erase_explained: "По просьбе клиента: каждый сервис удаляет то, что хранит о нём. "
        + "Отменить нельзя.",
      erase_reason: "Основание (без персональных данных)",
      erase_confirm: "Я проверил(а), кто обращается",
      already_registered: "Этот номер уже зарегистрирован.",
      category_saved: "Категория сохранена.", interaction_logged: "Обращение записано.",
      purchase_recorded: "Покупка записана.",
      thank_yous: "Благодарности", no_thank_yous: "Благодарностей пока нет.",
      thank_customer: "Поблагодарить", thank_reason: "За что",
      thank_points: "Бонусные баллы (необязательно)", thank_note: "Заметка (необязательно)",
      thank: "Поблагодарить",
      thank_hint: "T — поблагодарить. Клиент получит SMS на своём языке; бонусы зачисляются "
        + "на его баланс.",
      thanked: "Благодарность отправлена.",
      thanked_points: "Благодарность отправлена, начислено бонусов: {points}.",
      thank_automatic: "автоматически", thank_bonus: "+{points} баллов",
      "thank_you_reason.loyal_customer": "Постоянный клиент",
      "thank_you_reason.complaint_resolved": "Жалоба решена",
      "thank_you_reason.big_purchase": "Крупная покупка",
      "thank_you_reason.referral": "Привёл нового клиента",
      "thank_you_reason.gold": "Стал золотым клиентом", "thank_you_reason.other": "Другое",
      "sms.sent": "SMS отправлено",
      "sms.suppressed": "без SMS (нет согласия, тихие часы или поздно)",
      "sms.failed": "SMS не доставлено", "sms.queued": "SMS в очереди",
      redeem_points: "Списать баллы", points_to_redeem: "Сколько баллов списать",
      redeem: "Списать", redeem_hint: "R — весь баланс; Enter — списать.",
      redeemed: "Списано баллов: {points}. Баланс: {balance}.",
      "band.low": "Низкий риск", "band.medium": "Средний риск", "band.high": "Высокий риск",
      "tier.standard": "Стандарт", "tier.silver": "Серебро", "tier.gold": "Золото",
      "person_type.individual": "Физическое лицо", "person_type.company": "Компания",
      "segment.chatty": "Болтун, советует знакомым", "segment.bargain_hunter": "Охотник за скидками",
      "segment.time_waster": "Отнимает время", "segment.interested": "Заинтересованный",
      "segment.company": "Компания", "segment.regular": "Обычный",
      "channel.call": "Звонок", "channel.chat": "Чат", "channel.email": "Эл. почта",
      "channel.sms": "СМС",
      "outcome.purchase": "Покупка", "outcome.no_purchase": "Без покупки",
      "outcome.complaint": "Жалоба", "outcome.info": "Справка", "outcome.trial": "Пробный заказ",
      "payment_method.card": "Карта", "payment_method.cash": "Наличные",
      "payment_method.bank_transfer": "Банковский перевод", "payment_method.online": "Онлайн",
      "language.": "Не указан", "language.en": "Английский", "language.ru": "Русский",
      "language.fa": "Персидский",
      "kind.quality_survey": "Оценка качества", "kind.winback_survey": "Почему ушёл",
      "kind.thank_you": "Благодарность", "kind.why_us_survey": "Почему мы",
      "kind.points_expiry": "Бонусы скоро сгорят",
    },
    fa: {
      title: "کارت تماس‌گیرنده",
      "role.operator": "اپراتور", "role.analyst": "تحلیلگر", "role.admin": "مدیر",
      session_ended: "نشست شما پایان یافت: دوباره وارد شوید. چیزی از صفحه از دست نمی‌رود.",
      people: "کارکنان", display_name: "نام", role: "نقش", extension: "داخلی",
      status: "وضعیت", active: "فعال", disabled: "غیرفعال", disable: "غیرفعال کردن",
      enable: "فعال کردن", new_person: "کارمند جدید",
      first_password: "گذرواژه (دست‌کم ۱۲ نویسه)", name_ru: "نام به روسی",
      name_fa: "نام به فارسی", create: "ایجاد", person_created: "حساب ایجاد شد.",
      person_changed: "ذخیره شد.", phone_label: "شماره تلفن تماس‌گیرنده",
      look_up: "جستجو", clear: "پاک کردن", lookup_hint: "Enter جستجو می‌کند، Esc پاک می‌کند.",
      risk: "ریسک", risk_pending: "در حال ارزیابی…", payment_policy: "شیوه پرداخت",
      loyalty: "وفاداری و ارزش", segment: "نوع", points: "امتیاز",
      value_month: "ارزش این ماه", value_year: "ارزش امسال",
      value_lifetime: "ارزش کل", last_purchases: "آخرین خریدها",
      last_interactions: "آخرین تماس‌ها", last_survey: "آخرین پاسخ نظرسنجی",
      change_category: "تغییر دسته", category: "دسته", save: "ذخیره",
      log_interaction: "ثبت تماس", channel: "کانال", outcome: "نتیجه",
      duration_s: "مدت (ثانیه)", questions: "تعداد پرسش‌ها", log: "ثبت",
      record_purchase: "ثبت خرید", amount: "مبلغ (منفی برای بازپرداخت)",
      currency: "ارز", payment_method: "روش پرداخت",
      discounted: "خرید در حراج", record: "ثبت",
      refund: "بازپرداخت", refund_short: "بازپرداخت", refund_cancel: "لغو بازپرداخت",
      refund_of: "بازپرداخت خرید", refund_recorded: "بازپرداخت ثبت شد.",
      to_pay: "قابل پرداخت: {amount} {currency} پس از {percent}٪ تخفیف دستهٔ {category}",
      new_caller: "تماس‌گیرنده جدید: ثبت‌نام", phone: "تلفن", full_name: "نام و نام خانوادگی",
      email: "ایمیل", country: "کشور (کد ISO)", person_type: "نوع مشتری",
      source: "از کجا با ما آشنا شد", referred_by: "معرف (شناسه مشتری)",
      source_not_asked: "پرسیده نشد",
      card_number: "شماره کارت وفاداری", customer_language: "زبان مشتری",
      register: "ثبت‌نام", none: "—", no_purchases: "هنوز خریدی نیست.",
      no_interactions: "هنوز تماسی نیست.", no_survey: "هنوز پاسخی نیست.",
      last_redemptions: "امتیازهای خرج‌شده", no_redemptions: "هنوز امتیازی خرج نشده است.",
      spent_points: "{points} امتیاز خرج شد، {balance} مانده",
      lapsed: "از دست رفته", score: "امتیاز", rating: "نمره", questions_n: "پرسش",
      advice: "توصیه", seconds: "ثانیه", discounted_short: "حراج",
      forbidden: "نقش شما اجازه این کار را ندارد.",
      empty_phone: "ابتدا شماره تلفن را وارد کنید.",
      not_found: "شماره ناشناخته است: تماس‌گیرنده را ثبت کنید.",
      choose_heading: "کدام مشتری تماس می‌گیرد؟",
      choose_caller: "این شماره ممکن است شماره هر یک از این مشتریان باشد: تماس‌گیرنده را انتخاب کنید.",
      registered: "ثبت شد.", already_registered: "این شماره قبلاً ثبت شده است.",
      erase_customer: "حذف اطلاعات این مشتری", erase: "حذف", erased: "اطلاعات مشتری حذف شد.",
      erase_explained: "به درخواست مشتری: هر سرویس آنچه از او نگه می‌دارد حذف می‌کند. "
        + "این کار برگشت‌پذیر نیست.",
      erase_reason: "دلیل (بدون اطلاعات شخصی)", erase_confirm: "هویت درخواست‌کننده را بررسی کردم",
      category_saved: "دسته ذخیره شد.", interaction_logged: "تماس ثبت شد.",
      purchase_recorded: "خرید ثبت شد.",
      thank_yous: "قدردانی‌ها", no_thank_yous: "هنوز قدردانی‌ای نیست.",
      thank_customer: "قدردانی", thank_reason: "برای چه",
      thank_points: "امتیاز هدیه (اختیاری)", thank_note: "یادداشت (اختیاری)", thank: "قدردانی",
      thank_hint: "T: قدردانی. مشتری پیامکی به زبان خودش می‌گیرد؛ امتیاز هدیه به موجودی او "
        + "افزوده می‌شود.",
      thanked: "قدردانی فرستاده شد.", thanked_points: "قدردانی با {points} امتیاز هدیه فرستاده شد.",
      thank_automatic: "خودکار", thank_bonus: "+{points} امتیاز",
      "thank_you_reason.loyal_customer": "مشتری وفادار",
      "thank_you_reason.complaint_resolved": "رفع شکایت",
      "thank_you_reason.big_purchase": "خرید بزرگ",
      "thank_you_reason.referral": "معرفی مشتری تازه",
      "thank_you_reason.gold": "رسیدن به سطح طلایی", "thank_you_reason.other": "دیگر",
      "sms.sent": "پیامک فرستاده شد",
      "sms.suppressed": "بدون پیامک (بدون رضایت، ساعت سکوت یا دیر)",
      "sms.failed": "پیامک نرسید", "sms.queued": "پیامک در صف",
      redeem_points: "خرج امتیاز", points_to_redeem: "امتیاز برای خرج", redeem: "خرج",
      redeem_hint: "R: کل موجودی؛ Enter آن را خرج می‌کند.",
      redeemed: "{points} امتیاز خرج شد. موجودی: {balance}.",
      "band.low": "ریسک کم", "band.medium": "ریسک متوسط", "band.high": "ریسک زیاد",
      "tier.standard": "عادی", "tier.silver": "نقره‌ای", "tier.gold": "طلایی",
      "person_type.individual": "شخص حقیقی", "person_type.company": "شرکت",
      "segment.chatty": "پرحرف، معرفی‌کننده", "segment.bargain_hunter": "شکارچی تخفیف",
      "segment.time_waster": "وقت‌گیر", "segment.interested": "علاقه‌مند",
      "segment.company": "شرکت", "segment.regular": "معمولی",
      "channel.call": "تماس تلفنی", "channel.chat": "گفتگو", "channel.email": "ایمیل",
      "channel.sms": "پیامک",
      "outcome.purchase": "خرید", "outcome.no_purchase": "بدون خرید",
      "outcome.complaint": "شکایت", "outcome.info": "اطلاعات", "outcome.trial": "آزمایشی",
      "payment_method.card": "کارت", "payment_method.cash": "نقد",
      "payment_method.bank_transfer": "انتقال بانکی", "payment_method.online": "آنلاین",
      "language.": "تعیین نشده", "language.en": "انگلیسی", "language.ru": "روسی",
      "language.fa": "فارسی",
      "kind.quality_survey": "نظرسنجی کیفیت", "kind.winback_survey": "چرا رفتید",
      "kind.thank_you": "تشکر", "kind.why_us_survey": "چرا ما",
      "kind.points_expiry": "هشدار انقضای امتیاز",
    },
  };

  const $ = (id) => document.getElementById(id);
  const state = {
    lang: "en",
    card: null,
    categories: [],
    pollTimer: null,
    pollsLeft: 0,
    lookupSeq: 0,
    lastActivity: Date.now(),
    renewing: null,
    people: null,
    onDuty: () => false, // desk.js: is the phone line open?
    refund: null, // the purchase the purchase form is refunding: {purchase_id, currency}
    redemption: null, // a redemption sent but not answered: {id, points, customer_id}
    thankYou: null, // a thank-you sent but not answered: {id, key}
    sources: [], // GET /api/sources: how customers found us, with titles
  };

  // ---- words -------------------------------------------------------------------------

  function t(key) {
    const table = TEXT[state.lang] || TEXT.en;
    return table[key] ?? TEXT.en[key] ?? window.CrmSession.t(key, state.lang);
  }

  function policyText(policy) {
    const texts = POLICY_TEXT[policy];
    return texts ? texts[state.lang] || texts.en : policy;
  }

  // The texts of one key in the current language, English when missing; null for a key
  // the table does not hold (own keys only: a slug may be "constructor").
  function inLanguage(table, key) {
    const texts = key && Object.hasOwn(table, key) ? table[key] : null;
    return texts ? texts[state.lang] || texts.en || null : null;
  }

  // A reason code this panel does not know yet (a newer scoring rule) shows its detail.
  function reasonText(reason) {
    return inLanguage(REASON_TEXT, reason.code) || reason.detail || reason.code;
  }

  // The category's own advice (admins may give one) wins over the built-in one.
  function categoryAdvice(slug) {
    const category = categoryBySlug(slug);
    if (category && category.advice) {
      return category.advice[state.lang] || category.advice.en || "";
    }
    return inLanguage(ADVICE_TEXT.category, slug) || "";
  }

  function segmentAdvice(segment) {
    return inLanguage(ADVICE_TEXT.segment, segment) || "";
  }

  function categoryBySlug(slug) {
    return state.categories.find((category) => category.slug === slug) || null;
  }

  function categoryTitle(slug) {
    const category = categoryBySlug(slug);
    if (!category || !category.titles) {
      return slug;
    }
    return category.titles[state.lang] || category.titles.en || slug;
  }

  function safeColour(colour) {
    return typeof colour === "string" && /^#[0-9a-fA-F]{6}$/.test(colour) ? colour : "";
  }

  // A customer's value for a person to read: the value currency's minor unit (both named
  // by registry in the page, from shared/currencies), grouped digits in the panel's
  // language ("256,457,777.02 RUB"; the card keeps it exact).
  function valueText(amount) {
    const number = Number(amount);
    if (amount === null || amount === undefined || !Number.isFinite(number)) {
      return t("none");
    }
    const meta = document.querySelector('meta[name="crm-value-currency"]');
    const currency = meta?.content || "RUB";
    const digits = Number.parseInt(meta?.dataset.minorUnits ?? "2", 10);
    return `${new Intl.NumberFormat(state.lang, {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(number)} ${currency}`;
  }

  function formatTime(iso) {
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) {
      return iso || "";
    }
    return moment.toLocaleString(state.lang, { dateStyle: "short", timeStyle: "short" });
  }

  function applyLanguage(lang) {
    state.lang = TEXT[lang] ? lang : "en";
    window.CrmSession.showLanguage(state.lang, t);
    document.querySelectorAll("select[data-options]").forEach(fillOptions);
    fillCategorySelects();
    fillSourceSelect();
    if ($("message").dataset.key) {
      showMessage(t($("message").dataset.key));
    }
    if (state.card) {
      renderCard(state.card);
    }
    if (state.people) {
      renderPeople();
    }
    emit("language", state.lang);
  }

  function fillOptions(select) {
    const name = select.dataset.options;
    const chosen = select.value;
    select.replaceChildren(
      ...OPTIONS[name].map((value) => new Option(t(`${name}.${value}`), value))
    );
    if (chosen !== "" || OPTIONS[name].includes("")) {
      select.value = chosen;
    }
    if (select.selectedIndex < 0) {
      select.selectedIndex = 0;
    }
  }

  function fillCategorySelects() {
    for (const select of [$("category-select"), $("register-category")]) {
      const chosen = select.value;
      select.replaceChildren(
        ...state.categories.map((category) => new Option(categoryTitle(category.slug), category.slug))
      );
      if (chosen) {
        select.value = chosen;
      }
      if (select.selectedIndex < 0 && state.categories.length) {
        const ordinary = categoryBySlug("ordinary");
        select.value = ordinary ? "ordinary" : state.categories[0].slug;
      }
    }
    if (state.card) {
      $("category-select").value = state.card.category;
    }
  }

  // The registration's source: a blank "not asked" first, then the admin's list by title.
  function fillSourceSelect() {
    const select = $("register-source");
    const chosen = select.value;
    select.replaceChildren(
      new Option(t("source_not_asked"), ""),
      ...state.sources.map((source) => new Option(sourceTitle(source.slug), source.slug))
    );
    select.value = chosen;
    if (select.selectedIndex < 0) {
      select.selectedIndex = 0;
    }
  }

  function sourceTitle(slug) {
    const source = state.sources.find((item) => item.slug === slug);
    if (!source || !source.titles) {
      return slug;
    }
    return source.titles[state.lang] || source.titles.en || slug;
  }

  // ---- messages ----------------------------------------------------------------------

  function showMessage(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
    // Remember which phrase it was, so a language switch can say it again in the new one.
    const key = Object.keys(TEXT[state.lang] || TEXT.en).find((name) => t(name) === text);
    $("message").dataset.key = text && key ? key : "";
  }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = !text;
  }

  // ---- the API -----------------------------------------------------------------------

  async function api(method, path, body) {
    const session = currentSession();
    if (!session) {
      throw new ApiError(401, t("need_token"));
    }
    return window.CrmSession.send(method, path, { body, token: session.token });
  }

  function reportFailure(error) {
    if (!(error instanceof ApiError)) {
      showError(String(error));
      return;
    }
    if (error.status === 401) {
      // The session ended (expired, or the person was disabled): ask again, keep the screen.
      const hadSession = Boolean(currentSession());
      forgetSession();
      showError(hadSession ? t("session_ended") : t("need_token"));
      askToSignIn();
    } else if (error.status === 403) {
      showError(describeDetail(error.detail) || t("forbidden"));
    } else {
      showError(error.message);
    }
  }

  async function loadCategories() {
    if (!currentSession()) {
      return;
    }
    try {
      const categories = await api("GET", "/api/categories");
      state.categories = Array.isArray(categories) ? categories : [];
      fillCategorySelects();
      const sources = await api("GET", "/api/sources");
      state.sources = Array.isArray(sources) ? sources : [];
      fillSourceSelect();
      if (state.card) {
        renderCard(state.card);
      }
    } catch (error) {
      reportFailure(error);
    }
  }

  // ---- looking up ----------------------------------------------------------------------

  function stopPolling() {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
    state.pollsLeft = 0;
  }

  async function lookUp(phone, { poll = true, keepMessages = false } = {}) {
    stopPolling();
    const seq = ++state.lookupSeq;
    if (!keepMessages) {
      showError("");
      showMessage("");
    }
    if (!phone.trim()) {
      showError(t("empty_phone"));
      $("phone-input").focus();
      return null;
    }
    try {
      const card = await cardOf(phone.trim());
      if (seq !== state.lookupSeq) {
        return null;
      }
      showCard(card);
      if (poll && !card.risk) {
        startPolling(card.phone || phone.trim(), seq);
      }
      return card;
    } catch (error) {
      if (seq !== state.lookupSeq) {
        return null;
      }
      if (error instanceof ApiError && error.status === 404) {
        showRegistration(phone.trim());
        showMessage(t("not_found"));
      } else if (error instanceof ApiError && error.status === 300 && error.payload &&
                 Array.isArray(error.payload.choices)) {
        showChoices(error.payload.choices);
      } else {
        hideAll();
        reportFailure(error);
      }
      return null;
    }
  }

  // The number goes in the body: a URL with it would stay in logs and the history.
  function cardOf(phone) {
    return api("POST", "/api/callers/lookup", { phone });
  }

  // Scoring answers within a second or two of a registration; refresh until it has.
  function startPolling(phone, seq) {
    state.pollsLeft = POLL_ATTEMPTS;
    const tick = async () => {
      if (seq !== state.lookupSeq || state.pollsLeft <= 0) {
        return;
      }
      state.pollsLeft -= 1;
      try {
        const card = await cardOf(phone);
        if (seq !== state.lookupSeq) {
          return;
        }
        showCard(card);
        if (card.risk) {
          state.pollsLeft = 0;
          return;
        }
      } catch (error) {
        // A failed refresh is not worth an alarm; the next one may succeed.
      }
      if (state.pollsLeft > 0) {
        state.pollTimer = setTimeout(tick, POLL_INTERVAL_MS);
      }
    };
    state.pollTimer = setTimeout(tick, POLL_INTERVAL_MS);
  }

  // An admin erases the customer on the card (their request): registry forgets them before
  // it answers, so the card is closed; the other services follow within seconds.
  async function eraseCustomer(event) {
    const erased = await act(event, (id) => api(
      "POST", `/api/customers/${encodeURIComponent(id)}/erasure`,
      { reason: optional("erase-reason") }), "erased", { refresh: false });
    if (erased) {
      $("erase-form").reset();
      $("phone-input").value = "";
      hideAll();
    }
  }

  async function refreshCard() {
    if (state.card) {
      await lookUp(state.card.phone || $("phone-input").value, { keepMessages: true });
    }
  }

  function hideAll() {
    state.card = null;
    $("card").hidden = true;
    $("register-section").hidden = true;
    hideChoices();
  }

  // ---- choosing the caller -------------------------------------------------------------

  // A number typed without a country code that reads as several customers' numbers (the
  // call center's regions): the operator says which caller it is, never the panel. `choose`
  // opens the chosen one; desk.js also tells the call who it is from.
  function showChoices(choices, choose = (choice) => lookUp(choice.phone)) {
    stopPolling();
    hideAll();
    const list = $("choices-list");
    list.replaceChildren(...choices.map((choice) => choiceItem(choice, choose)));
    $("choices-section").hidden = false;
    showMessage(t("choose_caller"));
    const first = list.querySelector("button");
    if (first) {
      first.focus();
    }
  }

  // A customer found or offered, as one button: the name, the number, and a muted note (why
  // the search matched, the country of a choice). desk.js builds its results with it too.
  function resultButton(person, note) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "result";
    const name = document.createElement("span");
    name.className = "result-name";
    name.textContent = person.full_name || person.customer_id;
    const phone = document.createElement("span");
    phone.className = "phone";
    phone.dir = "ltr";
    phone.textContent = person.phone || "";
    const muted = document.createElement("span");
    muted.className = "muted";
    muted.textContent = note;
    button.append(name, " ", phone, " ", muted);
    return button;
  }

  function choiceItem(choice, choose) {
    const node = document.createElement("li");
    node.dataset.customerId = choice.customer_id;
    const button = resultButton(choice, choice.country || "");
    button.disabled = !choice.phone; // an analyst's choices name no number to open
    button.addEventListener("click", () => {
      hideChoices();
      showMessage("");
      choose(choice);
    });
    node.append(button);
    return node;
  }

  function hideChoices() {
    $("choices-section").hidden = true;
    $("choices-list").replaceChildren();
  }

  function clearAll() {
    stopPolling();
    endRefund();
    state.lookupSeq += 1;
    hideAll();
    showError("");
    showMessage("");
    $("phone-input").value = "";
    $("phone-input").focus();
  }

  // ---- the card ------------------------------------------------------------------------

  function showCard(card) {
    const another = !state.card || state.card.customer_id !== card.customer_id;
    if (another) {
      endRefund();
      $("redeem-points").value = "";
      $("thank-points").value = "";
      $("thank-note").value = "";
    }
    state.card = card;
    $("register-section").hidden = true;
    hideChoices();
    renderCard(card);
    $("card").hidden = false;
    emit("card", card, another);
  }

  function listItems(list, items, emptyKey, build) {
    list.replaceChildren();
    if (!items || !items.length) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = t(emptyKey);
      list.append(empty);
      return;
    }
    for (const item of items) {
      list.append(build(item));
    }
  }

  function renderCard(card) {
    showPriceToPay();
    $("card-name").textContent = card.full_name || "";
    $("card-phone").textContent = card.phone || "";

    const category = $("card-category");
    category.textContent = categoryTitle(card.category) || card.category_title || card.category;
    category.dataset.slug = card.category || "";
    const known = categoryBySlug(card.category);
    const colour = safeColour(known ? known.colour : card.category_colour);
    category.style.setProperty("--badge-colour", colour || "var(--muted)");

    $("card-person-type").textContent = t(`person_type.${card.person_type}`);

    const loyalty = card.loyalty || {};
    const tier = $("tier-badge");
    tier.textContent = t(`tier.${loyalty.tier || "standard"}`);
    tier.dataset.tier = loyalty.tier || "standard";

    const lapsed = $("lapsed-badge");
    lapsed.hidden = !card.lapsed;
    lapsed.textContent = t("lapsed");

    renderRisk(card);
    renderAdvice(card);

    $("card-segment").textContent = card.segment ? t(`segment.${card.segment}`) : t("none");
    $("points-balance").textContent = loyalty.points_balance ?? t("none");
    $("value-month").textContent = valueText(loyalty.value_month);
    $("value-year").textContent = valueText(loyalty.value_year);
    $("value-lifetime").textContent = valueText(loyalty.value_lifetime);

    listItems($("last-purchases"), card.last_purchases, "no_purchases", (purchase) => {
      const item = document.createElement("li");
      item.dataset.purchaseId = purchase.purchase_id;
      const amount = document.createElement("bdi");
      amount.textContent = `${purchase.amount} ${purchase.currency}`;
      const method = t(`payment_method.${purchase.payment_method}`);
      const extra = (purchase.discounted ? ` · ${t("discounted_short")}` : "")
        + (purchase.refund_of ? ` · ${t("refund_short")}` : "");
      item.append(amount, ` · ${method}${extra} · ${formatTime(purchase.occurred_at)}`);
      if (!purchase.refund_of && !String(purchase.amount).startsWith("-")) {
        const refund = document.createElement("button");
        refund.type = "button";
        refund.className = "line-action";
        refund.dataset.action = "refund";
        refund.textContent = t("refund");
        refund.addEventListener("click", () => startRefund(purchase));
        item.append(" ", refund);
      }
      return item;
    });

    listItems($("last-redemptions"), card.last_redemptions, "no_redemptions", (redemption) => {
      const item = document.createElement("li");
      item.dataset.redemptionId = redemption.redemption_id;
      item.textContent = [
        t("spent_points").replace("{points}", String(redemption.points))
          .replace("{balance}", String(redemption.points_balance)),
        formatTime(redemption.occurred_at),
      ].join(" · ");
      return item;
    });

    listItems($("thank-yous"), card.thank_yous, "no_thank_yous", (thanks) => {
      const item = document.createElement("li");
      item.dataset.thankYouId = thanks.thank_you_id;
      item.dataset.automatic = String(Boolean(thanks.automatic));
      item.dataset.sms = thanks.sms || "";
      const parts = [t(`thank_you_reason.${thanks.reason}`)];
      if (thanks.bonus_points) {
        parts.push(t("thank_bonus").replace("{points}", String(thanks.bonus_points)));
      }
      parts.push(thanks.automatic ? t("thank_automatic") : (thanks.by_name || thanks.by || ""));
      if (thanks.sms || !thanks.automatic) {
        parts.push(t(`sms.${thanks.sms || "queued"}`)); // the SMS may wait for daytime
      }
      parts.push(formatTime(thanks.occurred_at));
      item.textContent = parts.filter(Boolean).join(" · ");
      if (thanks.note) {
        const note = document.createElement("q");
        note.textContent = thanks.note;
        item.append(" ", note);
      }
      return item;
    });

    listItems($("last-interactions"), card.last_interactions, "no_interactions", (interaction) => {
      const item = document.createElement("li");
      item.dataset.interactionId = interaction.interaction_id;
      const parts = [t(`channel.${interaction.channel}`), t(`outcome.${interaction.outcome}`)];
      if (interaction.duration_s !== null && interaction.duration_s !== undefined) {
        parts.push(`${interaction.duration_s} ${t("seconds")}`);
      }
      if (interaction.questions !== null && interaction.questions !== undefined) {
        parts.push(`${interaction.questions} ${t("questions_n")}`);
      }
      parts.push(formatTime(interaction.occurred_at));
      item.textContent = parts.join(" · ");
      return item;
    });

    const survey = card.last_survey;
    if (survey) {
      const parts = [t(`kind.${survey.kind}`), `${t("rating")}: ${survey.rating}`];
      if (survey.comment) {
        parts.push(`“${survey.comment}”`);
      }
      parts.push(formatTime(survey.occurred_at));
      $("last-survey").textContent = parts.join(" · ");
    } else {
      $("last-survey").textContent = t("no_survey");
    }

    if (state.categories.length) {
      $("category-select").value = card.category;
    }
  }

  function renderRisk(card) {
    const risk = card.risk;
    const band = $("risk-band");
    const reasons = $("risk-reasons");
    $("risk-pending").hidden = Boolean(risk);
    reasons.replaceChildren();
    if (risk) {
      band.textContent = t(`band.${risk.band}`);
      band.dataset.band = risk.band;
      $("risk-score").textContent = `(${t("score")} ${risk.score})`;
      for (const reason of risk.reasons || []) {
        const item = document.createElement("li");
        item.dataset.code = reason.code;
        item.textContent = reasonText(reason);
        item.title = reason.detail || ""; // the particulars, in scoring's English
        reasons.append(item);
      }
    } else {
      band.textContent = "";
      band.dataset.band = "";
      $("risk-score").textContent = "";
    }
    // The card's payment_policy already folds in the category's rule; fall back to risk's.
    const policy = card.payment_policy || (risk ? risk.payment_policy : "any");
    $("payment-policy").textContent = policyText(policy);
    $("payment-policy").dataset.policy = policy;
  }

  function renderAdvice(card) {
    const list = $("card-advice");
    const items = [["category", categoryAdvice(card.category)],
      ["segment", segmentAdvice(card.segment)]].filter(([, text]) => text);
    list.replaceChildren(...items.map(([kind, text]) => {
      const item = document.createElement("li");
      item.dataset.advice = kind;
      item.textContent = text; // never innerHTML: a category's advice is typed by admins
      return item;
    }));
    list.hidden = !items.length;
  }

  // ---- registering -----------------------------------------------------------------------

  function defaultSetting(name, fallback) {
    const meta = document.querySelector(`meta[name="${name}"]`);
    return (meta && meta.content) || fallback;
  }

  function showRegistration(phone) {
    state.card = null;
    $("card").hidden = true;
    hideChoices();
    const form = $("register-form");
    form.reset();
    document.querySelectorAll("#register-form select[data-options]").forEach(fillOptions);
    fillCategorySelects();
    fillSourceSelect();
    // reset() selects the first category in the list; a new caller is "ordinary" by default.
    const fallback = state.categories.length ? state.categories[0].slug : "";
    $("register-category").value = categoryBySlug("ordinary") ? "ordinary" : fallback;
    $("register-phone").value = phone;
    $("register-country").value = defaultSetting("crm-default-country", "RU");
    $("register-section").hidden = false;
    $("register-name").focus();
    emit("registration", phone);
  }

  function optional(id) {
    const value = $(id).value.trim();
    return value === "" ? undefined : value;
  }

  async function register(event) {
    event.preventDefault();
    showError("");
    const body = {
      full_name: $("register-name").value.trim(),
      phone: $("register-phone").value.trim(),
      country: $("register-country").value.trim().toUpperCase(),
      person_type: $("register-person-type").value,
      category: $("register-category").value || undefined,
      email: optional("register-email"),
      source: optional("register-source"),
      referred_by: optional("register-referred-by"),
      card_number: optional("register-card-number"),
      language: optional("register-language"),
    };
    $("register-submit").disabled = true;
    try {
      const created = await api("POST", "/api/customers", body);
      const phone = (created && created.phone) || body.phone;
      $("phone-input").value = phone;
      showMessage(t("registered"));
      await lookUp(phone, { keepMessages: true });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        showMessage(t("already_registered"));
        await lookUp(body.phone, { keepMessages: true });
        showError(describeDetail(error.detail));
      } else {
        reportFailure(error);
      }
    } finally {
      $("register-submit").disabled = false;
    }
  }

  // ---- actions on a card ---------------------------------------------------------------

  async function act(event, request, doneKey, { refresh = true } = {}) {
    event.preventDefault();
    if (!state.card) {
      return;
    }
    showError("");
    showMessage("");
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await request(state.card.customer_id);
      showMessage(t(doneKey));
      if (!refresh) {
        return true;
      }
      await refreshCard();
      // Interactions and purchases reach the card through events; look once more shortly.
      setTimeout(() => { if (state.card) { refreshCard(); } }, POLL_INTERVAL_MS);
      return true;
    } catch (error) {
      reportFailure(error);
      return false;
    } finally {
      button.disabled = false;
    }
  }

  function saveCategory(event) {
    return act(event, (id) => api("PATCH", `/api/customers/${encodeURIComponent(id)}`, {
      category: $("category-select").value,
    }), "category_saved");
  }

  function numberOrUndefined(id) {
    const value = $(id).value.trim();
    return value === "" ? undefined : Number.parseInt(value, 10);
  }

  async function logInteraction(event) {
    const done = await act(event, (id) => api("POST", "/api/interactions", {
      customer_id: id,
      channel: $("interaction-channel").value,
      outcome: $("interaction-outcome").value,
      duration_s: numberOrUndefined("interaction-duration"),
      questions: numberOrUndefined("interaction-questions"),
    }), "interaction_logged");
    if (done) {
      $("interaction-duration").value = "";
      $("interaction-questions").value = "";
    }
  }

  // ---- spending points -------------------------------------------------------------------
  // The redemption id is made here and kept until loyalty has answered, so pressing Enter
  // again after a network failure or a 503 repeats the same redemption: it counts once.

  function newId(prefix) {
    const bytes = crypto.getRandomValues(new Uint8Array(12)); // also outside secure contexts
    return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function redeemPoints(event) {
    const points = Number.parseInt($("redeem-points").value, 10);
    if (!state.redemption || state.redemption.points !== points
        || state.redemption.customer_id !== state.card?.customer_id) {
      state.redemption = { id: newId("r-"), points, customer_id: state.card?.customer_id };
    }
    const pending = state.redemption;
    let answer = null;
    const done = await act(event, async (id) => {
      try {
        answer = await api("POST", "/api/loyalty/redemptions",
                           { redemption_id: pending.id, customer_id: id, points });
        state.redemption = null;
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          state.redemption = null; // refused: a new attempt is a new redemption
        }
        throw error;
      }
    }, "redeemed", { refresh: false });
    if (done && answer) {
      showMessage(t("redeemed").replace("{points}", String(answer.points))
        .replace("{balance}", String(answer.points_balance)));
      $("points-balance").textContent = answer.points_balance;
      $("redeem-points").value = "";
      // The card follows loyalty's events (the balance, the list of points spent): look
      // again shortly, and once more a little later for a busy moment.
      for (const delay of [POLL_INTERVAL_MS, 4 * POLL_INTERVAL_MS]) {
        setTimeout(() => { if (state.card) { refreshCard(); } }, delay);
      }
    }
  }

  // ---- thank-yous ---------------------------------------------------------------------------
  // As with points, the thank-you's id is kept until registry has answered: pressing Enter
  // again after a network failure sends the same thank-you, not a second SMS and bonus.

  async function thankCustomer(event) {
    const body = {
      reason: $("thank-reason").value,
      bonus_points: numberOrUndefined("thank-points") ?? 0,
      note: $("thank-note").value.trim() || undefined,
    };
    const key = JSON.stringify([state.card?.customer_id, body]);
    if (!state.thankYou || state.thankYou.key !== key) {
      state.thankYou = { id: newId("ty-"), key };
    }
    const pending = state.thankYou;
    const done = await act(event, async (id) => {
      try {
        await api("POST", `/api/customers/${encodeURIComponent(id)}/thank-yous`,
                  { thank_you_id: pending.id, ...body });
        state.thankYou = null;
      } catch (error) {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          state.thankYou = null; // refused: a new attempt is a new thank-you
        }
        throw error;
      }
    }, "thanked");
    if (done) {
      if (body.bonus_points) {
        showMessage(t("thanked_points").replace("{points}", String(body.bonus_points)));
        // The balance follows loyalty's event: look again a little later too.
        setTimeout(() => { if (state.card) { refreshCard(); } }, 4 * POLL_INTERVAL_MS);
      }
      $("thank-points").value = "";
      $("thank-note").value = "";
    }
  }

  function openThankYou() {
    $("thank-reason").focus();
  }

  function offerWholeBalance() {
    const balance = Number.parseInt($("points-balance").textContent, 10);
    const field = $("redeem-points");
    field.value = Number.isFinite(balance) && balance > 0 ? String(balance) : "";
    field.focus();
    field.select();
  }

  // ---- the price to pay and refunds in the purchase form ---------------------------------
  // The operator types the list price; a customer whose category has a discount
  // (discount_percent, e.g. employees' special prices) pays less, and the amount recorded
  // is the price paid. Money is exact decimal arithmetic on BigInt, never a float.

  const MONEY = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;

  function toTenThousandths(text) {
    const match = MONEY.exec(String(text).trim().replace(",", "."));
    if (!match) {
      return null;
    }
    const units = BigInt(match[2]) * 10000n + BigInt((match[3] || "").padEnd(4, "0"));
    return match[1] ? -units : units;
  }

  // The price after `percent`% off, to the cent (half up); null when either is no number.
  function priceAfterDiscount(price, percent) {
    const listed = toTenThousandths(price);
    const off = toTenThousandths(percent);
    if (listed === null || off === null) {
      return null;
    }
    const scale = 1000000n * 100n; // percent in ten-thousandths, the price in ten-thousandths
    const cents = (listed * (1000000n - off) * 2n + scale) / (2n * scale);
    const whole = cents / 100n;
    return `${whole}.${String(cents % 100n).padStart(2, "0")}`;
  }

  // The discount that applies to what is typed now: none for a refund or a refund mode.
  function discountNow() {
    const percent = state.card ? toTenThousandths(state.card.discount_percent || "0") : null;
    const typed = toTenThousandths($("purchase-amount").value);
    if (state.refund || percent === null || percent <= 0n || typed === null || typed <= 0n) {
      return null;
    }
    return state.card.discount_percent;
  }

  function showPriceToPay() {
    const line = $("purchase-to-pay");
    const percent = discountNow();
    line.hidden = percent === null;
    if (percent === null) {
      line.textContent = "";
      return;
    }
    const shown = String(Number(percent));
    const category = categoryTitle(state.card.category) || state.card.category_title || "";
    line.textContent = t("to_pay")
      .replace("{amount}", priceAfterDiscount($("purchase-amount").value, percent))
      .replace("{currency}", $("purchase-currency").value.trim())
      .replace("{percent}", shown)
      .replace("{category}", category);
    line.dataset.amount = priceAfterDiscount($("purchase-amount").value, percent);
  }

  function startRefund(purchase) {
    state.refund = { purchase_id: purchase.purchase_id, currency: purchase.currency };
    $("purchase-form").dataset.mode = "refund";
    $("purchase-amount").value = `-${purchase.amount}`;
    $("purchase-currency").value = purchase.currency;
    $("purchase-currency").readOnly = true;
    $("purchase-discounted").checked = Boolean(purchase.discounted);
    const original = $("purchase-refund-of");
    original.textContent = `${purchase.amount} ${purchase.currency} · `
      + formatTime(purchase.occurred_at);
    original.dataset.purchaseId = purchase.purchase_id;
    original.title = purchase.purchase_id;
    $("purchase-refund").hidden = false;
    showPriceToPay();
    $("purchase-amount").focus();
  }

  function endRefund() {
    if (!state.refund) {
      return;
    }
    state.refund = null;
    delete $("purchase-form").dataset.mode;
    $("purchase-refund").hidden = true;
    $("purchase-currency").readOnly = false;
    $("purchase-amount").value = "";
    $("purchase-currency").value = defaultSetting("crm-default-currency", "RUB");
    $("purchase-discounted").checked = false;
    showPriceToPay();
  }

  async function recordPurchase(event) {
    const refund = state.refund;
    const typed = $("purchase-amount").value.trim().replace(",", ".");
    const percent = discountNow();
    const done = await act(event, (id) => api("POST", "/api/purchases", {
      customer_id: id,
      // Sent as a string: money never travels as a float. The price paid, after discount.
      amount: percent === null ? typed : priceAfterDiscount(typed, percent),
      currency: $("purchase-currency").value.trim().toUpperCase(),
      discounted: $("purchase-discounted").checked,
      payment_method: $("purchase-method").value,
      refund_of: refund ? refund.purchase_id : undefined,
    }), refund ? "refund_recorded" : "purchase_recorded");
    if (done) {
      endRefund();
      $("purchase-amount").value = "";
      $("purchase-discounted").checked = false;
      showPriceToPay();
    }
  }

  // ---- signing in ------------------------------------------------------------------------

  function forgetSession() {
    window.CrmSession.forget();
    showSignedIn(null);
  }

  function showSignedIn(session) {
    $("sign-in-form").hidden = Boolean(session);
    $("session-status").hidden = !session;
    $("session-name").textContent = session ? session.operator.display_name : "";
    const role = session ? session.operator.role : "";
    $("session-role").textContent = role ? t(`role.${role}`) : "";
    $("session-role").dataset.role = role;
    $("people-section").hidden = role !== "admin";
    $("erase-form").hidden = role !== "admin";
    $("redeem-form").hidden = role !== "operator" && role !== "admin"; // analysts read only
    $("thank-form").hidden = role !== "operator" && role !== "admin";
    if (role === "admin") {
      loadPeople();
    }
    emit("session", session);
  }

  // ---- people (admins) ---------------------------------------------------------------------

  async function loadPeople() {
    try {
      const people = await api("GET", "/api/operators");
      state.people = Array.isArray(people) ? people : [];
      renderPeople();
    } catch (error) {
      reportFailure(error);
    }
  }

  function renderPeople() {
    const rows = (state.people || []).map((person) => {
      const row = document.createElement("tr");
      row.dataset.operatorId = person.operator_id;
      row.dataset.active = String(person.active);
      const cells = [person.display_name, person.login || "", t(`role.${person.role}`),
        person.extension || "", t(person.active ? "active" : "disabled")];
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text; // never innerHTML: names are typed by people
        row.append(cell);
      }
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.dataset.action = "toggle";
      toggle.textContent = t(person.active ? "disable" : "enable");
      toggle.addEventListener("click", () => setActive(person, !person.active));
      const last = document.createElement("td");
      last.append(toggle);
      row.append(last);
      return row;
    });
    $("people-list").tBodies[0].replaceChildren(...rows);
  }

  async function setActive(person, active) {
    showError("");
    try {
      await api("PATCH", `/api/operators/${encodeURIComponent(person.operator_id)}`, { active });
      showMessage(t("person_changed"));
      await loadPeople();
    } catch (error) {
      reportFailure(error);
    }
  }

  async function createPerson(event) {
    event.preventDefault();
    showError("");
    const names = {};
    for (const lang of ["ru", "fa"]) {
      const value = $(`person-name-${lang}`).value.trim();
      if (value) {
        names[lang] = value;
      }
    }
    const body = {
      display_name: $("person-name").value.trim(),
      login: $("person-login").value.trim(),
      role: $("person-role").value,
      password: $("person-password").value,
      display_names: names,
    };
    const extension = $("person-extension").value.trim();
    if (extension) {
      body.extension = extension;
    }
    $("person-password").value = "";
    try {
      await api("POST", "/api/operators", body);
      $("person-form").reset();
      fillOptions($("person-role"));
      showMessage(t("person_created"));
      await loadPeople();
    } catch (error) {
      reportFailure(error);
    }
  }

  function askToSignIn() {
    showSignedIn(null);
    ($("login-input").value ? $("password-input") : $("login-input")).focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const login = $("login-input").value.trim();
    const password = $("password-input").value;
    $("password-input").value = ""; // never kept, not even in the form
    if (!login || !password) {
      askToSignIn();
      return;
    }
    try {
      window.CrmSession.keep(await window.CrmSession.send("POST", "/api/sessions",
                                                          { body: { login, password } }));
    } catch (error) {
      const wrong = error instanceof ApiError && error.status === 401;
      showError(wrong ? t("wrong_login") : error.message);
      $("password-input").focus();
      return;
    }
    showSignedIn(currentSession());
    showError("");
    await loadCategories();
    if (state.card) {
      lookUp(state.card.phone);
    } else {
      $("phone-input").focus();
    }
  }

  function signOut() {
    forgetSession();
    clearAll();
    $("login-input").value = "";
    askToSignIn();
  }

  // Renew shortly before expiry while the operator is working; an idle panel is let expire.
  async function renewIfDue() {
    const session = currentSession();
    if (!session || state.renewing) {
      return;
    }
    // Waiting for the phone to ring is working too: a panel whose line is open renews.
    const left = Date.parse(session.expires_at) - Date.now();
    const idle = Date.now() - state.lastActivity > ACTIVE_WITHIN_MS && !state.onDuty();
    if (left > RENEW_BEFORE_MS || idle) {
      return;
    }
    const renewal = { token: session.token };
    state.renewing = window.CrmSession.send("POST", "/api/sessions/renew", renewal)
      .then((renewed) => {
        window.CrmSession.keep(renewed);
        emit("session", currentSession());
      })
      .catch((error) => {
        if (error instanceof ApiError && error.status === 401) {
          forgetSession();
          showError(t("session_ended"));
          askToSignIn();
        }
      })
      .finally(() => {
        state.renewing = null;
      });
    await state.renewing;
  }

  // ---- start -------------------------------------------------------------------------------

  function start() {
    $("purchase-currency").value = defaultSetting("crm-default-currency", "RUB");
    document.querySelectorAll("[data-lang]").forEach((button) => {
      button.addEventListener("click", () => applyLanguage(button.dataset.lang));
    });
    $("sign-in-form").addEventListener("submit", signIn);
    $("person-form").addEventListener("submit", createPerson);
    for (const kind of ["keydown", "pointerdown"]) {
      document.addEventListener(kind, () => {
        state.lastActivity = Date.now();
      }, { capture: true, passive: true });
    }
    setInterval(renewIfDue, RENEW_CHECK_MS);
    $("logout-button").addEventListener("click", signOut);
    $("lookup-form").addEventListener("submit", (event) => {
      event.preventDefault();
      lookUp($("phone-input").value);
    });
    $("clear-button").addEventListener("click", clearAll);
    $("register-form").addEventListener("submit", register);
    $("category-form").addEventListener("submit", saveCategory);
    $("interaction-form").addEventListener("submit", logInteraction);
    $("purchase-form").addEventListener("submit", recordPurchase);
    $("purchase-amount").addEventListener("input", showPriceToPay);
    $("purchase-currency").addEventListener("input", showPriceToPay);
    $("purchase-refund-cancel").addEventListener("click", endRefund);
    $("erase-form").addEventListener("submit", eraseCustomer);
    $("redeem-form").addEventListener("submit", redeemPoints);
    $("thank-form").addEventListener("submit", thankCustomer);
    document.addEventListener("keydown", (event) => {
      // On a card, by the key's place (so any keyboard layout): R the whole balance to
      // spend, T the thank-you.
      const action = { KeyR: ["redeem-form", offerWholeBalance],
                       KeyT: ["thank-form", openThankYou] }[event.code];
      if (!action || event.ctrlKey || event.metaKey || event.altKey
          || !state.card || $(action[0]).hidden
          || event.target.closest("input, textarea, select, [contenteditable]")) {
        return;
      }
      event.preventDefault();
      action[1]();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        clearAll();
      }
    });

    if (window.CrmDesk) {
      window.CrmDesk.start(panelApi());
    }
    applyLanguage(window.CrmSession.keptLanguage() || "en");
    const session = currentSession();
    showSignedIn(session);
    if (session) {
      loadCategories();
      $("phone-input").focus();
    } else {
      askToSignIn();
    }
  }

  // ---- what desk.js uses ------------------------------------------------------------------

  const listeners = {};

  function emit(name, ...args) {
    for (const listener of listeners[name] || []) {
      listener(...args);
    }
  }

  function panelApi() {
    return {
      api, t, formatTime, reportFailure, showMessage, showError, showCard, showRegistration,
      showChoices, lookUp, refreshCard, resultButton,
      lang: () => state.lang,
      session: currentSession,
      card: () => state.card,
      on: (name, listener) => {
        (listeners[name] = listeners[name] || []).push(listener);
      },
      onDuty: (check) => {
        state.onDuty = check;
      },
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
