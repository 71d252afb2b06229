/*
 * Result tools of the officers' pages (window.gisResults):
 *
 * - compare: tick 2–4 sites anywhere — a row of the map's list, a site's popup, a site's sheet —
 *   and open them side by side (/compare?ids=…). The ticks are kept in localStorage, so they
 *   follow the officer from page to page (and tab to tab);
 * - export (map page): the current search as XLSX, CSV, GeoPackage or a PDF list with a map,
 *   from GET /api/exports/sites with the search of the page URL;
 * - saved searches (map page): save the current search under a name, open or delete one, and
 *   the alerts the database raised for sites that newly entered one.
 *
 * The current search is the page URL's query string: the map keeps every parameter of
 * GET /api/sites there (filters and drawn area); the parameters that are a search are listed by
 * the server (config.searchParameters). This module only reads the map (window.gisApp), never
 * changes how it searches.
 *
 * No inline event handlers (the pages' Content-Security-Policy forbids them).
 */
(function () {
  "use strict";

  var STORE = "gis.compare.v1";
  var cfgEl = document.getElementById("gis-results-config");
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var api = window.gisApi;
  var esc = api.esc;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function lang() { return window.gisApp && window.gisApp.lang ? window.gisApp.lang : cfg.lang; }
  function t(key) { var e = cfg.labels[key]; return e ? e[lang()] : key; }
  // an element whose text follows the page's language switch (sitemap.js switches data-zh/en)
  function word(key, tag) {
    var e = cfg.labels[key] || { zh: key, en: key };
    return "<" + (tag || "span") + ' data-zh="' + esc(e.zh) + '" data-en="' + esc(e.en) + '">' +
      esc(e[lang()]) + "</" + (tag || "span") + ">";
  }

  // --- compare: the ticked sites ------------------------------------------------------------

  function picked() {
    try {
      var v = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Array.isArray(v) ? v.filter(function (s) { return s && Number(s.id) > 0; }) : [];
    } catch (e) { return []; }
  }
  function savePicked(list) {
    window.localStorage.setItem(STORE, JSON.stringify(list));
    renderCompare();
  }
  function isPicked(id) { return picked().some(function (s) { return s.id === id; }); }

  // Tick or untick site ``id``; false (and a message) when a fifth site is ticked.
  function pick(id, name, on) {
    var list = picked().filter(function (s) { return s.id !== id; });
    if (on) {
      if (list.length >= cfg.maxCompare) {
        status(t("compare_at_most"), true);
        renderCompare();
        return false;
      }
      list.push({ id: id, name: name || ("#" + id) });
    }
    savePicked(list);
    return true;
  }

  function compareUrl(list) {
    return cfg.endpoints.compare + "?ids=" + list.map(function (s) { return s.id; }).join(",") +
      "&lang=" + lang();
  }

  function tick(id, name) {
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "gis-compare-tick";
    box.setAttribute("data-site-id", String(id));
    box.title = t("add_to_compare");
    box.setAttribute("aria-label", t("add_to_compare"));
    box.checked = isPicked(id);
    // the list selects a site on any click in its row: a tick is not a selection
    box.addEventListener("click", function (ev) { ev.stopPropagation(); });
    box.addEventListener("change", function () {
      if (!pick(id, typeof name === "function" ? name() : name, box.checked)) { box.checked = false; }
    });
    return box;
  }

  function renderCompare() {
    var list = picked();
    $all(".gis-compare-tick").forEach(function (box) {
      box.checked = list.some(function (s) { return String(s.id) === box.getAttribute("data-site-id"); });
      box.title = t("add_to_compare");
    });
    var tray = $("#gis-compare-tray");
    if (!tray) { return; }
    var names = list.map(function (s) { return esc(s.name); }).join("、");
    tray.innerHTML = "<strong>" + word("compare") + " " + list.length + "/" + cfg.maxCompare + "</strong>" +
      (list.length ? ' <span class="gis-compare-names">' + names + "</span>" : " " + word("compare_choose")) +
      ' <button type="button" id="gis-compare-open"' + (list.length < 2 ? " disabled" : "") + ">" + word("open_compare") + "</button>" +
      (list.length ? ' <button type="button" id="gis-compare-clear">' + word("clear") + "</button>" : "");
    tray.setAttribute("data-count", String(list.length));
    var open = $("#gis-compare-open");
    if (open) {
      open.addEventListener("click", function () {
        var now = picked();
        if (now.length >= 2) { window.location.assign(compareUrl(now)); }
      });
    }
    var clear = $("#gis-compare-clear");
    if (clear) { clear.addEventListener("click", function () { savePicked([]); }); }
  }

  window.addEventListener("storage", function (ev) { if (ev.key === STORE) { renderCompare(); } });

  // --- messages -----------------------------------------------------------------------------

  function status(text, isError) {
    var el = $("#gis-tools-status") || $("#gis-action-result");
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("gis-error", !!isError);
  }

  // --- the current search (map page) --------------------------------------------------------

  function searchQuery() {
    var known = {};
    (cfg.searchParameters || []).forEach(function (n) { known[n] = true; });
    var out = new URLSearchParams();
    new URLSearchParams(window.location.search).forEach(function (value, name) {
      if (known[name] && value !== "") { out.append(name, value); }
    });
    return out;
  }

  function fileName(r, fallback) {
    var cd = r.headers.get("Content-Disposition") || "";
    var m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd);
    return m ? decodeURIComponent(m[1]) : fallback;
  }

  function exportAs(format, button) {
    var q = searchQuery();
    q.set("format", format);
    status(t("exporting"));
    button.disabled = true;
    return fetch(cfg.endpoints.export + "?" + q.toString(), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return api.problem(r).then(function (m) { throw new Error(m); }); }
      var name = fileName(r, "sites." + format);
      return r.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = name;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        status(t("export_done") + " " + name);
      });
    }).catch(function (err) { status(String(err.message || err), true); })
      .then(function () { button.disabled = false; });
  }

  // --- saved searches and their alerts (map page) -------------------------------------------

  function loadSaved() {
    var ul = $("#gis-saved-list");
    if (!ul || !cfg.officer) { return Promise.resolve(); }
    return api.send("GET", cfg.endpoints.savedSearches).then(function (items) {
      ul.setAttribute("data-count", String(items.length));
      var n = $("#gis-saved-count");
      if (n) { n.textContent = String(items.length); }
      var box = $("#gis-saved");
      if (box && items.some(function (s) { return s.unseen_alerts > 0; })) { box.open = true; }
      if (!items.length) { ul.innerHTML = "<li>" + word("no_saved_search") + "</li>"; return; }
      ul.innerHTML = items.map(function (s) {
        var href = cfg.endpoints.map + "?" + (s.query ? s.query + "&" : "") + "lang=" + lang();
        return '<li data-saved-search-id="' + esc(s.id) + '"><a href="' + esc(href) + '">' + esc(s.name) + "</a>" +
          '<small>' + word("sites_now") + " " + esc(s.site_count) + "</small>" +
          (s.unseen_alerts ? ' <span class="gis-new" title="' + esc(t("search_alerts")) + '">' + esc(s.unseen_alerts) + "</span>" : "") +
          ' <button type="button" class="gis-saved-delete" data-saved-search-id="' + esc(s.id) + '">' + word("delete") + "</button></li>";
      }).join("");
    }).catch(function (err) { status(String(err.message || err), true); });
  }

  function loadAlerts() {
    var box = $("#gis-search-alerts");
    if (!box || !cfg.officer) { return Promise.resolve(); }
    var url = cfg.endpoints.alerts + "?source=saved_search&unseen=true&limit=50";
    return api.send("GET", url).then(function (items) {
      box.hidden = items.length === 0;
      box.setAttribute("data-count", String(items.length));
      box.innerHTML = items.length ? "<li><strong>" + word("search_alerts") + "</strong></li>" + items.map(function (a) {
        var name = lang() === "en" && a.site_name_en ? a.site_name_en : a.site_name_zh;
        return '<li data-alert-id="' + esc(a.id) + '" data-site-id="' + esc(a.site_id) + '"><span>「' + esc(a.saved_search_name) + "」 " +
          '<a href="' + esc(cfg.endpoints.sheet.replace("{id}", a.site_id)) + '">' + esc(a.site_code) + " " + esc(name) + "</a>" +
          '<br><small>' + esc(a.reason) + "</small></span>" +
          '<button type="button" class="gis-alert-seen" data-alert-id="' + esc(a.id) + '">' + word("mark_seen") + "</button></li>";
      }).join("") : "";
    }).catch(function (err) { status(String(err.message || err), true); });
  }

  function setUpSaved() {
    var form = $("#gis-save-form");
    if (!form) { return; }
    if (!cfg.officer) { $all(".gis-officer-only").forEach(function (el) { el.hidden = true; }); return; }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = $("#gis-save-name");
      var q = searchQuery().toString();
      api.send("POST", cfg.endpoints.savedSearches + (q ? "?" + q : ""), { name: input.value }, cfg.csrfToken)
        .then(function (s) {
          status(t("search_saved") + "「" + s.name + "」 · " + t("sites_now") + " " + s.site_count);
          input.value = "";
          input.removeAttribute("aria-invalid");
          $("#gis-saved").open = true;
          return loadSaved();
        }).catch(function (err) {
          input.setAttribute("aria-invalid", "true");
          status(String(err.message || err), true);
        });
    });
    $("#gis-saved-list").addEventListener("click", function (ev) {
      var btn = ev.target.closest(".gis-saved-delete");
      if (!btn) { return; }
      var url = cfg.endpoints.savedSearches + "/" + encodeURIComponent(btn.getAttribute("data-saved-search-id"));
      api.send("DELETE", url, undefined, cfg.csrfToken, { "X-CSRF-Token": cfg.csrfToken })
        .then(function () { return Promise.all([loadSaved(), loadAlerts()]); })
        .catch(function (err) { status(String(err.message || err), true); });
    });
    $("#gis-search-alerts").addEventListener("click", function (ev) {
      var btn = ev.target.closest(".gis-alert-seen");
      if (!btn) { return; }
      var url = cfg.endpoints.alertSeen.replace("{id}", encodeURIComponent(btn.getAttribute("data-alert-id")));
      api.send("POST", url, {}, cfg.csrfToken)
        .then(function () { return Promise.all([loadSaved(), loadAlerts()]); })
        .catch(function (err) { status(String(err.message || err), true); });
    });
    // the database raises the alerts; the page shows them when it opens and when it is back
    // in front of the officer
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { loadSaved(); loadAlerts(); }
    });
    loadSaved();
    loadAlerts();
  }

  // --- map page -----------------------------------------------------------------------------

  function setUpMap(app) {
    $all("[data-export-format]").forEach(function (btn) {
      btn.addEventListener("click", function () { exportAs(btn.getAttribute("data-export-format"), btn); });
    });
    setUpSaved();
    var list = $("#gis-list");
    function decorate() {
      $all(".gis-row[data-site-id]", list).forEach(function (li) {
        if ($(".gis-compare-tick", li)) { return; }
        var id = Number(li.getAttribute("data-site-id"));
        li.classList.add("gis-with-tick");
        li.insertBefore(tick(id, function () {
          var f = app && app.listById[id];
          return f ? app.siteName(f.properties) : ($(".gis-row-name", li) || li).textContent;
        }), li.firstChild);
      });
    }
    if (list) {
      new MutationObserver(decorate).observe(list, { childList: true });
      decorate();
    }
    if (app && app.map) {
      app.map.on("popupopen", function (e) {
        var root = e.popup.getElement && e.popup.getElement();
        var box = root && $(".gis-popup[data-site-id]", root);
        if (!box || $(".gis-compare-tick", box)) { return; }
        var id = Number(box.getAttribute("data-site-id"));
        var label = document.createElement("label");
        label.className = "gis-compare-pick";
        label.appendChild(tick(id, function () { var h = $("h3", box); return h ? h.textContent : ""; }));
        label.insertAdjacentHTML("beforeend", word("add_to_compare"));
        box.appendChild(label);
      });
    }
    // the map switches its language in place: so do the texts written here
    new MutationObserver(function () { renderCompare(); loadSaved(); loadAlerts(); })
      .observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  }

  // --- site sheet ---------------------------------------------------------------------------

  function setUpSheet(sheet) {
    var id = Number(sheet.getAttribute("data-site-id"));
    var actions = $(".gis-sheet-actions", sheet);
    if (!actions) { return; }
    var label = document.createElement("label");
    label.className = "gis-compare-pick";
    label.appendChild(tick(id, function () { var h = $("h2", sheet); return h ? h.textContent.trim() : ""; }));
    label.insertAdjacentHTML("beforeend", word("add_to_compare"));
    actions.appendChild(label);
    var tray = document.createElement("span");
    tray.id = "gis-compare-tray";
    actions.appendChild(tray);
  }

  // --- comparison page ----------------------------------------------------------------------

  function setUpComparePage() {
    var only = $("#gis-only-diff");
    if (only) {
      only.addEventListener("change", function () { document.body.classList.toggle("gis-only-diff", only.checked); });
    }
    var print = $("#gis-print");
    if (print) { print.addEventListener("click", function () { window.print(); }); }
    $all(".gis-compare-remove").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var id = Number(btn.getAttribute("data-site-id"));
        var left = $all("thead th[data-site-id]").map(function (th) {
          return { id: Number(th.getAttribute("data-site-id")), name: ($("a", th) || th).textContent };
        }).filter(function (s) { return s.id !== id; });
        savePicked(left);
        window.location.assign(left.length >= 2 ? compareUrl(left) : cfg.endpoints.map + "?lang=" + lang());
      });
    });
  }

  function start() {
    var sheet = $(".gis-sheet[data-site-id]");
    if ($("#gis-tools")) { setUpMap(window.gisApp); }
    else if (sheet) { setUpSheet(sheet); }
    else { setUpComparePage(); }
    renderCompare();
  }

  window.gisResults = { picked: picked, pick: pick, searchQuery: searchQuery, loadAlerts: loadAlerts, loadSaved: loadSaved };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
