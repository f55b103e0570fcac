/*
 * The operator's desk, beside the caller card (app.js): the phone line, search, notes, the
 * full history and choosing a referrer. Uses the panel's API (window.CrmPanel, made by
 * app.js): its session, language, requests and card. No build step, nothing from outside.
 *
 * The line: while a person is signed in, an EventSource on /api/operators/me/stream (the
 * token as access_token: EventSource sends no headers). A `call` event shows the call bar
 * and, while it rings, the caller's card (or the registration form with the number filled
 * in) without a look-up; when the number is several customers' numbers, the choices (the
 * pick is the call's caller too). During the call and in after-call work, keys 1-5 give the outcome
 * (when the cursor is not in a text field; the bar's buttons take the focus at hang-up).
 * The line reconnects on its own, with a renewed token and in the panel's language.
 * Searches go in a POST body (POST /api/customers/search), never in a URL.
 *
 * Element ids (each also a data-testid):
 *   #line-status (data-state: on|off|none)
 *   #call-banner (data-state: ringing|answered|ended|logged) #call-state #call-phone
 *     #call-name #call-outcome (button[data-outcome][data-key]) #call-logged
 *   #search-form #search-input #search-button #search-section #search-results
 *     (li[data-customer-id] > button) #search-more #search-note
 *   #notes-section #card-notes (li[data-note-id]) #note-form #note-text #note-submit
 *     #notes-more
 *   #history-section #history-list (li[data-kind]) #history-load #history-more
 *   #referrer-input #referrer-results (li > button[data-customer-id]) #referrer-chosen
 *     (#register-referred-by keeps the chosen customer_id)
 */
"use strict";

