/*
 * The analyst view of the registry: which groups of customers are the most profitable,
 * for a chosen period; the value distribution with the gold and silver thresholds; lapsed
 * customers over time and why they left; survey ratings per employee; referrals. Vanilla
 * JS, no build step, nothing loaded from outside the suite: the charts are SVG drawn here.
 *
 * The reports are loyalty's and notify's, read through registry (same origin):
 *   GET /api/analytics/profitability?by=&from=&to=   GET /api/analytics/gold
 *   GET /api/analytics/lapsed?from=&to=               GET /api/analytics/referrals?from=&to=
 *   GET /api/surveys/summary?from=&to=
 * each also as format=csv (the Download buttons). Analysts and admins only.
 *
 * Element ids (each also a data-testid) that browser tests can rely on:
 *   #sign-in-form #login-input #password-input #sign-in-button #session-status
 *   #session-name #logout-button #lang-en #lang-ru #lang-fa #panel-link
 *   #period-form #period-from #period-to #period-apply #preset-month #preset-quarter
 *   #preset-year #preset-all #message #error #reports
 *   #by-category #by-source #by-person-type #by-segment (aria-selected)
 *   #profit-verdict #profit-chart (svg, rect.bar[data-group]) #profit-table #profit-csv
 *   #value-verdict #value-chart (svg, path.line, line.threshold.gold/.silver) #gold-csv
 *   #lapsed-verdict #lapsed-chart #winback-chart #lapsed-csv
 *   #ratings-verdict #ratings-chart #rates-table #why-us-chart #ratings-csv
 *   #referrals-verdict #referrals-chart #referrals-csv
 *
 * Signing in is the operator panel's: the same short-lived session, requests and sign-in
 * header (session.js), so coming from the panel needs no second sign-in. Money is
 * shown rounded to the currency's minor unit with grouped digits in the page's language
 * (Persian digits in Persian); the figures themselves stay exact in the API and the CSV.
 */
"use strict";

