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
  var esc = window.gisApi.esc;
  function send(method, url, body) { return window.gisApi.send(method, url, body, cfg.csrfToken); }
  var out = document.getElementById("gis-action-result");

  var match = document.getElementById("gis-start-match");
  if (match && match.tagName === "BUTTON") {
    match.addEventListener("click", function () {
      out.textContent = t("loading");
      send("GET", cfg.matchUrl)
        .then(function (rows) {
          if (!rows.length) { out.textContent = t("no_matching_requirements"); return; }
          out.innerHTML = "<h3>" + esc(t("matching_requirements")) + "</h3><table class=\"gis-wide\" id=\"gis-match-table\">" +
            "<tr><th>" + esc(t("project")) + "</th><th>" + esc(t("need")) + "</th><th>" + esc(t("status")) + "</th><th>" + esc(t("officer")) + "</th></tr>" +
            rows.map(function (r) {
              var status = (cfg.requirementStatus[r.status] || {})[lang] || r.status;
              var name = cfg.requirementPageUrl && cfg.requirementPageUrl !== "/{id}"
                ? '<a href="' + esc(cfg.requirementPageUrl.replace("{id}", r.id)) + "?lang=" + lang + '">' + esc(r.project_name) + "</a>"
                : esc(r.project_name);
              return "<tr><td>" + name + "</td><td>" + esc((r.need_label || {})[lang] || r.need) +
                "</td><td>" + esc(status) + "</td><td>" + esc(r.officer) + "</td></tr>";
            }).join("") + "</table>";
        })
        .catch(function (e) { out.textContent = String(e.message || e); });
    });
  }

  // After the recommendation: a link for one recipient, shown once (the token is not kept).
  function linkForm(id) {
    out.innerHTML = "<p>" + esc(t("recommendation_created")) + " #" + esc(id) + "</p>" +
      '<form id="gis-link-form" class="gis-inline-form">' +
      "<label>" + esc(t("recipient_name")) + '<input name="recipient_name" maxlength="200"></label>' +
      "<label>" + esc(t("recipient_org")) + '<input name="recipient_org" maxlength="200"></label>' +
      "<label>" + esc(t("link_language")) + '<select name="language"><option value="zh"' + (lang === "zh" ? " selected" : "") +
      '>中文</option><option value="en"' + (lang === "en" ? " selected" : "") + ">English</option></select></label>" +
      '<button type="submit" class="gis-button">' + esc(t("recommend")) + "</button></form>";
    var f = document.getElementById("gis-link-form");
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { language: f.elements.language.value };
      ["recipient_name", "recipient_org"].forEach(function (k) {
        var v = f.elements[k].value.trim();
        if (v) { body[k] = v; }
      });
      send("POST", cfg.linksUrl.replace("{id}", id), body).then(function (made) {
        out.innerHTML = '<p class="gis-message gis-ok">' + esc(t("link_created")) + "</p>" +
          '<input type="text" readonly class="gis-link-out" id="gis-link-url" value="' + esc(made.url) + '"> ' +
          '<a class="gis-link-open" target="_blank" rel="noopener" href="' + esc(made.url) + '">↗</a>';
        document.getElementById("gis-link-url").select();
      }).catch(function (e) {
        out.insertAdjacentHTML("beforeend", '<p class="gis-message gis-error">' + esc(String(e.message || e)) + "</p>");
      });
    });
  }

  var rec = document.getElementById("gis-add-recommendation");
  if (rec && rec.tagName === "BUTTON") {
    rec.addEventListener("click", function () {
      rec.disabled = true;
      out.textContent = t("loading");
      send("POST", cfg.recommendUrl, {
        sites: [{ site_id: cfg.siteId }],
        title_zh: cfg.titleZh,
        title_en: cfg.titleEn
      }).then(function (body) {
        linkForm(body.id);
      }).catch(function (e) {
        out.textContent = String(e.message || e);
      }).then(function () { rec.disabled = false; });
    });
  }
})();