(function () {
  const OUTCOMES = ["purchase", "no_purchase", "info", "trial", "complaint"]; // keys 1-5
  const PAGE = 20;
  const RECONNECT_MS = 2000;

  const TEXT = {
    en: {
      line_on: "Line: extension", line_off: "Line: connecting…",
      line_none: "No extension: calls will not pop up here",
      ringing: "Incoming call", answered: "On the call", ended: "Call ended",
      logged: "Call logged", unknown_caller: "Unknown number: register the caller",
      withheld: "Withheld number", outcome_prompt: "Outcome (keys 1–5):",
      several_callers: "Several customers have this number",
      logged_as: "Logged as", find: "Find a customer", search: "Find",
      find_hint: "Part of a name in any script, an email, a phone or card number, an id. Press / to search.",
      no_results: "Nobody found.", more: "More", narrow: "Many match: type more of the name.",
      notes: "Notes", add_note: "Add a note", note_saved: "Note saved.", all_notes: "All notes",
      no_notes: "No notes yet.", history: "History", full_history: "Full history",
      no_history: "Nothing yet.", referrer: "Referred by (phone or name)",
      referrer_none: "Nobody chosen", "matched.name": "name", "matched.email": "email",
      "matched.phone": "phone", "matched.card_number": "card", "matched.id": "id",
      "kind.purchase": "Purchase", "kind.interaction": "Interaction",
    },
    ru: {
      line_on: "Линия: добавочный", line_off: "Линия: подключение…",
      line_none: "Нет добавочного номера: звонки здесь не появятся",
      ringing: "Входящий звонок", answered: "Идёт разговор", ended: "Звонок завершён",
      logged: "Звонок записан", unknown_caller: "Неизвестный номер: зарегистрируйте клиента",
      withheld: "Номер скрыт", outcome_prompt: "Итог (клавиши 1–5):",
      several_callers: "Этот номер есть у нескольких клиентов",
      logged_as: "Записан как", find: "Найти клиента", search: "Найти",
      find_hint: "Часть имени на любом языке, email, телефон, номер карты или id. / — поиск.",
      no_results: "Никого не нашлось.", more: "Ещё",
      narrow: "Совпадений много: уточните имя.",
      notes: "Заметки", add_note: "Добавить заметку", note_saved: "Заметка сохранена.",
      all_notes: "Все заметки", no_notes: "Заметок пока нет.", history: "История",
      full_history: "Вся история", no_history: "Пока ничего.",
      referrer: "Кто порекомендовал (телефон или имя)", referrer_none: "Никто не выбран",
      "matched.name": "имя", "matched.email": "email", "matched.phone": "телефон",
      "matched.card_number": "карта", "matched.id": "id",
      "kind.purchase": "Покупка", "kind.interaction": "Обращение",
    },
    fa: {
      line_on: "خط: داخلی", line_off: "خط: در حال اتصال…",
      line_none: "داخلی ندارید: تماس‌ها اینجا نمایش داده نمی‌شوند",
      ringing: "تماس ورودی", answered: "در حال مکالمه", ended: "تماس پایان یافت",
      logged: "تماس ثبت شد", unknown_caller: "شماره ناشناس: تماس‌گیرنده را ثبت کنید",
      withheld: "شماره پنهان", outcome_prompt: "نتیجه (کلیدهای ۱ تا ۵):",
      several_callers: "این شماره متعلق به چند مشتری است",
      logged_as: "ثبت شد به‌عنوان", find: "جستجوی مشتری", search: "جستجو",
      find_hint: "بخشی از نام به هر خطی، ایمیل، تلفن، شماره کارت یا شناسه. / برای جستجو.",
      no_results: "کسی پیدا نشد.", more: "بیشتر",
      narrow: "نتایج زیاد است: نام را کامل‌تر بنویسید.",
      notes: "یادداشت‌ها", add_note: "افزودن یادداشت", note_saved: "یادداشت ذخیره شد.",
      all_notes: "همه یادداشت‌ها", no_notes: "هنوز یادداشتی نیست.", history: "سابقه",
      full_history: "همه سابقه", no_history: "هنوز چیزی نیست.",
      referrer: "معرف (تلفن یا نام)", referrer_none: "کسی انتخاب نشده",
      "matched.name": "نام", "matched.email": "ایمیل", "matched.phone": "تلفن",
      "matched.card_number": "کارت", "matched.id": "شناسه",
      "kind.purchase": "خرید", "kind.interaction": "تعامل",
    },
  };

  const $ = (id) => document.getElementById(id);
  let panel = null;
  const desk = {
    source: null, token: null, lang: null, retry: null, extension: undefined,
    call: null, search: { q: "", offset: 0 }, notesOffset: 0, historyOffset: 0,
    referrerSeq: 0, searchSeq: 0,
  };

  function say(key) {
    const lang = panel.lang();
    return (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || panel.t(key);
  }

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function item(text, attributes = {}) {
    const node = document.createElement("li");
    node.textContent = text;
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, value);
    }
    return node;
  }

  // ---- the line ----------------------------------------------------------------------------

  function connect() {
    const session = panel.session();
    const wanted = session && session.operator.operator_id ? session.token : null;
    if (desk.source && desk.token === wanted && desk.lang === panel.lang()) {
      return;
    }
    disconnect();
    if (!wanted) {
      showLine("off", false);
      return;
    }
    desk.token = wanted;
    desk.lang = panel.lang();
    const query = new URLSearchParams({ access_token: wanted, lang: desk.lang });
    const source = new EventSource(`/api/operators/me/stream?${query}`);
    desk.source = source;
    showLine("off", true);
    source.addEventListener("ready", (event) => {
      desk.extension = JSON.parse(event.data).extension;
      showLine(desk.extension ? "on" : "none", true);
    });
    source.addEventListener("call", (event) => onCall(JSON.parse(event.data)));
    source.addEventListener("session", () => reconnectSoon());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        reconnectSoon();
      } else {
        showLine("off", true);
      }
    };
  }

  function disconnect() {
    clearTimeout(desk.retry);
    if (desk.source) {
      desk.source.close();
    }
    desk.source = null;
    desk.token = null;
  }

  // A closed stream (token expired, registry restarted, the person changed): connect again
  // with the session as it is now; a session that has ended leaves the line off.
  function reconnectSoon() {
    disconnect();
    showLine("off", Boolean(panel.session()));
    desk.retry = setTimeout(connect, RECONNECT_MS);
  }

  function showLine(stateName, visible) {
    const line = $("line-status");
    line.hidden = !visible;
    line.dataset.state = stateName;
    line.textContent = stateName === "on" ? `${say("line_on")} ${desk.extension}`
      : say(stateName === "none" ? "line_none" : "line_off");
  }

  function onCall(call) {
    const previous = desk.call && desk.call.call_id === call.call_id ? desk.call : null;
    desk.call = call;
    renderCall();
    if (call.state !== "ended" && !previous) { // answered: a ring group's other phone
      if (call.card) {
        panel.showCard(call.card);
      } else if (call.choices && call.choices.length) {
        panel.showChoices(call.choices, (choice) => chooseCaller(call.call_id, choice));
      } else if (call.phone) {
        panel.showRegistration(call.phone);
        panel.showMessage(say("unknown_caller"));
      }
    }
    if (call.state === "ended" && !call.logged) {
      const first = document.querySelector("#call-outcome button");
      if (first && !typing(document.activeElement)) {
        first.focus();
      }
    }
  }

  function renderCall() {
    const call = desk.call;
    const banner = $("call-banner");
    if (!call) {
      banner.hidden = true;
      return;
    }
    const stateName = call.logged ? "logged" : call.state;
    banner.hidden = false;
    banner.dataset.state = stateName;
    $("call-state").textContent = say(stateName);
    const several = !call.card && call.choices && call.choices.length;
    $("call-phone").textContent = call.phone || say(several ? "several_callers" : "withheld");
    $("call-name").textContent = call.card ? call.card.full_name : "";
    const choosing = !call.logged && (call.state === "answered" || call.state === "ended" ||
      call.state === "ringing");
    $("call-outcome").hidden = !choosing;
    $("call-outcome-label").textContent = say("outcome_prompt");
    for (const button of document.querySelectorAll("#call-outcome button")) {
      button.textContent = `${button.dataset.key} ${panel.t(`outcome.${button.dataset.outcome}`)}`;
      button.setAttribute("aria-pressed", String(call.outcome === button.dataset.outcome));
    }
    const logged = $("call-logged");
    logged.hidden = !call.logged || !call.interaction_id;
    logged.textContent = call.outcome
      ? `${say("logged_as")}: ${panel.t(`outcome.${call.outcome}`)}` : "";
  }

  // The operator's pick among the customers the ringing number may be: the card opens, and
  // the call (and the interaction it logs) is that customer's.
  async function chooseCaller(callId, choice) {
    await panel.lookUp(choice.phone);
    try {
      await panel.api("POST", `/api/telephony/calls/${encodeURIComponent(callId)}/caller`,
        { customer_id: choice.customer_id });
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  async function chooseOutcome(outcome) {
    const call = desk.call;
    if (!call || call.logged) {
      return;
    }
    try {
      const answer = await panel.api("POST",
        `/api/telephony/calls/${encodeURIComponent(call.call_id)}/outcome`, { outcome });
      if (desk.call && desk.call.call_id === call.call_id) {
        desk.call = { ...desk.call, ...answer };
        renderCall();
      }
      if (answer.logged) {
        panel.refreshCard();
      }
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  function buildOutcomeButtons() {
    const group = $("call-outcome");
    OUTCOMES.forEach((outcome, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.outcome = outcome;
      button.dataset.key = String(index + 1);
      button.dataset.testid = `call-outcome-${outcome}`;
      button.addEventListener("click", () => chooseOutcome(outcome));
      group.append(button);
    });
  }

  // ---- search ------------------------------------------------------------------------------

  async function find(q, offset) {
    const seq = ++desk.searchSeq;
    try {
      const page = await panel.api("POST", "/api/customers/search", { q, offset, limit: PAGE });
      if (seq !== desk.searchSeq) {
        return;
      }
      desk.search = { q, offset: offset + page.items.length };
      const list = $("search-results");
      if (offset === 0) {
        list.replaceChildren();
      }
      for (const found of page.items) {
        list.append(resultItem(found, () => openCustomer(found)));
      }
      if (!list.children.length) {
        list.append(item(say("no_results"), { class: "muted" }));
      }
      $("search-more").hidden = !page.more;
      $("search-note").hidden = !page.narrow_it_down;
      $("search-note").textContent = say("narrow");
      $("search-section").hidden = false;
      if (offset === 0) {
        const first = list.querySelector("button");
        if (first) {
          first.focus();
        }
      }
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  function resultItem(found, choose) {
    const node = item("", { "data-customer-id": found.customer_id });
    const button = panel.resultButton(found, say(`matched.${found.matched}`));
    button.addEventListener("click", choose);
    node.append(button);
    return node;
  }

  async function openCustomer(found) {
    $("search-section").hidden = true;
    await panel.lookUp(found.phone);
  }

  // Up and down move through a list of results; Enter (a button) opens one.
  function arrowKeys(list) {
    list.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
        return;
      }
      const buttons = [...list.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      const next = buttons[at + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    });
  }

  // ---- notes and history ---------------------------------------------------------------------

  // A refreshed card (scoring answered, a note added) keeps the pages the operator opened;
  // another customer's card starts afresh.
  function onCard(card, another) {
    if (another) {
      desk.notesOffset = 0;
      desk.historyOffset = 0;
      $("history-list").replaceChildren();
      $("history-load").hidden = false;
      $("history-more").hidden = true;
    }
    if (desk.notesOffset === 0) {
      renderNotes(card.notes || [], true);
      $("notes-more").hidden = !card.notes || card.notes.length < 3;
    }
  }

  function noteItem(note) {
    const node = item("", { "data-note-id": note.note_id });
    const text = document.createElement("p");
    text.className = "note-text";
    text.textContent = note.text;
    const by = document.createElement("small");
    by.className = "muted";
    by.textContent = `${note.by_name} · ${panel.formatTime(note.at)}`;
    node.append(text, by);
    return node;
  }

  function renderNotes(notes, fresh) {
    const list = $("card-notes");
    if (fresh) {
      list.replaceChildren();
    }
    for (const note of notes) {
      list.append(noteItem(note));
    }
    if (!list.children.length) {
      list.append(item(say("no_notes"), { class: "muted" }));
    }
  }

  async function addNote(event) {
    event.preventDefault();
    const card = panel.card();
    const text = $("note-text").value.trim();
    if (!card || !text) {
      return;
    }
    try {
      desk.notesOffset = 0; // show the newest again, the new note first
      await panel.api("POST", `/api/customers/${encodeURIComponent(card.customer_id)}/notes`,
        { text });
      $("note-text").value = "";
      panel.showMessage(say("note_saved"));
      await panel.refreshCard();
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  async function moreNotes() {
    const card = panel.card();
    if (!card) {
      return;
    }
    try {
      const query = new URLSearchParams({ offset: String(desk.notesOffset), limit: String(PAGE) });
      const page = await panel.api("GET",
        `/api/customers/${encodeURIComponent(card.customer_id)}/notes?${query}`);
      renderNotes(page.items, desk.notesOffset === 0);
      desk.notesOffset += page.items.length;
      $("notes-more").hidden = !page.more;
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  function historyItem(entry) {
    const when = panel.formatTime(entry.occurred_at);
    let text;
    if (entry.kind === "purchase") {
      text = `${when} · ${say("kind.purchase")} · ${entry.amount} ${entry.currency} · ` +
        panel.t(`payment_method.${entry.payment_method}`);
    } else {
      const duration = entry.duration_s ? ` · ${entry.duration_s} ${panel.t("seconds")}` : "";
      const questions = entry.questions ? ` · ${entry.questions} ${panel.t("questions_n")}` : "";
      text = `${when} · ${panel.t(`channel.${entry.channel}`)} · ` +
        `${panel.t(`outcome.${entry.outcome}`)}${duration}${questions}`;
    }
    return item(text, { "data-kind": entry.kind });
  }

  async function loadHistory() {
    const card = panel.card();
    if (!card) {
      return;
    }
    try {
      const query = new URLSearchParams({
        offset: String(desk.historyOffset), limit: String(PAGE) });
      const page = await panel.api("GET",
        `/api/customers/${encodeURIComponent(card.customer_id)}/activity?${query}`);
      const list = $("history-list");
      if (desk.historyOffset === 0) {
        list.replaceChildren();
      }
      for (const entry of page.items) {
        list.append(historyItem(entry));
      }
      if (!list.children.length) {
        list.append(item(say("no_history"), { class: "muted" }));
      }
      desk.historyOffset += page.items.length;
      $("history-load").hidden = true;
      $("history-more").hidden = !page.more;
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  // ---- choosing a referrer -------------------------------------------------------------------

  async function findReferrer() {
    const q = $("referrer-input").value.trim();
    const seq = ++desk.referrerSeq;
    const list = $("referrer-results");
    if (q.length < 2) {
      list.replaceChildren();
      return;
    }
    try {
      const page = await panel.api("POST", "/api/customers/search", { q, limit: 8 });
      if (seq !== desk.referrerSeq) {
        return;
      }
      list.replaceChildren(...page.items.map((found) => resultItem(found, () => {
        $("register-referred-by").value = found.customer_id;
        $("referrer-chosen").textContent = `${found.full_name} (${found.phone || ""})`;
        list.replaceChildren();
        $("referrer-input").value = "";
      })));
    } catch (error) {
      panel.reportFailure(error);
    }
  }

  function onRegistration() {
    $("register-referred-by").value = "";
    $("referrer-chosen").textContent = say("referrer_none");
    $("referrer-results").replaceChildren();
  }

  // ---- start ---------------------------------------------------------------------------------

  function applyLanguage() {
    document.querySelectorAll("[data-desk-i18n]").forEach((node) => {
      node.textContent = say(node.dataset.deskI18n);
    });
    $("search-input").placeholder = say("find");
    if (!$("register-referred-by").value) {
      $("referrer-chosen").textContent = say("referrer_none");
    }
    renderCall();
    connect(); // the card in the call events speaks the panel's language
  }

  function start(api) {
    panel = api;
    buildOutcomeButtons();
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const q = $("search-input").value.trim();
      if (q) {
        find(q, 0);
      }
    });
    $("search-more").addEventListener("click", () => find(desk.search.q, desk.search.offset));
    arrowKeys($("search-results"));
    arrowKeys($("referrer-results"));
    $("note-form").addEventListener("submit", addNote);
    $("notes-more").addEventListener("click", moreNotes);
    $("history-load").addEventListener("click", loadHistory);
    $("history-more").addEventListener("click", loadHistory);
    let typingTimer = null;
    $("referrer-input").addEventListener("input", () => {
      clearTimeout(typingTimer);
      typingTimer = setTimeout(findReferrer, 250);
    });
    $("referrer-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault(); // choosing is a click or Enter on a result, not a submit
        findReferrer();
      } else if (event.key === "ArrowDown") {
        const first = $("referrer-results").querySelector("button");
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    document.addEventListener("keydown", (event) => {
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (event.key === "/") {
        event.preventDefault();
        $("search-input").focus();
        $("search-input").select();
        return;
      }
      // By the key's place, not its character: a Persian layout types ۱ on the same key.
      const digit = /^(?:Digit|Numpad)([1-5])$/.exec(event.code || "");
      if (digit && desk.call && !desk.call.logged && !$("call-outcome").hidden) {
        event.preventDefault();
        chooseOutcome(OUTCOMES[Number(digit[1]) - 1]);
      }
    });
    panel.on("language", applyLanguage);
    panel.on("session", connect);
    panel.on("card", onCard);
    panel.on("registration", onRegistration);
    panel.onDuty(() => Boolean(desk.source));
    applyLanguage();
  }

  window.CrmDesk = { start };
})();