(() => {
  // session.js's: the session in this tab, the requests and the API's errors in words.
  const { ApiError, current: currentSession } = window.CrmSession;
  const SVG = "http://www.w3.org/2000/svg";

  const TEXT = {
    en: {
      title: "Analytics", to_panel: "Caller card", period: "Period",
      this_month: "This month", this_quarter: "This quarter", this_year: "This year",
      all_time: "All time", from: "From", to: "To", show: "Show",
      profitability: "Profitability", by_category: "Category", by_source: "Source",
      by_person_type: "Type", by_segment: "Segment", group: "Group", revenue: "Revenue",
      customers: "Customers", per_customer: "Per customer", share: "Share",
      download_csv: "Download CSV", download_gold: "Gold customers (CSV)",
      value_distribution: "Customer value", lapsed: "Lapsed customers",
      winback_reasons: "Why they left (win-back answers)",
      ratings: "Survey ratings per employee", survey: "Survey", sent: "Sent",
      answered: "Answered", response_rate: "Response rate",
      why_us: "Why customers choose us", referrals: "Referrals",
      verdict_profit: "Most profitable {dimension}: {group}, {share} of revenue ({revenue}), {per_customer} per customer.",
      verdict_no_revenue: "No revenue in this period.",
      verdict_value: "Gold from {gold} in value over 12 months ({gold_count} customers, the top {percent}%); silver from {silver}.",
      verdict_no_value: "The tiers have not been computed yet.",
      verdict_lapsed: "{count} customers lapsed in this period.",
      verdict_ratings: "Best rated: {name}, {rating} from {count} answers.",
      verdict_no_ratings: "No survey answers in this period.",
      verdict_referrals: "Top referrer: {id}, whose customers brought {revenue}.",
      verdict_no_referrals: "No referrals in this period.",
      no_data: "Nothing in this period.", answers_n: "{count} answers",
      x_customers: "customers (percent, by value)", gold: "gold", silver: "silver",
      need_role: "The analyst view is for analysts and admins.",
      session_ended: "Your session has ended: sign in again.",
      loading: "Loading…", "dimension.category": "category", "dimension.source": "source",
      "dimension.person_type": "type", "dimension.segment": "segment",
      "person_type.individual": "Individuals", "person_type.company": "Companies",
      "segment.chatty": "Chatty", "segment.bargain_hunter": "Bargain hunters",
      "segment.time_waster": "Time-wasters", "segment.interested": "Interested",
      "segment.company": "Companies", "segment.regular": "Regular",
      "survey.quality_survey": "Quality", "survey.winback_survey": "Win-back",
      "survey.why_us_survey": "Why us",
      "reason.price": "Price", "reason.service": "Service", "reason.moved": "Moved away",
      "reason.competitor": "A competitor", "reason.other": "Other",
      "reason.quality": "Quality", "reason.friendly_staff": "Friendly staff",
      "reason.location": "Location", "reason.recommendation": "Recommended to them",
      unknown: "Unknown",
    },
    ru: {
      title: "Аналитика", to_panel: "Карточка клиента", period: "Период",
      this_month: "Этот месяц", this_quarter: "Этот квартал", this_year: "Этот год",
      all_time: "Всё время", from: "С", to: "По", show: "Показать",
      profitability: "Прибыльность", by_category: "Категория", by_source: "Источник",
      by_person_type: "Тип", by_segment: "Сегмент", group: "Группа", revenue: "Выручка",
      customers: "Клиенты", per_customer: "На клиента", share: "Доля",
      download_csv: "Скачать CSV", download_gold: "Золотые клиенты (CSV)",
      value_distribution: "Ценность клиентов", lapsed: "Ушедшие клиенты",
      winback_reasons: "Почему ушли (ответы на опрос)",
      ratings: "Оценки сотрудников в опросах", survey: "Опрос", sent: "Отправлено",
      answered: "Ответили", response_rate: "Доля ответов",
      why_us: "Почему выбирают нас", referrals: "Рекомендации",
      verdict_profit: "Самая прибыльная группа ({dimension}): {group}, {share} выручки ({revenue}), {per_customer} на клиента.",
      verdict_no_revenue: "За этот период выручки нет.",
      verdict_value: "Золото — от {gold} ценности за 12 месяцев ({gold_count} клиентов, верхние {percent}%); серебро — от {silver}.",
      verdict_no_value: "Уровни ещё не рассчитаны.",
      verdict_lapsed: "Ушедших за период: {count}.",
      verdict_ratings: "Лучшая оценка: {name}, {rating} по {count} ответам.",
      verdict_no_ratings: "За этот период ответов на опросы нет.",
      verdict_referrals: "Лучший рекомендатель: {id}, его клиенты принесли {revenue}.",
      verdict_no_referrals: "За этот период рекомендаций нет.",
      no_data: "За этот период данных нет.", answers_n: "ответов: {count}",
      x_customers: "клиенты (процент, по ценности)", gold: "золото", silver: "серебро",
      need_role: "Аналитика доступна аналитикам и администраторам.",
      session_ended: "Сеанс завершён: войдите снова.",
      loading: "Загрузка…", "dimension.category": "категория",
      "dimension.source": "источник", "dimension.person_type": "тип",
      "dimension.segment": "сегмент",
      "person_type.individual": "Частные лица", "person_type.company": "Компании",
      "segment.chatty": "Общительные", "segment.bargain_hunter": "Охотники за скидками",
      "segment.time_waster": "Тратят время", "segment.interested": "Заинтересованные",
      "segment.company": "Компании", "segment.regular": "Обычные",
      "survey.quality_survey": "Качество", "survey.winback_survey": "Возврат",
      "survey.why_us_survey": "Почему мы",
      "reason.price": "Цена", "reason.service": "Обслуживание", "reason.moved": "Переехали",
      "reason.competitor": "Конкурент", "reason.other": "Другое",
      "reason.quality": "Качество", "reason.friendly_staff": "Вежливый персонал",
      "reason.location": "Расположение", "reason.recommendation": "Порекомендовали",
      unknown: "Неизвестно",
    },
    fa: {
      title: "تحلیل", to_panel: "کارت مشتری", period: "بازه",
      this_month: "این ماه", this_quarter: "این فصل", this_year: "امسال",
      all_time: "همه زمان‌ها", from: "از", to: "تا", show: "نمایش",
      profitability: "سودآوری", by_category: "دسته", by_source: "منبع",
      by_person_type: "نوع", by_segment: "بخش", group: "گروه", revenue: "درآمد",
      customers: "مشتریان", per_customer: "به ازای هر مشتری", share: "سهم",
      download_csv: "دریافت CSV", download_gold: "مشتریان طلایی (CSV)",
      value_distribution: "ارزش مشتریان", lapsed: "مشتریان از دست رفته",
      winback_reasons: "چرا رفتند (پاسخ‌های نظرسنجی)",
      ratings: "امتیاز کارکنان در نظرسنجی‌ها", survey: "نظرسنجی", sent: "فرستاده",
      answered: "پاسخ داده", response_rate: "نرخ پاسخ",
      why_us: "چرا ما را انتخاب می‌کنند", referrals: "معرفی‌ها",
      verdict_profit: "سودآورترین گروه ({dimension}): {group}، {share} از درآمد ({revenue})، {per_customer} به ازای هر مشتری.",
      verdict_no_revenue: "در این بازه درآمدی نیست.",
      verdict_value: "طلایی از {gold} ارزش در ۱۲ ماه ({gold_count} مشتری، {percent}٪ بالا)؛ نقره‌ای از {silver}.",
      verdict_no_value: "سطح‌ها هنوز محاسبه نشده‌اند.",
      verdict_lapsed: "{count} مشتری در این بازه از دست رفتند.",
      verdict_ratings: "بهترین امتیاز: {name}، {rating} از {count} پاسخ.",
      verdict_no_ratings: "در این بازه پاسخی به نظرسنجی‌ها نیست.",
      verdict_referrals: "برترین معرف: {id}، مشتریانش {revenue} آوردند.",
      verdict_no_referrals: "در این بازه معرفی‌ای نیست.",
      no_data: "در این بازه داده‌ای نیست.", answers_n: "{count} پاسخ",
      x_customers: "مشتریان (درصد، بر پایه ارزش)", gold: "طلایی", silver: "نقره‌ای",
      need_role: "این بخش برای تحلیل‌گران و مدیران است.",
      session_ended: "نشست شما پایان یافت: دوباره وارد شوید.",
      loading: "در حال بارگذاری…", "dimension.category": "دسته",
      "dimension.source": "منبع", "dimension.person_type": "نوع",
      "dimension.segment": "بخش",
      "person_type.individual": "اشخاص حقیقی", "person_type.company": "شرکت‌ها",
      "segment.chatty": "پرحرف", "segment.bargain_hunter": "شکارچی تخفیف",
      "segment.time_waster": "وقت‌گیر", "segment.interested": "علاقه‌مند",
      "segment.company": "شرکت‌ها", "segment.regular": "عادی",
      "survey.quality_survey": "کیفیت", "survey.winback_survey": "بازگشت",
      "survey.why_us_survey": "چرا ما",
      "reason.price": "قیمت", "reason.service": "خدمات", "reason.moved": "جابه‌جایی",
      "reason.competitor": "رقیب", "reason.other": "دیگر",
      "reason.quality": "کیفیت", "reason.friendly_staff": "کارکنان خوش‌برخورد",
      "reason.location": "مکان", "reason.recommendation": "معرفی دیگران",
      unknown: "نامشخص",
    },
  };

  const state = {
    lang: "en",
    by: "category",
    preset: "quarter",
    reports: null,
    titles: { category: {}, source: {} },
    minorUnits: {}, // per currency, as loyalty's reports name them (shared/currencies)
  };

  const $ = (id) => document.getElementById(id);

  function t(key) {
    const table = TEXT[state.lang] || TEXT.en;
    return table[key] ?? TEXT.en[key] ?? window.CrmSession.t(key, state.lang);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  // ---- numbers, in the page's language ---------------------------------------------------

  function money(amount, currency) {
    const digits = state.minorUnits[currency] ?? 2;
    const number = Number(amount);
    const text = new Intl.NumberFormat(state.lang, {
      minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: true,
    }).format(Number.isFinite(number) ? number : 0);
    return `${text} ${currency || ""}`.trim();
  }

  function count(value) {
    return new Intl.NumberFormat(state.lang).format(Number(value) || 0);
  }

  function percent(fraction, digits = 1) {
    return new Intl.NumberFormat(state.lang, {
      style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits,
    }).format(Number(fraction) || 0);
  }

  function groupTitle(by, group) {
    if (group === "unknown") {
      return t("unknown");
    }
    const titles = state.titles[by]?.[group];
    if (titles) {
      return titles[state.lang] || titles.en || group;
    }
    const key = `${by}.${group}`;
    return t(key) === key ? group : t(key);
  }

  // ---- signing in -------------------------------------------------------------------------

  // A GET of registry's API with this tab's token (a CSV download's response when raw).
  function request(path, { raw = false } = {}) {
    return window.CrmSession.send("GET", path, { token: currentSession()?.token, raw });
  }

  function showError(text) {
    $("error").textContent = text;
    $("error").hidden = !text;
  }

  function showMessage(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  function report(error) {
    if (error instanceof ApiError && error.status === 401) {
      window.CrmSession.forget();
      showSignedIn();
      showError(t("session_ended"));
    } else if (error instanceof ApiError && error.status === 403) {
      showError(t("need_role"));
    } else {
      showError(error.message || String(error));
    }
  }

  function showSignedIn() {
    const session = currentSession();
    $("sign-in-form").hidden = Boolean(session);
    $("session-status").hidden = !session;
    $("session-name").textContent = session ? session.operator.display_name : "";
    $("reports").hidden = !session || !["analyst", "admin"].includes(session.operator.role);
    if (session && $("reports").hidden) {
      showError(t("need_role"));
    }
  }

  async function signIn(event) {
    event.preventDefault();
    const login = $("login-input").value.trim();
    const password = $("password-input").value;
    $("password-input").value = ""; // never kept
    try {
      window.CrmSession.keep(await window.CrmSession.send("POST", "/api/sessions",
                                                          { body: { login, password } }));
    } catch (error) {
      showError(error instanceof ApiError && error.status === 401 ? t("wrong_login")
                                                                  : error.message);
      return;
    }
    showError("");
    showSignedIn();
    if (!$("reports").hidden) {
      await load();
    }
  }

  function signOut() {
    window.CrmSession.forget();
    state.reports = null;
    showSignedIn();
  }

  // ---- the period --------------------------------------------------------------------------

  function isoDay(moment) {
    return moment.toISOString().slice(0, 10);
  }

  function presetPeriod(preset, today = new Date()) {
    const year = today.getUTCFullYear();
    const month = today.getUTCMonth();
    const start = {
      month: new Date(Date.UTC(year, month, 1)),
      quarter: new Date(Date.UTC(year, month - (month % 3), 1)),
      year: new Date(Date.UTC(year, 0, 1)),
    }[preset];
    return start ? { from: isoDay(start), to: isoDay(today) } : { from: "", to: "" };
  }

  function choosePreset(preset) {
    state.preset = preset;
    const period = presetPeriod(preset);
    $("period-from").value = period.from;
    $("period-to").value = period.to;
    markPreset();
  }

  function markPreset() {
    document.querySelectorAll("[data-preset]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.preset === state.preset));
    });
  }

  function periodQuery() {
    const query = new URLSearchParams();
    if ($("period-from").value) {
      query.set("from", $("period-from").value);
    }
    if ($("period-to").value) {
      query.set("to", $("period-to").value);
    }
    return query;
  }

  function withQuery(path, extra = {}) {
    const query = periodQuery();
    for (const [name, value] of Object.entries(extra)) {
      query.set(name, value);
    }
    const text = query.toString();
    return text ? `${path}?${text}` : path;
  }

  // ---- loading -------------------------------------------------------------------------------

  async function loadTitles() {
    const [categories, sources] = await Promise.all([
      request("/api/categories").catch(() => []),
      request("/api/sources").catch(() => []), // where sources are an admin-managed list
    ]);
    for (const [by, list] of [["category", categories], ["source", sources]]) {
      state.titles[by] = Object.fromEntries(
        (Array.isArray(list) ? list : []).map((item) => [item.slug, item.titles || {}]));
    }
  }

  // Each load is numbered: an answer that arrives after a newer request was made (another
  // period, another grouping) is dropped, so the page never shows an older choice's figures.
  let loads = 0;
  let profits = 0;

  async function load() {
    const mine = ++loads;
    const profitAsked = ++profits;
    showError("");
    showMessage(t("loading"));
    try {
      const [profit, gold, lapsed, referrals, surveys] = await Promise.all([
        request(withQuery("/api/analytics/profitability", { by: state.by })),
        request("/api/analytics/gold?limit=0"),
        request(withQuery("/api/analytics/lapsed", { limit: 1 })),
        request(withQuery("/api/analytics/referrals", { limit: 10 })),
        request(withQuery("/api/surveys/summary")),
        loadTitles(),
      ]);
      if (mine !== loads) {
        return;
      }
      const newer = profitAsked !== profits && state.reports ? state.reports.profit : null;
      for (const answer of [profit, gold, lapsed, referrals]) {
        state.minorUnits[answer.value_currency] = answer.minor_units;
      }
      state.reports = { profit: newer || profit, gold, lapsed, referrals, surveys };
      showMessage("");
      render();
    } catch (error) {
      if (mine === loads) {
        showMessage("");
        report(error);
      }
    }
  }

  async function loadProfit(by) {
    state.by = by;
    markTabs();
    if (!state.reports) {
      await load();
      return;
    }
    const mine = ++profits;
    try {
      const profit = await request(withQuery("/api/analytics/profitability", { by }));
      if (mine === profits && state.reports) {
        state.reports.profit = profit;
        renderProfit();
      }
    } catch (error) {
      if (mine === profits) {
        report(error);
      }
    }
  }

  async function download(path, extra) {
    try {
      const response = await request(withQuery(path, { ...extra, format: "csv" }),
                                     { raw: true });
      const blob = await response.blob();
      const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = named ? named[1] : "report.csv";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (error) {
      report(error);
    }
  }

  // ---- charts (SVG) -------------------------------------------------------------------------
  // Drawn left to right and mirrored for a right-to-left page, so bars grow from the side
  // the page starts on. The SVG itself stays direction="ltr" (its text-anchor then means
  // what the mirroring expects); each label's own text is still laid out right to left.

  function chart(width, height, title) {
    return svgNode("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", direction: "ltr",
                            "aria-label": title });
  }

  function short(text, most = 26) {
    return text.length > most ? `${text.slice(0, most - 1)}…` : text;
  }

  function svgNode(name, attributes = {}, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) {
      node.setAttribute(key, String(value));
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function empty(container) {
    const note = document.createElement("p");
    note.className = "empty";
    note.textContent = t("no_data");
    container.replaceChildren(note);
  }

  const rtl = () => state.lang === "fa";

  // Horizontal bars: [{key, label, value (number), text}], the longest the whole width.
  function bars(container, items, { best = null, title = "" } = {}) {
    if (!items.length) {
      empty(container);
      return;
    }
    const width = 720;
    const labelWidth = 190;
    const valueWidth = 170;
    const row = 30;
    const height = items.length * row + 8;
    const top = Math.max(...items.map((item) => Math.abs(item.value)), 1e-9);
    const room = width - labelWidth - valueWidth;
    const svg = chart(width, height, title);
    const x = (position, size = 0) => (rtl() ? width - position - size : position);
    const anchor = (side) => (rtl() ? (side === "start" ? "end" : "start") : side);
    items.forEach((item, index) => {
      const y = index * row + 4;
      const size = Math.max(Math.abs(item.value) / top * room, item.value ? 2 : 0);
      svg.append(svgNode("text", { class: "label", x: x(labelWidth - 8), y: y + 17,
                                   "text-anchor": anchor("end") }, short(item.label)));
      const bar = svgNode("rect", {
        class: `bar${item.value < 0 ? " negative" : ""}${item.key === best ? " best" : ""}`,
        x: x(labelWidth, size), y, width: size, height: row - 8, rx: 3,
        "data-group": item.key,
      });
      bar.append(svgNode("title", {}, `${item.label}: ${item.text}`));
      svg.append(bar);
      svg.append(svgNode("text", { class: "value", x: x(labelWidth + size + 6), y: y + 17,
                                   "text-anchor": anchor("start") }, item.text));
    });
    container.replaceChildren(svg);
  }

  // Columns over time: [{label, value}] (counts), one per month.
  function columns(container, items, title) {
    if (!items.length) {
      empty(container);
      return;
    }
    const width = 720;
    const height = 200;
    const bottom = 28;
    const step = Math.min(width / items.length, 90);
    const top = Math.max(...items.map((item) => item.value), 1);
    const svg = chart(width, height, title);
    items.forEach((item, index) => {
      const size = (item.value / top) * (height - bottom - 20);
      const left = rtl() ? width - (index + 1) * step : index * step;
      const bar = svgNode("rect", { class: "bar", x: left + step * 0.15, y: height - bottom - size,
                                    width: step * 0.7, height: size, rx: 2,
                                    "data-month": item.key });
      bar.append(svgNode("title", {}, `${item.label}: ${count(item.value)}`));
      svg.append(bar);
      svg.append(svgNode("text", { class: "value", x: left + step / 2,
                                   y: height - bottom - size - 4, "text-anchor": "middle" },
                         count(item.value)));
      svg.append(svgNode("text", { class: "axis", x: left + step / 2, y: height - 8,
                                   "text-anchor": "middle" }, item.label));
    });
    container.replaceChildren(svg);
  }

  // The value at each percentile of customers, with the tier thresholds as lines.
  function distribution(container, points, thresholds, currency) {
    if (!points.length) {
      empty(container);
      return;
    }
    const width = 720;
    const height = 240;
    const pad = { left: 12, right: 12, top: 16, bottom: 28 };
    // Value on a logarithmic scale: a few customers worth a hundred times the rest would
    // otherwise flatten everyone else (and the thresholds) onto the axis.
    const scale = (value) => Math.log10(1 + Math.max(0, value));
    const values = points.map((point) => Number(point.value));
    const highest = Math.max(...values, ...thresholds.map((line) => Number(line.value) || 0));
    const top = Math.max(scale(highest), 1e-9);
    const xOf = (share) => {
      const along = pad.left + (share / 100) * (width - pad.left - pad.right);
      return rtl() ? width - along : along;
    };
    const yOf = (value) => height - pad.bottom
      - (scale(value) / top) * (height - pad.top - pad.bottom);
    const svg = chart(width, height, t("value_distribution"));
    const path = points.map((point, index) =>
      `${index ? "L" : "M"}${xOf(point.percent).toFixed(1)},${yOf(Number(point.value)).toFixed(1)}`);
    const base = yOf(0).toFixed(1);
    svg.append(svgNode("path", { class: "area",
      d: `M${xOf(points[0].percent).toFixed(1)},${base} ${path.join(" ").replace(/^M/, "L")} `
         + `L${xOf(points[points.length - 1].percent).toFixed(1)},${base} Z` }));
    svg.append(svgNode("path", { class: "line", d: path.join(" ") }));
    const powers = Math.floor(Math.log10(Math.max(highest, 1)));
    const every = Math.max(1, Math.ceil(powers / 4));
    for (let power = every; power <= powers; power += every) {  // 10, 1,000, ... on the side
      const y = yOf(10 ** power);
      svg.append(svgNode("text", { class: "axis", x: xOf(0), y: y - 2,
                                   "text-anchor": rtl() ? "end" : "start" }, count(10 ** power)));
    }
    let previous = null;
    for (const line of thresholds) {
      if (line.value === null || line.value === undefined) {
        continue;
      }
      const y = yOf(Number(line.value));
      svg.append(svgNode("line", { class: `threshold ${line.tier}`, x1: xOf(0), x2: xOf(100),
                                   y1: y, y2: y }));
      // above its line; below it when it would sit on the label above
      const labelY = previous !== null && Math.abs(previous - (y - 4)) < 14 ? y + 14 : y - 4;
      svg.append(svgNode("text", { class: `threshold-label ${line.tier}`, x: xOf(12), y: labelY,
                                   "text-anchor": rtl() ? "end" : "start" },
                         `${t(line.tier)} ${money(line.value, currency)}`));
      previous = labelY;
    }
    for (const share of [0, 25, 50, 75, 100]) {
      svg.append(svgNode("text", { class: "axis", x: xOf(share), y: height - 8,
                                   "text-anchor": "middle" }, percent(share / 100, 0)));
    }
    svg.append(svgNode("title", {}, t("x_customers")));
    container.replaceChildren(svg);
  }

  // ---- the reports ----------------------------------------------------------------------------

  function markTabs() {
    document.querySelectorAll("[data-by]").forEach((tab) => {
      tab.setAttribute("aria-selected", String(tab.dataset.by === state.by));
    });
  }

  function renderProfit() {
    const profit = state.reports.profit;
    const currency = profit.value_currency;
    const groups = profit.groups.filter((group) => Number(group.revenue) !== 0
                                                   || group.customers > 0);
    const [first] = groups;
    $("profit-verdict").textContent = first && Number(first.revenue) > 0
      ? fill(t("verdict_profit"), {
        dimension: t(`dimension.${profit.by}`), group: groupTitle(profit.by, first.group),
        share: percent(first.share), revenue: money(first.revenue, currency),
        per_customer: money(first.revenue_per_customer, currency),
      })
      : t("verdict_no_revenue");
    bars($("profit-chart"), groups.map((group) => ({
      key: group.group, label: groupTitle(profit.by, group.group),
      value: Number(group.revenue), text: `${money(group.revenue, currency)} · ${percent(group.share)}`,
    })), { best: first && Number(first.revenue) > 0 ? first.group : null,
           title: t("profitability") });
    const body = $("profit-table").tBodies[0];
    body.replaceChildren(...groups.map((group) => {
      const row = document.createElement("tr");
      row.dataset.group = group.group;
      const cells = [groupTitle(profit.by, group.group), money(group.revenue, currency),
                     count(group.customers), money(group.revenue_per_customer, currency),
                     percent(group.share)];
      cells.forEach((text, index) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (index) {
          cell.className = "number";
        }
        row.append(cell);
      });
      return row;
    }));
  }

  function renderValue() {
    const gold = state.reports.gold;
    const currency = gold.value_currency;
    $("value-verdict").textContent = gold.gold_threshold === null
      ? t("verdict_no_value")
      : fill(t("verdict_value"), {
        gold: money(gold.gold_threshold, currency), gold_count: count(gold.count),
        percent: count(gold.gold_percent),
        silver: gold.silver_threshold === null ? "—" : money(gold.silver_threshold, currency),
      });
    distribution($("value-chart"), gold.distribution || [], [
      { tier: "gold", value: gold.gold_threshold },
      { tier: "silver", value: gold.silver_threshold },
    ], currency);
  }

  function monthLabel(month) {
    const [year, number] = month.split("-").map(Number);
    return new Intl.DateTimeFormat(state.lang, { month: "short", year: "numeric",
                                                 timeZone: "UTC" })
      .format(new Date(Date.UTC(year, number - 1, 1)));
  }

  function reasons(container, items, title) {
    bars(container, items.map((item) => ({
      key: item.reason, label: t(`reason.${item.reason}`), value: item.count,
      text: count(item.count),
    })), { title });
  }

  function renderLapsed() {
    const lapsed = state.reports.lapsed;
    $("lapsed-verdict").textContent = fill(t("verdict_lapsed"), { count: count(lapsed.count) });
    columns($("lapsed-chart"), lapsed.by_month.map((item) => ({
      key: item.month, label: monthLabel(item.month), value: item.lapsed,
    })), t("lapsed"));
    reasons($("winback-chart"), state.reports.surveys.winback_reasons || [],
            t("winback_reasons"));
  }

  function renderRatings() {
    const surveys = state.reports.surveys;
    const employees = surveys.employees.filter((row) => row.average_rating !== null);
    // The best rated among those with enough answers to say so (a fifth of the most
    // answered, at least five), else among all.
    const most = Math.max(0, ...employees.map((row) => row.responses));
    const enough = employees.filter((row) => row.responses >= Math.max(5, most / 5));
    const best = [...(enough.length ? enough : employees)].sort(
      (a, b) => b.average_rating - a.average_rating || b.responses - a.responses)[0];
    $("ratings-verdict").textContent = best
      ? fill(t("verdict_ratings"), { name: best.display_name || best.employee_id,
                                     rating: count(best.average_rating),
                                     count: count(best.responses) })
      : t("verdict_no_ratings");
    bars($("ratings-chart"), employees.map((row) => ({
      key: row.employee_id, label: row.display_name || row.employee_id,
      value: row.average_rating,
      text: `${count(row.average_rating)} · ${fill(t("answers_n"), { count: count(row.responses) })}`,
    })), { best: best ? best.employee_id : null, title: t("ratings") });
    const body = $("rates-table").tBodies[0];
    body.replaceChildren(...Object.entries(surveys.response_rates || {}).map(([kind, rate]) => {
      const row = document.createElement("tr");
      row.dataset.kind = kind;
      [t(`survey.${kind}`), count(rate.sent), count(rate.answered),
       rate.response_rate === null ? "—" : percent(rate.response_rate)].forEach((text, index) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (index) {
          cell.className = "number";
        }
        row.append(cell);
      });
      return row;
    }));
    reasons($("why-us-chart"), surveys.why_us_answers || [], t("why_us"));
  }

  function renderReferrals() {
    const referrals = state.reports.referrals;
    const currency = referrals.value_currency;
    const top = referrals.top.filter((row) => Number(row.revenue) > 0);
    $("referrals-verdict").textContent = top.length
      ? fill(t("verdict_referrals"), { id: top[0].referrer_id,
                                       revenue: money(top[0].revenue, currency) })
      : t("verdict_no_referrals");
    bars($("referrals-chart"), top.map((row) => ({
      key: row.referrer_id, label: row.referrer_id, value: Number(row.revenue),
      text: `${money(row.revenue, currency)} · ${count(row.referred_customers)}`,
    })), { best: top.length ? top[0].referrer_id : null, title: t("referrals") });
  }

  function render() {
    if (!state.reports) {
      return;
    }
    markTabs();
    renderProfit();
    renderValue();
    renderLapsed();
    renderRatings();
    renderReferrals();
  }

  // ---- language --------------------------------------------------------------------------------

  function applyLanguage(lang) {
    state.lang = TEXT[lang] ? lang : "en";
    window.CrmSession.showLanguage(state.lang, t);
    document.title = t("title");
    render();
  }

  // ---- wiring -----------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    applyLanguage(window.CrmSession.keptLanguage() || navigator.language.slice(0, 2));
    document.querySelectorAll("[data-lang]").forEach((button) => {
      button.addEventListener("click", () => applyLanguage(button.dataset.lang));
    });
    $("sign-in-form").addEventListener("submit", signIn);
    $("logout-button").addEventListener("click", signOut);
    document.querySelectorAll("[data-preset]").forEach((button) => {
      button.addEventListener("click", () => {
        choosePreset(button.dataset.preset);
        load();
      });
    });
    $("period-form").addEventListener("submit", (event) => {
      event.preventDefault();
      state.preset = "";
      markPreset();
      load();
    });
    document.querySelectorAll("[data-by]").forEach((tab) => {
      tab.addEventListener("click", () => loadProfit(tab.dataset.by));
    });
    $("profit-csv").addEventListener("click",
      () => download("/api/analytics/profitability", { by: state.by }));
    $("gold-csv").addEventListener("click", () => download("/api/analytics/gold", {}));
    $("lapsed-csv").addEventListener("click", () => download("/api/analytics/lapsed", {}));
    $("ratings-csv").addEventListener("click", () => download("/api/surveys/summary", {}));
    $("referrals-csv").addEventListener("click",
      () => download("/api/analytics/referrals", {}));
    choosePreset(state.preset);
    showSignedIn();
    if (!$("reports").hidden) {
      load();
    }
  });
})();
