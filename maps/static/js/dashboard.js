/* The officers' dashboard: fetches /api/stats/* (JSON) and draws each figure with Chart.js.
 * Every chart's CSV/XLSX links point at the same endpoint and parameters as its JSON, so the
 * downloads hold exactly the numbers drawn. body[data-dashboard-state] is "loading", "ready"
 * or "error" (browser tests wait on it). */
(function () {
  "use strict";
  // the one HTML escape of the pages' scripts (api.js, loaded first)
  var esc = window.gisApi.esc;
  var cfg = JSON.parse(document.getElementById("gis-dashboard-config").textContent);
  var lang = cfg.lang;
  var charts = {};
  var tables = {};
  var pending = 0;
  var failed = false;
  var PALETTE = ["#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"];
  var nf1 = new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en", { maximumFractionDigits: 1 });
  var nf2 = new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en", { maximumFractionDigits: 2 });

  function word(key) { return cfg.words[key][lang]; }
  function label(row) { return row["label_" + lang]; }
  function colText(col) { return (lang === "zh" ? col.zh : col.en) + (col.unit ? " (" + col.unit + ")" : ""); }
  function column(table, key) {
    for (var i = 0; i < table.columns.length; i++) if (table.columns[i].key === key) return table.columns[i];
    return { key: key, zh: key, en: key, unit: "" };
  }

  // every figure and download covers the page's scope (the districts drilled down to)
  function url(path, params, format) {
    var q = new URLSearchParams();
    params = Object.assign({}, cfg.scope || {}, params);
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (Array.isArray(v)) v.forEach(function (x) { q.append(k, x); });
      else if (v !== null && v !== undefined && v !== "") q.append(k, v);
    });
    if (format && format !== "json") q.set("format", format);
    var s = q.toString();
    return path + (s ? "?" + s : "");
  }

  function setState() {
    document.body.setAttribute("data-dashboard-state", pending > 0 ? "loading" : failed ? "error" : "ready");
    var status = document.getElementById("gis-status");
    status.textContent = pending > 0 ? word("loading") : failed ? word("failed") : "";
  }

  // Fetch one figure and draw it; the page is "ready" only once every drawing is done.
  function load(path, params, render) {
    pending += 1;
    setState();
    return fetch(url(path, params), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(path + ": HTTP " + r.status);
        return r.json();
      })
      .then(render)
      .catch(function (e) { failed = true; console.error(String(e)); })
      .finally(function () { pending -= 1; setState(); });
  }

  function setDownloads(name, path, params) {
    document.querySelectorAll('a[data-chart="' + name + '"]').forEach(function (a) {
      a.href = url(path, params, a.getAttribute("data-format"));
    });
  }

  // link (optional): the URL the first cell of a row leads to
  function renderTable(name, table, keys, link) {
    tables[name] = table;
    var el = document.getElementById("table-" + name);
    var cols = keys.map(function (k) { return column(table, k); });
    var html = "<table><thead><tr>" + cols.map(function (c) {
      return "<th>" + esc(colText(c)) + "</th>";
    }).join("") + "</tr></thead><tbody>";
    table.rows.forEach(function (r) {
      html += '<tr data-key="' + esc(String(r.key)) + '">' + cols.map(function (c, i) {
        var v = r[c.key];
        if (v === null || v === undefined) v = "";
        else if (typeof v === "number") v = c.kind === "int" ? String(v) : nf2.format(v);
        var text = esc(String(v));
        if (i === 0 && link) text = '<a href="' + esc(link(r)) + '">' + text + "</a>";
        return '<td data-col="' + esc(c.key) + '">' + text + "</td>";
      }).join("") + "</tr>";
    });
    el.innerHTML = html + "</tbody></table>";
  }

  function draw(name, config) {
    if (charts[name]) charts[name].destroy();
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false },
                                   config.options || {});
    charts[name] = new Chart(document.getElementById("chart-" + name), config);
  }

  function dataset(table, key, i, extra) {
    return Object.assign({
      label: colText(column(table, key)),
      data: table.rows.map(function (r) { return r[key]; }),
      backgroundColor: PALETTE[i % PALETTE.length],
      gis_key: key
    }, extra || {});
  }

  function axis(title, position, counts) {
    return { position: position || "left", beginAtZero: true, title: { display: true, text: title },
             grid: { drawOnChartArea: position !== "right" }, ticks: counts ? { precision: 0 } : {} };
  }

  function kpi(id, value, fmt) {
    document.getElementById("kpi-" + id).textContent = value === null || value === undefined ? "–" : fmt.format(value);
  }

  // --- figures ------------------------------------------------------------------------------

  function showAvailable() {
    var params = { by: document.getElementById("ctl-available-by").value };
    setDownloads("available", cfg.endpoints.available, params);
    return load(cfg.endpoints.available, params, function (t) {
      // land parcels in 亩, islands in 亩 beside them, plants and buildings by floor area:
      // each kind as what it is (a plant's parcel is not land on offer)
      draw("available", {
        type: "bar",
        data: {
          labels: t.rows.map(label),
          datasets: [dataset(t, "available_land_mu", 1, { yAxisID: "y" }),
                     dataset(t, "available_island_mu", 9, { yAxisID: "y" }),
                     dataset(t, "vacant_gfa_m2", 0, { yAxisID: "y1" })]
        },
        options: { scales: { y: axis(lang === "zh" ? "亩" : "mu"), y1: axis("m²", "right") } }
      });
      renderTable("available", t, ["label_" + lang, "sites", "available_sites", "available_land_mu",
                                   "vacant_gfa_m2", "available_island_mu", "available_shoreline_m",
                                   "available_mu", "total_mu"]);
      kpi("available_land_mu", t.totals.available_land_mu, nf1);
      kpi("vacant_gfa_m2", t.totals.vacant_gfa_m2, nf1);
      kpi("available_island_mu", t.totals.available_island_mu, nf1);
      kpi("available_shoreline_m", t.totals.available_shoreline_m, nf1);
      kpi("available_sites", t.totals.available_sites, nf1);
    });
  }

  // the city view: the districts side by side, each leading to its own dashboard
  function showDistricts() {
    if (!cfg.cityView) return Promise.resolve();
    setDownloads("districts", cfg.endpoints.districts, {});
    return load(cfg.endpoints.districts, {}, function (t) {
      draw("districts", {
        type: "bar",
        data: {
          labels: t.rows.map(label),
          datasets: [dataset(t, "available_land_mu", 1, { yAxisID: "y" }),
                     dataset(t, "blocked_mu", 3, { yAxisID: "y" }),
                     dataset(t, "vacant_gfa_m2", 0, { yAxisID: "y1" }),
                     dataset(t, "open_requirements", 4, { yAxisID: "y2" })]
        },
        options: { scales: { y: axis(lang === "zh" ? "亩" : "mu"), y1: axis("m²", "right"),
                             y2: axis(colText(column(t, "open_requirements")), "right", true) } }
      });
      var keys = ["label_" + lang, "sites", "available_sites", "available_land_mu", "vacant_gfa_m2",
                  "blocked_sites", "blocked_mu"];
      cfg.blockers.forEach(function (b) { keys.push(b.key + "_mu"); });
      keys.push("open_requirements");
      t.columns.forEach(function (c) { if (c.key.indexOf("req_") === 0) keys.push(c.key); });
      renderTable("districts", t, keys, function (r) {
        return cfg.drillUrl + "&district_code=" + encodeURIComponent(r.key);
      });
    });
  }

  function showPipeline() {
    var params = { by: document.getElementById("ctl-pipeline-by").value };
    setDownloads("pipeline", cfg.endpoints.pipeline, params);
    return load(cfg.endpoints.pipeline, params, function (t) {
      draw("pipeline", {
        type: "bar",
        data: {
          labels: t.rows.map(label),
          datasets: [dataset(t, "area_mu", 0, { yAxisID: "y" }),
                     dataset(t, "available_mu", 1, { yAxisID: "y" }),
                     dataset(t, "sites", 7, { yAxisID: "y1", type: "line", borderColor: PALETTE[7] })]
        },
        options: { scales: { y: axis(lang === "zh" ? "亩" : "mu"),
                             y1: axis(colText(column(t, "sites")), "right", true) } }
      });
      renderTable("pipeline", t, ["label_" + lang, "sites", "area_mu", "available_sites", "available_mu"]);
    });
  }

  function showBlockers() {
    var params = {};
    setDownloads("blockers", cfg.endpoints.blockers, params);
    return load(cfg.endpoints.blockers, params, function (t) {
      var keys = cfg.blockers.map(function (b) { return b.key; });
      // one row of bars per block: the chart grows with the blocks so that every block keeps
      // its name and bars a few pixels thick (15 blocks × 5 blockers in 320 px were not)
      var perBlock = Math.max(36, keys.length * 9);
      document.getElementById("chart-blockers").parentNode.style.height =
        Math.max(320, 70 + t.rows.length * perBlock) + "px";
      draw("blockers", {
        type: "bar",
        data: {
          labels: t.rows.map(label),
          datasets: cfg.blockers.map(function (b, i) {
            return dataset(t, b.key + "_mu", i + 2, { label: b[lang] });
          })
        },
        options: { indexAxis: "y",
                   scales: { x: axis(lang === "zh" ? "亩" : "mu"), y: { ticks: { autoSkip: false } } },
                   plugins: { legend: { position: "top" } } }
      });
      renderTable("blockers", t, ["label_" + lang, "sites", "area_mu", "blocked_sites", "blocked_mu"]
        .concat(keys.map(function (k) { return k + "_mu"; })));
    });
  }

  function showReadiness() {
    var params = { by: "block", soon_steps: document.getElementById("ctl-readiness-soon").value };
    setDownloads("readiness", cfg.endpoints.readiness, params);
    return load(cfg.endpoints.readiness, params, function (t) {
      draw("readiness", {
        type: "bar",
        data: {
          labels: t.rows.map(label),
          datasets: [dataset(t, "soon_mu", 1), dataset(t, "candidate_mu", 7)]
        },
        options: { indexAxis: "y", scales: { x: axis(lang === "zh" ? "亩" : "mu") } }
      });
      renderTable("readiness", t, ["label_" + lang, "candidate_sites", "candidate_mu", "min_steps",
        "soon_sites", "soon_mu", "waiting_policy", "waiting_planning", "waiting_quota",
        "waiting_clearing", "zone_conflicts"]);
    });
  }

  function showStuck() {
    setDownloads("stuck", cfg.endpoints.stuck, {});
    return load(cfg.endpoints.stuck, {}, function (t) {
      renderTable("stuck", t, ["code", "name_zh", "block", "project_code", "project_name",
                               "stage_" + lang, "late_" + lang, "days_late"]);
      document.getElementById("empty-stuck").hidden = t.rows.length > 0;
    });
  }

  function showStale() {
    var days = document.getElementById("ctl-stale-days").value;
    var params = { by: "block", days: days };
    setDownloads("stale", cfg.endpoints.stale, params);
    var siteParams = { by: "site", days: days };
    document.getElementById("stale-sites-csv").href = url(cfg.endpoints.stale, siteParams, "csv");
    document.getElementById("stale-sites-xlsx").href = url(cfg.endpoints.stale, siteParams, "xlsx");
    return load(cfg.endpoints.stale, params, function (t) {
      draw("stale", {
        type: "bar",
        data: { labels: t.rows.map(label), datasets: [dataset(t, "stale_sites", 3)] },
        options: { scales: { y: axis(colText(column(t, "stale_sites")), "left", true) } }
      });
      renderTable("stale", t, ["label_" + lang, "sites", "stale_sites", "stale_mu", "never_verified",
                               "oldest_verified_at"]);
      kpi("stale_sites", t.totals.stale_sites, nf1);
    });
  }

  function listParam(id) {
    return document.getElementById(id).value.split(/[,，;；]/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
  }

  function showFunnel() {
    var by = document.getElementById("ctl-funnel-by").value;
    var params = { by: by, officer: listParam("ctl-funnel-officer"), block: listParam("ctl-funnel-block") };
    setDownloads("funnel", cfg.endpoints.funnel, params);
    setDownloads("funnel_time", cfg.endpoints.funnel, params);
    return load(cfg.endpoints.funnel, params, function (t) {
      var statuses = [];
      var groups = [];
      t.rows.forEach(function (r) {
        if (statuses.indexOf(r.key) < 0) statuses.push(r.key);
        var g = by === "none" ? null : r.group;
        if (groups.indexOf(g) < 0) groups.push(g);
      });
      function labelOf(k) {
        for (var i = 0; i < t.rows.length; i++) if (t.rows[i].key === k) return label(t.rows[i]);
        return k;
      }
      function cell(g, k, key) {
        for (var i = 0; i < t.rows.length; i++) {
          var r = t.rows[i];
          if (r.key === k && (by === "none" || r.group === g)) return r[key];
        }
        return null;
      }
      function series(g, key, keys) {
        return (keys || statuses).map(function (k) { return cell(g, k, key); });
      }
      // The funnel: its stages only, cumulative ("reached" counts whoever got to the stage or
      // beyond, so it never grows from one stage to the next); a working status such as 匹配中
      // counts in its stage, and dropped requirements are named beside the funnel.
      var stages = cfg.funnelStages;
      function stageCurrent(g) {
        return stages.map(function (st) {
          var n = 0;
          statuses.forEach(function (k) { if (cfg.stageOf[k] === st) n += cell(g, k, "current") || 0; });
          return n;
        });
      }
      function dsOf(key, data, i) {
        return { label: colText(column(t, key)), data: data, backgroundColor: PALETTE[i % PALETTE.length],
                 gis_key: key };
      }
      function groupName(g) {
        if (by === "none") return "";
        for (var i = 0; i < t.rows.length; i++) if (t.rows[i].group === g) return t.rows[i]["group_" + lang];
        return String(g);
      }
      var counts, times;
      if (by === "none") {
        counts = [dsOf("reached", series(null, "reached", stages), 0), dsOf("current", stageCurrent(null), 1)];
        times = [dataset(t, "mean_days", 2), dataset(t, "median_days", 4), dataset(t, "in_stage_mean_days", 7)];
      } else {
        counts = groups.map(function (g, i) {
          return { label: groupName(g) + " · " + colText(column(t, "reached")), data: series(g, "reached", stages),
                   backgroundColor: PALETTE[i % PALETTE.length], gis_key: "reached", gis_group: g };
        });
        times = groups.map(function (g, i) {
          return { label: groupName(g) + " · " + colText(column(t, "mean_days")), data: series(g, "mean_days"),
                   backgroundColor: PALETTE[i % PALETTE.length], gis_key: "mean_days", gis_group: g };
        });
      }
      draw("funnel", { type: "bar", data: { labels: stages.map(labelOf), datasets: counts },
                       options: { indexAxis: "y", scales: { x: axis(colText(column(t, "reached")), "bottom", true) } } });
      var dropped = 0;
      t.rows.forEach(function (r) { if (cfg.stageOf[r.key] === undefined) dropped += r.current || 0; });
      document.getElementById("funnel-dropped").textContent = word("dropped_total") + ": " + dropped;
      // stage times only once some stage lasted long enough to be worth an axis
      var enough = !!t.totals.times_enough_data;
      var timeBox = document.getElementById("chart-funnel_time").parentNode;
      timeBox.hidden = !enough;
      document.getElementById("empty-funnel_time").hidden = enough;
      if (enough) {
        draw("funnel_time", { type: "bar", data: { labels: statuses.map(labelOf), datasets: times },
                              options: { scales: { y: axis(lang === "zh" ? "天" : "days") } } });
      } else if (charts.funnel_time) {
        charts.funnel_time.destroy();
        delete charts.funnel_time;
      }
      var keys = (by === "none" ? [] : ["group_" + lang]).concat(["label_" + lang, "current", "reached",
        "conversion_pct", "dropped_from"]);
      renderTable("funnel", t, keys);
      renderTable("funnel_time", t, (by === "none" ? [] : ["group_" + lang]).concat(["label_" + lang,
        "completed", "mean_days", "median_days", "max_days", "in_stage_mean_days"]));
      if (by !== "block" && t.totals.requirements !== null) kpi("requirements", t.totals.requirements, nf1);
    });
  }

  function guard(fn) { return function () { failed = false; fn(); }; }

  document.getElementById("ctl-available-by").addEventListener("change", guard(showAvailable));
  document.getElementById("ctl-pipeline-by").addEventListener("change", guard(showPipeline));
  document.getElementById("ctl-readiness-soon").addEventListener("change", guard(showReadiness));
  document.getElementById("ctl-stale-days").addEventListener("change", guard(showStale));
  document.getElementById("ctl-funnel-apply").addEventListener("click", guard(showFunnel));
  document.getElementById("ctl-funnel-by").addEventListener("change", guard(showFunnel));

  window.gisDashboard = { charts: charts, tables: tables, reload: function () {
    return Promise.allSettled([showDistricts(), showAvailable(), showPipeline(), showBlockers(), showStuck(),
                               showReadiness(), showStale(), showFunnel()]);
  } };
  window.gisDashboard.reload();
})();
