/*
 * What the operator panel (app.js) and the analyst view (analytics.js) share: the session,
 * the requests to registry's API, the page's language and the words of the sign-in header
 * (static/sign-in.html, which registry puts into both pages). Loaded before the page's own
 * script, as window.CrmSession.
 *
 * The session: login and password go to POST /api/sessions once and the password is never
 * stored; the short-lived token, its expiry and who signed in are kept in sessionStorage
 * ("crm-session", this tab only), so going from one page to the other needs no second
 * sign-in. The language chosen on one page is kept for the other (localStorage "crm-lang");
 * words are in the page's language (<html lang>, set by showLanguage).
 */
"use strict";

window.CrmSession = (() => {
  const SESSION_KEY = "crm-session";
  const LANG_KEY = "crm-lang";

  const TEXT = {
    en: {
      language: "Language", login: "Login", password: "Password", sign_in: "Sign in",
      sign_out: "Sign out", wrong_login: "Wrong login or password.",
      need_token: "Sign in first.", network: "The server cannot be reached.",
      server_error: "Server error",
    },
    ru: {
      language: "Язык", login: "Логин", password: "Пароль", sign_in: "Войти",
      sign_out: "Выйти", wrong_login: "Неверный логин или пароль.",
      need_token: "Сначала войдите.", network: "Сервер недоступен.",
      server_error: "Ошибка сервера",
    },
    fa: {
      language: "زبان", login: "نام کاربری", password: "گذرواژه", sign_in: "ورود",
      sign_out: "خروج", wrong_login: "نام کاربری یا گذرواژه نادرست است.",
      need_token: "ابتدا وارد شوید.", network: "دسترسی به سرور ممکن نیست.",
      server_error: "خطای سرور",
    },
  };

  // The key itself when no table holds it.
  function t(key, lang = document.documentElement.lang) {
    const table = TEXT[lang] || TEXT.en;
    return table[key] ?? TEXT.en[key] ?? key;
  }

  // ---- the page's language ------------------------------------------------------------

  function keptLanguage() {
    return localStorage.getItem(LANG_KEY);
  }

  // The page in this language, kept for the next page: <html lang dir>, every data-i18n
  // text and data-i18n-aria-label in words(key), the language's button pressed.
  function showLanguage(lang, words) {
    localStorage.setItem(LANG_KEY, lang);
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === "fa" ? "rtl" : "ltr";
    document.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = words(node.dataset.i18n);
    });
    document.querySelectorAll("[data-i18n-aria-label]").forEach((node) => {
      node.setAttribute("aria-label", words(node.dataset.i18nAriaLabel));
    });
    document.querySelectorAll("[data-lang]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    });
  }

  // ---- the session in this tab ---------------------------------------------------------

  function current() {
    try {
      const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      if (session && session.token && Date.parse(session.expires_at) > Date.now()) {
        return session;
      }
    } catch (error) {
      // an unreadable entry is no session
    }
    return null;
  }

  function keep(session) {
    // The token and who it is; never the password.
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({
      token: session.token,
      expires_at: session.expires_at,
      operator: {
        operator_id: session.operator.operator_id,
        display_name: session.operator.display_name,
        role: session.operator.role,
      },
    }));
  }

  function forget() {
    sessionStorage.removeItem(SESSION_KEY);
  }

  // ---- the API -------------------------------------------------------------------------

  // The API's {"detail": ...}: a string, {message, ...}, or FastAPI's list of {loc, msg}.
  function describeDetail(detail) {
    if (typeof detail === "string") {
      return detail;
    }
    if (Array.isArray(detail)) {
      return detail
        .map((item) => {
          const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== "body") : [];
          return loc.length ? `${loc.join(".")}: ${item.msg}` : String(item.msg);
        })
        .join("\n");
    }
    if (detail && typeof detail === "object" && detail.message) {
      return String(detail.message);
    }
    return "";
  }

  class ApiError extends Error {
    constructor(status, detail, payload = null) {
      super(describeDetail(detail) || `${t("server_error")} ${status}`);
      this.status = status;
      this.detail = detail;
      this.payload = payload; // the whole answer: a 300 carries the choices beside detail
    }
  }

  // One request, with the token when one is given. The answer's JSON (null when it has
  // none); with raw, the response itself (a CSV download). A failure is an ApiError.
  async function send(method, path, { body, token, raw = false } = {}) {
    const headers = { Accept: raw ? "text/csv" : "application/json" };
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, t("network"));
    }
    if (raw && response.ok) {
      return response;
    }
    let payload = null;
    const text = await response.text();
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch (error) {
        payload = null;
      }
    }
    if (!response.ok) {
      const detail = payload && payload.detail !== undefined ? payload.detail : null;
      throw new ApiError(response.status, detail, payload);
    }
    return payload;
  }

  return { t, keptLanguage, showLanguage, current, keep, forget, describeDetail, ApiError,
           send };
})();
