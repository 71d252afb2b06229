/*
 * Requirement pages: send the new-requirement form to the API, move a requirement's status,
 * and turn the ticked match results into a recommendation with an investor link.
 * Configuration comes from a JSON block in the page (the Content-Security-Policy allows no
 * inline handlers). Every refusal shows the API's message in the page's language, next to the
 * field it names (window.gisApi.showErrors).
 *
 * The change and status forms send the version the page was built from (cfg.version) as
 * If-Match: when someone else changed the requirement meanwhile the API answers 412 and saves
 * nothing; the form then says so in the page's language, keeps what the officer typed, and
 * offers to reload.
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("gis-req-config");
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var lang = cfg.lang;
  function t(key) { return (cfg.labels[key] || {})[lang] || key; }

  // a refusal: each field's message next to it (window.gisApi.showErrors), what names no field
  // of the form in the form's message box
  function refused(form, box, e) {
    var rest = window.gisApi.showErrors(form, e);
    show(box, rest.length ? rest.join(" ") : t("see_fields"), false);
  }

  function show(box, text, ok) {
    box.hidden = false;
    box.textContent = text;
    box.className = "gis-message " + (ok ? "gis-ok" : "gis-error");
  }

  function send(method, url, body, headers) {
    return window.gisApi.send(method, url, body, cfg.csrfToken, headers);
  }

  // the version this page shows (its ETag), sent back with every change of the requirement
  var version = cfg.version;
  function ifMatch() { return { "If-Match": '"' + version + '"' }; }

  // 412: say that someone else changed the requirement; keep the form as typed; offer a reload
  function conflict(box) {
    show(box, t("edit_conflict"), false);
    box.setAttribute("data-conflict", "true");
    var again = document.createElement("button");
    again.type = "button";
    again.className = "gis-button gis-reload";
    again.textContent = t("reload");
    again.addEventListener("click", function () { window.location.reload(); });
    box.appendChild(document.createTextNode(" "));
    box.appendChild(again);
  }

  // --- the live parts of a requirement's page -------------------------------------------------
  // Its status, the recommendations with their links and the investors' answers are read again
  // from /requirements/{id}/live (HTML the template escaped) after a link is made, after a link
  // is extended or revoked, and every cfg.pollSeconds while the page is visible, so that new
  // answers show as they arrive. The status form is only replaced when the status changed
  // (what the officer typed in it stays otherwise).
  var live = document.getElementById("gis-live");
  var refreshing = null;
  function refresh() {
    if (!live) { return Promise.resolve(); }
    if (refreshing) { return refreshing; }
    refreshing = fetch(live.getAttribute("data-live-url"), { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status + " " + r.statusText); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var freshLive = doc.getElementById("gis-live");
        if (freshLive && freshLive.innerHTML !== live.innerHTML) { live.innerHTML = freshLive.innerHTML; }
        var oldStatus = document.getElementById("gis-req-status");
        var newStatus = doc.getElementById("gis-req-status");
        if (oldStatus && newStatus && oldStatus.getAttribute("data-status") !== newStatus.getAttribute("data-status")) {
          oldStatus.replaceWith(document.importNode(newStatus, true));
          var oldBlock = document.getElementById("gis-status-block");
          var newBlock = doc.getElementById("gis-status-block");
          if (oldBlock && newBlock) { oldBlock.innerHTML = newBlock.innerHTML; }
        }
        document.body.setAttribute("data-live-refreshed", String(Date.now()));
      })
      .catch(function (e) { console.warn("refresh: " + (e.message || e)); })
      .then(function () { refreshing = null; });
    return refreshing;
  }
  if (live && cfg.pollSeconds) {
    window.setInterval(function () {
      if (document.visibilityState === "visible") { refresh(); }
    }, cfg.pollSeconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { refresh(); }
    });
  }
  window.gisRequirement = { refresh: refresh };

  // --- links already sent: extend by 14 days or revoke; answers read ---------------------------
  // (delegated: the buttons are swapped with the live parts)
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn) { return; }
    if (btn.classList.contains("gis-link-action")) {
      var action = btn.getAttribute("data-action");
      var url = cfg.endpoints[action === "revoke" ? "linkRevoke" : "linkExtend"]
        .replace("{rec}", btn.getAttribute("data-rec")).replace("{link}", btn.getAttribute("data-link"));
      btn.disabled = true;
      send("POST", url, action === "revoke" ? {} : { days: 14 }).then(refresh).catch(function (e) {
        show(document.getElementById("gis-link-action-message"), String(e.message || e), false);
        btn.disabled = false;
      });
    } else if (btn.id === "gis-answers-read") {
      btn.disabled = true;
      send("POST", cfg.endpoints.answersRead, { requirement_id: cfg.requirementId }).then(refresh)
        .catch(function (e) { btn.disabled = false; btn.title = String(e.message || e); });
    }
  });

  // --- alerts: mark one as seen ----------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll(".gis-alert-seen"), function (btn) {
    btn.addEventListener("click", function () {
      btn.disabled = true;
      var id = btn.getAttribute("data-alert-id");
      send("POST", cfg.endpoints.alertSeen.replace("{id}", id), {}).then(function () {
        var row = btn.closest("tr");
        if (row) { row.parentNode.removeChild(row); }
      }).catch(function (e) { btn.disabled = false; btn.title = String(e.message || e); });
    });
  });

  // --- record a requirement, or change one ---------------------------------------------------
  // Creating leaves out what is empty (the API's defaults apply); changing sends every field,
  // so that emptying an input clears the value.
  var form = document.getElementById("gis-req-form");
  if (form) {
    var editing = form.getAttribute("data-mode") === "edit";
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = document.getElementById("gis-req-message");
      window.gisApi.clearErrors(form);
      var body = {};
      var lists = {};
      Array.prototype.forEach.call(form.querySelectorAll("[data-kind]"), function (el) {
        el.removeAttribute("aria-invalid");
        var kind = el.getAttribute("data-kind");
        var name = el.name;
        if (kind === "choices") {
          lists[name] = lists[name] || [];
          if (el.checked) { lists[name].push(el.value); }
          return;
        }
        if (kind === "bool") {
          if (el.checked || editing) { body[name] = el.checked; }
          return;
        }
        var v = (el.value || "").trim();
        if (!v) {
          if (editing) { body[name] = kind === "list" ? [] : null; }
          return;
        }
        if (kind === "number" || kind === "integer") {
          var n = Number(v);
          body[name] = isNaN(n) ? v : n;  // the API names a field that is not a number
        } else if (kind === "list") {
          body[name] = v.split(/[,，、;；]+/).map(function (s) { return s.trim(); }).filter(Boolean);
        } else {
          body[name] = v;
        }
      });
      Object.keys(lists).forEach(function (name) {
        // an empty accepted-availability list is sent: the API explains that one is needed
        if (lists[name].length || editing || name === "accept_availability") { body[name] = lists[name]; }
      });
      var save = document.getElementById("gis-req-save");
      save.disabled = true;
      show(box, t("saving"), true);
      box.removeAttribute("data-conflict");
      var done = editing
        ? send("PATCH", cfg.endpoints.requirement.replace("{id}", cfg.requirementId), body, ifMatch())
        : send("POST", cfg.endpoints.requirements, body);
      done.then(function (saved) {
        window.location.assign(cfg.endpoints.page.replace("{id}", saved.id) + "?lang=" + lang);
      }).catch(function (e) {
        if (e.status === 412) { conflict(box); save.disabled = false; return; }
        // each field's message next to it; what names no field of the form above the button
        refused(form, box, e);
        save.disabled = false;
      });
    });
  }

  // --- status move (delegated: the form is swapped when the status changes) -------------------
  document.addEventListener("submit", function (ev) {
    var statusForm = ev.target;
    if (statusForm.id !== "gis-status-form") { return; }
    {
      ev.preventDefault();
      var box = document.getElementById("gis-status-message");
      var note = statusForm.elements.note.value.trim();
      var body = { status: statusForm.elements.status.value };
      if (note) { body.note = note; }
      box.removeAttribute("data-conflict");
      send("POST", cfg.endpoints.status.replace("{id}", cfg.requirementId), body, ifMatch()).then(function () {
        window.location.reload();
      }).catch(function (e) {
        if (e.status === 412) { conflict(box); return; }
        refused(statusForm, box, e);
      });
    }
  });

  // --- referral to another district, and a referred requirement's match (issue 26) -----------
  // Both reload the page when done: it then shows the referral's outcome (the referring
  // district) or the match against the district's own sites (the receiving district).
  // a referral form: on submit, post what body(form) gives to url(form), then reload; a refusal
  // is shown next to its field or in the message box
  function referralForm(id, boxId, url, body) {
    var form = document.getElementById(id);
    if (!form) { return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = document.getElementById(boxId);
      var go = form.querySelector("button[type=submit]");
      window.gisApi.clearErrors(form);
      go.disabled = true;
      send("POST", url(form), body(form)).then(function () {
        window.location.reload();
      }).catch(function (e) {
        go.disabled = false;
        refused(form, box, e);
      });
    });
  }
  function referral(endpoint) {
    return function (form) { return endpoint.replace("{id}", form.getAttribute("data-referral-id")); };
  }
  referralForm("gis-refer-form", "gis-refer-message",
    function () { return cfg.endpoints.refer.replace("{id}", cfg.requirementId); },
    function (form) {
      var body = { to_district: form.elements.to_district.value };
      var note = form.elements.note.value.trim();
      if (note) { body.note = note; }
      return body;
    });
  referralForm("gis-referral-match-form", "gis-referral-match-message",
    referral(cfg.endpoints.referralMatch), function () { return {}; });
  referralForm("gis-referral-answer-form", "gis-referral-match-message",
    referral(cfg.endpoints.referralStatus), function (form) { return { status: form.elements.status.value }; });
  Array.prototype.forEach.call(document.querySelectorAll(".gis-referral-close"), function (btn) {
    btn.addEventListener("click", function () {
      btn.disabled = true;
      send("POST", referral(cfg.endpoints.referralStatus)(btn), { status: btn.getAttribute("data-status") }).then(function () {
        window.location.reload();
      }).catch(function (e) { btn.disabled = false; btn.title = String(e.message || e); });
    });
  });

  // --- recommendation link from the ticked results -------------------------------------------
  var recForm = document.getElementById("gis-recommend-form");
  if (recForm) {
    // a recommendation whose link was refused (e.g. no recipient): a retry only adds the link
    var pending = null;
    recForm.addEventListener("change", function () { pending = null; });
    Array.prototype.forEach.call(document.querySelectorAll(".gis-pick"), function (el) {
      el.addEventListener("change", function () { pending = null; });
    });
    recForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = document.getElementById("gis-recommend-message");
      var picked = Array.prototype.map.call(
        document.querySelectorAll(".gis-pick:checked"), function (el) { return { site_id: Number(el.value) }; });
      if (!picked.length) { show(box, t("none_selected"), false); return; }
      if (!recForm.elements.recipient_name.value.trim() && !recForm.elements.recipient_org.value.trim()) {
        show(box, t("recipient_required"), false);
        recForm.elements.recipient_name.setAttribute("aria-invalid", "true");
        return;
      }
      recForm.elements.recipient_name.removeAttribute("aria-invalid");
      var f = recForm.elements;
      var rec = { requirement_id: cfg.requirementId, sites: picked };
      ["title_zh", "title_en", "intro_zh", "intro_en"].forEach(function (k) {
        var v = f[k].value.trim();
        if (v) { rec[k] = v; }
      });
      var link = { language: f.language.value };
      ["recipient_name", "recipient_org"].forEach(function (k) {
        var v = f[k].value.trim();
        if (v) { link[k] = v; }
      });
      if (f.expires_days.value.trim()) { link.expires_days = Number(f.expires_days.value); }
      var save = document.getElementById("gis-recommend-save");
      save.disabled = true;
      show(box, t("saving"), true);
      var made = pending !== null
        ? Promise.resolve({ id: pending })
        : send("POST", cfg.endpoints.recommendations, rec);
      made.then(function (created) {
        pending = created.id;
        // the first recommendation moves a new requirement to "recommended": when that was the
        // only change since this page was built, its version follows (no false conflict)
        var moved = created.requirement_moved;
        if (moved && moved.from_version === version) { version = moved.version; }
        return send("POST", cfg.endpoints.links.replace("{id}", created.id), link);
      }).then(function (made) {
        pending = null;
        box.hidden = true;
        var out = document.getElementById("gis-link-url");
        out.value = made.url;
        var open = document.getElementById("gis-link-open");
        open.href = made.url;
        document.getElementById("gis-link-box").hidden = false;
        out.select();
        // the list of recommendations and the status (new → recommended) follow at once
        return refresh();
      }).catch(function (e) {
        refused(recForm, box, e);
      }).then(function () { save.disabled = false; });
    });
    var copy = document.getElementById("gis-link-copy");
    copy.addEventListener("click", function () {
      var out = document.getElementById("gis-link-url");
      out.select();
      var done = function () { copy.textContent = t("copied"); copy.setAttribute("data-copied", "true"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(out.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  }
})();
