/*
 * The import page (planners): the file goes to POST /api/imports as a background job with the
 * session's CSRF header; the job is polled for its phase and rows done, can be cancelled (the
 * import rolls back), and its per-row report is shown at the end. Everything from the file
 * (codes, problems) is put on the page as text, never as HTML.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("gis-import-config").textContent);
  var lang = cfg.lang;
  var POLL_MS = 400;
  function t(key) { return (cfg.labels[key] || {})[lang] || key; }
  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }

  var form = $("gis-import-form");
  var box = $("gis-import-progress");
  var cancel = $("gis-import-cancel");
  var msg = $("gis-import-message");
  var out = $("gis-import-report");
  var current = null;

  function show(text, ok) {
    msg.hidden = false;
    msg.className = "gis-message " + (ok ? "gis-ok" : "gis-error");
    msg.textContent = text;
  }

  function progress(job) {
    box.hidden = false;
    $("gis-import-status").textContent = t("status_" + job.status);
    $("gis-import-phase").textContent = job.phase ? t("phase_" + job.phase) : "";
    $("gis-import-count").textContent = job.total ? job.done + " / " + job.total : "";
    var bar = $("gis-import-bar");
    bar.max = Math.max(job.total, 1);
    bar.value = job.total ? job.done : 0;
    box.dataset.status = job.status;
    box.dataset.phase = job.phase || "";
    var open = job.status === "queued" || job.status === "running";
    cancel.hidden = !open;
    cancel.disabled = !!job.cancel_requested;
    if (open && job.cancel_requested) { $("gis-import-status").textContent = t("cancelling"); }
  }

  function said(messages, problems) {
    if (messages && messages.length) { return messages.map(function (m) { return window.gisApi.text(m); }); }
    return problems || [];
  }

  function report(rep) {
    out.hidden = false;
    out.textContent = "";
    out.appendChild(el("h2", t("report") + " · " + rep.source));
    var head = rep.committed ? t("committed") : (rep.dry_run && rep.ok ? t("checked_only") : t("not_loaded"));
    out.appendChild(el("p", head, rep.committed ? "gis-ok" : "gis-error")).id = "gis-import-outcome";
    var counts = el("p");
    counts.id = "gis-import-counts";
    ["insert", "update", "unchanged", "rejected"].forEach(function (k) {
      var s = el("span", t(k) + " " + rep.counts[k] + "  ");
      s.dataset.count = k;
      s.dataset.value = rep.counts[k];
      counts.appendChild(s);
    });
    if (rep.warnings) { counts.appendChild(el("span", t("warnings") + " " + rep.warnings)); }
    out.appendChild(counts);
    // refusals in the page's language (each has its message in both); notes stay as written
    [["file_problems", said(rep.messages, rep.problems)], ["notes", rep.notes]].forEach(function (pair) {
      if (!pair[1] || !pair[1].length) { return; }
      out.appendChild(el("h3", t(pair[0])));
      var ul = el("ul");
      pair[1].forEach(function (p) { ul.appendChild(el("li", p)); });
      out.appendChild(ul);
    });
    if (!rep.rows.length) { return; }
    var table = el("table", null, "gis-wide");
    table.id = "gis-import-rows";
    var tr = el("tr");
    ["row", "code", "outcome", "details"].forEach(function (k) { tr.appendChild(el("th", t(k))); });
    table.appendChild(tr);
    rep.rows.forEach(function (r) {
      var row = el("tr", null, r.status === "rejected" ? "gis-rejected" : "");
      row.dataset.code = r.code || "";
      row.dataset.status = r.status;
      row.appendChild(el("td", r.row));
      row.appendChild(el("td", r.code || "—"));
      row.appendChild(el("td", t(r.status)));
      var details = [].concat(said(r.messages, r.problems), r.warnings || []);
      if (!details.length && r.changed && r.changed.length) { details = [r.changed.join(", ")]; }
      row.appendChild(el("td", details.join("; ")));
      table.appendChild(row);
    });
    out.appendChild(table);
  }

  function ended(job) {
    current = null;
    form.querySelector("button[type=submit]").disabled = false;
    if (job.report) { report(job.report); }
    if (job.status === "cancelled") { show(t("cancelled"), false); }
    else if (job.status === "failed" && job.error_problem) {
      // the refusal in the page's language, next to the option (or the file) it names
      var p = job.error_problem;
      window.gisApi.showErrors(form, { problem: { code: p.code, field: p.field, message: p.message, errors: [] } });
      show(t("failed") + ": " + window.gisApi.text(p.message), false);
    }
    else if (job.status === "failed") { show(t("failed") + ": " + (job.error || ""), false); }
  }

  function poll(url) {
    current = url;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { return window.gisApi.problem(r).then(function (m) { throw new Error(m); }); }
        return r.json();
      })
      .then(function (job) {
        progress(job);
        if (job.status === "queued" || job.status === "running") {
          window.setTimeout(function () { poll(url); }, POLL_MS);
        } else {
          ended(job);
        }
      })
      .catch(function (e) { current = null; show(String(e.message || e), false); });
  }

  cancel.addEventListener("click", function () {
    if (!current) { return; }
    cancel.disabled = true;
    $("gis-import-status").textContent = t("cancelling");
    fetch(current + "/cancel", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": cfg.csrfToken },
    }).then(function (r) {
      if (!r.ok && r.status !== 409) {
        return window.gisApi.problem(r).then(function (m) { show(m, false); });
      }
    });
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var data = new FormData(form);
    data.set("background", "true");
    data.set("csrf_token", cfg.csrfToken);
    if (!form.elements.dry_run.checked) { data.delete("dry_run"); }
    msg.hidden = true;
    out.hidden = true;
    box.hidden = false;
    $("gis-import-status").textContent = t("uploading");
    $("gis-import-phase").textContent = "";
    $("gis-import-count").textContent = "";
    form.querySelector("button[type=submit]").disabled = true;
    fetch(cfg.endpoints.imports, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": cfg.csrfToken },
      body: data,
    }).then(function (r) {
      if (r.status === 202) {
        return r.json().then(function (b) { poll(b.url); });
      }
      var refusal = r.clone();
      return r.json().then(function (b) {
        form.querySelector("button[type=submit]").disabled = false;
        box.hidden = true;
        if (b && b.rows) { report(b); }
        if (r.ok) { window.gisApi.clearErrors(form); return null; }
        // the refusal in the page's language, each option's message next to it
        return window.gisApi.problemOf(refusal).then(function (p) {
          var rest = window.gisApi.showErrors(form, { problem: p });
          show(rest.length ? rest.join(" ") : t("see_fields"), false);
        });
      }, function () {
        form.querySelector("button[type=submit]").disabled = false;
        show(r.status + " " + r.statusText, false);
      });
    }).catch(function (e) {
      form.querySelector("button[type=submit]").disabled = false;
      show(String(e.message || e), false);
    });
  });
})();
