/*
 * The pages' calls to the app's JSON API (window.gisApi): same-origin credentials, the
 * session's CSRF header, and a refusal turned into the API's error body (api.schemas.ErrorBody):
 * a stable ``code``, the ``field`` it is about and a ``message`` in Chinese and English from the
 * one error vocabulary (gis_app/domain/error_vocab.py), one entry per refused field in ``errors``.
 *
 * A refusal rejects with an Error whose message is the API's message in the page's language
 * (<html lang>), never the English detail on a Chinese page. ``showErrors(form, err)`` puts
 * each field's message right after the input it names (aria-invalid, aria-describedby) and
 * returns the others for the form's message box; ``clearErrors(form)`` takes them away again.
 */
(function () {
  "use strict";
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // "zh" or "en": the language of the page
  function lang() {
    var l = document.documentElement.getAttribute("lang") || "zh";
    return l.indexOf("en") === 0 ? "en" : "zh";
  }

  // the text of a {zh, en} message in the page's language
  function text(message, fallback) {
    if (message && typeof message === "object") { return message[lang()] || message.zh || fallback || ""; }
    return message || fallback || "";
  }

  // the error body of a refused response as an object: {status, code, field, message, detail,
  // errors: [{field, code, message}]}
  function problemOf(r) {
    return r.json().then(function (b) { return b || {}; }, function () { return {}; }).then(function (b) {
      var detail = b.detail;
      if (Array.isArray(detail)) {  // a body that is not ours (never sent by this API)
        detail = detail.map(function (e) { return (e.loc || []).join(".") + ": " + e.msg; }).join("; ");
      }
      var fallback = {
        zh: "请求未完成（" + r.status + "）。",
        en: "The request failed (" + r.status + " " + r.statusText + ")."
      };
      return {
        status: r.status,
        code: b.code || null,
        field: b.field || null,
        message: b.message || fallback,
        detail: detail || r.statusText,
        errors: (b.errors || []).filter(function (e) { return e && e.message; })
      };
    });
  }

  // the message of a refused response in the page's language
  function problem(r) {
    return problemOf(r).then(function (p) { return text(p.message, p.detail); });
  }

  // Resolves to the response's JSON (null for 204), rejects with an Error of the API's message
  // (in the page's language) whose ``status`` is the HTTP status (412: the record changed since
  // it was read) and ``problem`` the error body (see problemOf).
  // ``headers`` adds request headers (e.g. If-Match with the version read).
  function send(method, url, body, csrfToken, headers) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    Object.keys(headers || {}).forEach(function (k) { init.headers[k] = headers[k]; });
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRF-Token"] = csrfToken || "";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      if (!r.ok) {
        return problemOf(r).then(function (p) {
          var err = new Error(text(p.message, p.detail));
          err.status = r.status;
          err.problem = p;
          throw err;
        });
      }
      return r.status === 204 ? null : r.json();
    });
  }

  // --- messages next to the fields they name ------------------------------------------------

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".gis-field-error"), function (el) {
      el.parentNode.removeChild(el);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
      var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id.indexOf("gis-err-") !== 0;
      });
      if (ids.length) { el.setAttribute("aria-describedby", ids.join(" ")); }
      else { el.removeAttribute("aria-describedby"); }
    });
  }

  // a message element with both languages (pages that switch language keep it right)
  function messageElement(message, id) {
    var el = document.createElement("span");
    el.className = "gis-field-error";
    el.id = id;
    el.setAttribute("role", "alert");
    el.setAttribute("data-zh", message.zh || "");
    el.setAttribute("data-en", message.en || "");
    el.textContent = text(message);
    return el;
  }

  // Show the refusal ``err`` (from send) on ``form``: each entry of its body that names a field
  // of the form right after that field (the first such field gets the focus). Returns the
  // messages (page language) of the entries that name no field of the form, for the caller's
  // message box: the refusal's own message when it has no body.
  var counter = 0;
  function showErrors(form, err) {
    clearErrors(form);
    var p = err && err.problem;
    if (!p) { return [String((err && err.message) || err)]; }
    var entries = p.errors.length ? p.errors : [{ field: p.field, code: p.code, message: p.message }];
    var rest = [];
    var first = null;
    entries.forEach(function (e) {
      var input = e.field ? form.querySelector('[name="' + String(e.field).replace(/["\\]/g, "") + '"]') : null;
      if (!input) { rest.push(text(e.message)); return; }
      counter += 1;
      var id = "gis-err-" + counter;
      var msg = messageElement(e.message, id);
      // after the input (or after its group of checkboxes)
      var anchor = input.closest(".gis-checks") || input;
      anchor.parentNode.insertBefore(msg, anchor.nextSibling);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
      if (!first) { first = input; }
    });
    if (first) { first.focus(); }
    return rest;
  }

  window.gisApi = {
    esc: esc,
    lang: lang,
    text: text,
    problem: problem,
    problemOf: problemOf,
    send: send,
    showErrors: showErrors,
    clearErrors: clearErrors
  };
})();
