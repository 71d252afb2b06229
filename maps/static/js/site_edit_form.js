/*
 * Planners' status form on the site sheet (issue 6; markup in api/templates/site_edit_form.html).
 *
 * Loads the site's status values and the choices (with Chinese and English labels) from
 * GET /api/sites/{id}/status-form, remembers the version (ETag), and posts only the changed
 * fields, with a note and a document reference, to POST /api/sites/{id}/status with If-Match
 * and the session's CSRF token. A 412 means someone else (maybe QGIS) saved first: nothing is
 * overwritten and the planner reloads. Refusals (a reason needed, a blocking zone, a locked
 * row) are shown in the page's language next to the field they name (window.gisApi.showErrors);
 * "saved" stays (across the reload that shows the change on the sheet) until dismissed.
 */
(function () {
  "use strict";

  var section = document.getElementById("gis-status-edit");
  if (!section) { return; }
  var siteId = section.getAttribute("data-site-id");
  var words = JSON.parse(document.getElementById("gis-status-words").textContent);
  var form = document.getElementById("gis-status-form");
  var box = document.getElementById("gis-status-fields");
  var message = document.getElementById("gis-status-message");
  var reloadButton = document.getElementById("gis-status-reload");
  var state = { etag: null, initial: {}, fields: [], csrf: "" };

  function lang() {
    var l = document.documentElement.getAttribute("lang") || section.getAttribute("data-lang");
    return l && l.indexOf("en") === 0 ? "en" : "zh";
  }

  function span(zh, en) {
    var s = document.createElement("span");
    s.setAttribute("data-zh", zh);
    s.setAttribute("data-en", en);
    s.textContent = lang() === "en" ? en : zh;
    return s;
  }

  function word(key) { return words[key] ? span(words[key][0], words[key][1]) : span(key, key); }

  function say(parts, kind) {
    message.textContent = "";
    message.className = "gis-status-message" + (kind ? " gis-status-" + kind : "");
    parts.forEach(function (p) {
      message.appendChild(typeof p === "string" ? document.createTextNode(p) : p);
    });
  }

  function input(field, value) {
    var el;
    if (field.choices) {
      el = document.createElement("select");
      var none = document.createElement("option");
      none.value = "";
      none.setAttribute("data-zh", words.empty[0]);
      none.setAttribute("data-en", words.empty[1]);
      none.textContent = lang() === "en" ? words.empty[1] : words.empty[0];
      el.appendChild(none);
      field.choices.forEach(function (c) {
        var o = document.createElement("option");
        o.value = c.key;
        o.setAttribute("data-zh", c.zh);
        o.setAttribute("data-en", c.en);
        o.textContent = lang() === "en" ? c.en : c.zh;
        el.appendChild(o);
      });
    } else if (field.type === "date") {
      el = document.createElement("input");
      el.type = "date";
    } else if (field.type === "float" || field.type === "int") {
      el = document.createElement("input");
      el.type = "number";
      el.step = field.type === "int" ? "1" : "any";
      if (field.min !== null && field.min !== undefined) { el.min = field.min; }
      if (field.max !== null && field.max !== undefined) { el.max = field.max; }
    } else {
      el = document.createElement("input");
      el.type = "text";
      el.maxLength = 2000;
    }
    el.name = field.name;
    el.value = value === null || value === undefined ? "" : String(value);
    return el;
  }

  function render(data) {
    box.textContent = "";
    state.fields = data.fields;
    state.initial = {};
    data.fields.forEach(function (f) {
      var value = data.site[f.name];
      state.initial[f.name] = value === null || value === undefined ? "" : String(value);
      var row = document.createElement("label");
      row.className = "gis-status-row";
      var label = document.createElement("span");
      label.className = "gis-status-label";
      label.appendChild(f.label_zh ? span(f.label_zh, f.label_en) : word(f.name));
      row.appendChild(label);
      var el = input(f, value);
      if (f.name === "availability" && data.availability_blocked) {
        Array.prototype.forEach.call(el.options, function (o) {
          if (o.value === "available" && state.initial.availability !== "available") {
            o.disabled = true;
          }
        });
      }
      row.appendChild(el);
      box.appendChild(row);
    });
    document.getElementById("gis-status-blocked").hidden = !data.availability_blocked;
  }

  function changes() {
    var out = {};
    state.fields.forEach(function (f) {
      var el = form.elements[f.name];
      if (!el || el.value === state.initial[f.name]) { return; }
      if (el.value === "") { out[f.name] = null; }
      else if (f.type === "float") { out[f.name] = parseFloat(el.value); }
      else if (f.type === "int") { out[f.name] = parseInt(el.value, 10); }
      else { out[f.name] = el.value; }
    });
    return out;
  }

  function load() {
    return fetch("/api/sites/" + encodeURIComponent(siteId) + "/status-form", {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("status-form " + r.status); }
      state.etag = r.headers.get("ETag");
      return r.json();
    }).then(function (data) {
      if (!data.can_edit || data.site.retired_at) { section.hidden = true; return; }
      render(data);
      section.hidden = false;
      reloadButton.hidden = true;
    });
  }

  // a saved change survives the reload that shows it on the sheet: the message stays until
  // the planner dismisses it or leaves the page
  var SAVED_KEY = "gis-status-saved";

  function dismissible(parts) {
    var close = document.createElement("button");
    close.type = "button";
    close.className = "gis-status-dismiss";
    close.textContent = "×";
    close.setAttribute("aria-label", lang() === "en" ? words.dismiss[1] : words.dismiss[0]);
    close.setAttribute("data-zh", "×");
    close.setAttribute("data-en", "×");
    close.addEventListener("click", function () { say([]); });
    return parts.concat([" ", close]);
  }

  function showSaved() {
    var saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(SAVED_KEY) || "null"); } catch (e) { saved = null; }
    window.sessionStorage.removeItem(SAVED_KEY);
    if (saved && String(saved.site) === String(siteId)) {
      say(dismissible([word("saved"), " " + saved.version]), "ok");
    }
  }

  function refused(r) {
    return window.gisApi.problemOf(r).then(function (p) {
      var rest = window.gisApi.showErrors(form, { problem: p });
      var moved = p.errors.some(function (e) { return e.code === "reason_required"; }) || p.code === "reason_required";
      if (moved) {
        // the moves are named next to their fields; the reason goes into the note
        form.elements.note.setAttribute("aria-invalid", "true");
        form.elements.note.focus();
      }
      say([word(rest.length ? "failed" : "see_fields")].concat(rest.length ? [rest.join(" ")] : []), "error");
    });
  }

  function save(event) {
    event.preventDefault();
    window.gisApi.clearErrors(form);
    var body = changes();
    if (!Object.keys(body).length) { say([word("nothing")]); return; }
    var note = form.elements.note.value.trim();
    var docRef = form.elements.doc_ref.value.trim();
    if (note) { body.note = note; }
    if (docRef) { body.doc_ref = docRef; }
    say([word("saving")]);
    fetch("/api/sites/" + encodeURIComponent(siteId) + "/status", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "If-Match": state.etag || "",
        "X-CSRF-Token": state.csrf
      },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 412) {
        say([word("conflict")], "error");
        reloadButton.hidden = false;
        return null;
      }
      if (!r.ok) { return refused(r); }
      state.etag = r.headers.get("ETag");
      return r.json().then(function (data) {
        // the sheet shows the history and values: reload it, then say what was saved
        window.sessionStorage.setItem(SAVED_KEY, JSON.stringify({ site: siteId, version: data.version }));
        window.location.reload();
      });
    }).catch(function (err) { say([word("failed"), String(err)], "error"); });
  }

  form.addEventListener("submit", save);
  reloadButton.addEventListener("click", function () {
    load().then(function () { say([]); });
  });

  fetch("/api/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (me) {
      if (!me) { return; }
      state.csrf = me.csrf_token || "";
      return load().then(showSaved);
    })
    .catch(function () { section.hidden = true; });
}());
