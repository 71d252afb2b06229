/*
 * Site sheet actions: list the open requirements this site meets (reverse match) and put the
 * site into a new recommendation. Configuration comes from a JSON block in the page (the
 * Content-Security-Policy allows no inline handlers).
 */
(function () {
  "use strict";
  var cfgEl = document.getElementById("gis-sheet-config");
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var lang = cfg.lang;
  function t(key) { return (cfg.labels[key] || {})[lang] || key; }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function detail(r) {
    return r.json().then(function (b) { return b.detail || r.statusText; }, function () { return r.statusText; });
  }
  var out = document.getElementById("gis-action-result");

  var match = document.getElementById("gis-start-match");
  if (match && match.tagName === "BUTTON") {
    match.addEventListener("click", function () {
      out.textContent = t("loading");
      fetch(cfg.matchUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) { return detail(r).then(function (d) { throw new Error(d); }); }
          return r.json();
        })
        .then(function (rows) {
          if (!rows.length) { out.textContent = t("no_matching_requirements"); return; }
          out.innerHTML = "<h3>" + esc(t("matching_requirements")) + "</h3><table class=\"gis-wide\" id=\"gis-match-table\">" +
            "<tr><th>" + esc(t("project")) + "</th><th>" + esc(t("need")) + "</th><th>" + esc(t("status")) + "</th><th>" + esc(t("officer")) + "</th></tr>" +
            rows.map(function (r) {
              var status = (cfg.requirementStatus[r.status] || {})[lang] || r.status;
              return "<tr><td>" + esc(r.project_name) + "</td><td>" + esc((r.need_label || {})[lang] || r.need) +
                "</td><td>" + esc(status) + "</td><td>" + esc(r.officer) + "</td></tr>";
            }).join("") + "</table>";
        })
        .catch(function (e) { out.textContent = String(e.message || e); });
    });
  }

  var rec = document.getElementById("gis-add-recommendation");
  if (rec && rec.tagName === "BUTTON") {
    rec.addEventListener("click", function () {
      rec.disabled = true;
      out.textContent = t("loading");
      fetch(cfg.recommendUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrfToken || "" },
        body: JSON.stringify({
          sites: [{ site_id: cfg.siteId }],
          title_zh: cfg.titleZh,
          title_en: cfg.titleEn
        })
      }).then(function (r) {
        if (!r.ok) { return detail(r).then(function (d) { throw new Error(d); }); }
        return r.json();
      }).then(function (body) {
        var id = body.id;
        out.innerHTML = esc(t("recommendation_created")) + ' <a href="' + esc(cfg.recommendationUrl.replace("{id}", id)) +
          '">#' + esc(id) + "</a>";
      }).catch(function (e) {
        out.textContent = String(e.message || e);
      }).then(function () { rec.disabled = false; });
    });
  }
})();
