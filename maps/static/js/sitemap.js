/*
 * Officers' site map: filter panel, results list, site vector tiles, popups, reference layers,
 * legend and language switch, attached to a Folium-built Leaflet map.
 *
 * Live mode: sites come from the app's vector tiles (/tiles/sites/{z}/{x}/{y}.pbf, the same
 * filters as /api/sites), the list and popups from /api/sites, reference layers from
 * /tiles/layers/... by viewport and zoom. Embedded mode (static export): the same page with a
 * small selection embedded as GeoJSON and no server.
 *
 * No inline event handlers (the pages' Content-Security-Policy forbids them).
 */
(function () {
  "use strict";

  // Leaflet >= 1.8 dropped DomEvent.fakeStop, which VectorGrid 1.3.0's canvas click handler
  // calls; upstream fixed it by using stop() (Leaflet.VectorGrid PR #288, not yet released).
  if (window.L && L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = L.DomEvent.stop;
  }
  // Leaflet >= 1.8 also marks every canvas "_leaflet_disable_events", so a click, double
  // click or move on a VectorGrid tile that hits no site never reached the map (its click
  // handler only fires for a site): drawing a search area or measuring over the sites did
  // nothing. Such events go to the map here; while a tool takes clicks (map._gisToolActive),
  // clicks on sites go to the map too.
  if (window.L && L.Canvas && L.Canvas.Tile) {
    var tileMove = L.Canvas.Tile.prototype._onMouseMove;
    L.Canvas.Tile.prototype._onClick = function (e) {
      var map = this._map, point = map.mouseEventToLayerPoint(e).subtract(this.getOffset()), hit = null;
      if (!map._gisToolActive) {
        for (var id in this._layers) {
          var layer = this._layers[id];
          if (layer.options.interactive && layer._containsPoint(point) && !map._draggableMoved(layer)) { hit = layer; }
        }
      }
      if (hit) {
        L.DomEvent.stop(e);
        this._fireEvent([hit], e);
      } else {
        map._fireDOMEvent(e, e.type);
      }
    };
    L.Canvas.Tile.prototype._onMouseMove = function (e) {
      if (!this._map._gisToolActive) { tileMove.call(this, e); }
      this._map._fireDOMEvent(e, "mousemove");
    };
  }

  // parameters of the page URL that are not search filters
  var PAGE_PARAMS = { lang: 1, basemap: 1, view: 1 };
  var LIST_FILTER_SKIP = PAGE_PARAMS;
  var STALE_DAYS = 365;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  // the one HTML escape of the pages' scripts (api.js, loaded first)
  var esc = window.gisApi.esc;
  // a phone, upright or on its side: the same query as sitemap.css's small-screen block
  var SMALL_SCREEN = "(max-width: 760px), (max-height: 520px)";
  function smallScreen() { return !!(window.matchMedia && window.matchMedia(SMALL_SCREEN).matches); }
  function fmt(n, digits) {
    if (n === null || n === undefined || n === "") { return ""; }
    var x = Number(n);
    return isFinite(x) ? x.toLocaleString("zh-CN", { maximumFractionDigits: digits === undefined ? 1 : digits }) : esc(n);
  }
  // An infrastructure symbol (maps/style.py INFRA_SYMBOLS) as SVG markup: dark ink on white.
  function symbolSvg(shape, size, ink) {
    var body = {
      anchor: '<circle cx="8" cy="3.6" r="1.7" fill="none"/><path d="M8 5.3V14M4.6 7.8h6.8M2.6 10.2a5.4 4.4 0 0 0 10.8 0" fill="none"/>',
      square: '<rect x="3.5" y="3.5" width="9" height="9" fill="' + ink + '"/>',
      triangle: '<path d="M8 2.5l6 10.5H2z" fill="' + ink + '"/>',
      diamond: '<path d="M8 1.8l6.2 6.2L8 14.2 1.8 8z" fill="' + ink + '"/>',
      plane: '<path d="M8 1.5l1.1 4.4 5.4 3v1.4l-5.4-1.4v2.9l1.7 1.4v1.1L8 13.6l-2.8.7v-1.1l1.7-1.4V8.9L1.5 10.3V8.9l5.4-3z" fill="' + ink + '" stroke="none"/>',
      rail: '<path d="M1 8h14M3 5.5v5M6.5 5.5v5M10 5.5v5M13.5 5.5v5" fill="none"/>',
      bolt: '<path d="M9.5 1.2L3.5 9h4l-1.2 5.8L12.5 7h-4z" fill="' + ink + '" stroke="none"/>'
    }[shape] || '<rect x="3.5" y="3.5" width="9" height="9" fill="' + ink + '"/>';
    return '<svg class="gis-symbol" width="' + size + '" height="' + size + '" viewBox="0 0 16 16" aria-hidden="true">' +
      '<rect x="0.5" y="0.5" width="15" height="15" rx="3" fill="#ffffff" stroke="' + ink + '" stroke-width="1"/>' +
      '<g stroke="' + ink + '" stroke-width="1.4" stroke-linecap="round">' + body + "</g></svg>";
  }
  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function App(map, o) {
    this.map = map;
    this.o = o;
    var params = new URLSearchParams(window.location.search);
    this.lang = params.get("lang") === "en" ? "en" : (params.get("lang") === "zh" ? "zh" : (o.lang || "zh"));
    this.live = o.mode !== "embedded";
    this.busy = { tiles: 0, list: 0, layers: 0 };
    this.listById = {};
    this.listFeatures = [];
    this.listTotal = null;
    this.selectedId = null;
    this.firstSiteDrawnAt = null;
    this.tileRecords = {};
    this._listAbort = null;
    this._layersFetched = null;
    this._popupSiteId = null;
    // the last search the server accepted (a query string); what the tiles and list show
    this.applied = null;
    this.urlProblems = [];
    this.requestProblem = null;
    this._keepList = false;
    // other modules (search areas, comparisons …) listen here: "applied" {params}, "rejected"
    // {message, params}, "language" {lang}
    this.events = new L.Evented();
    this.searchParameters = {};
    // districts are rows of the database, not a fixed vocabulary: the page passes their names
    if (o.districts) { o.vocab = L.extend({}, o.vocab, { district: o.districts }); }
    var self0 = this;
    (o.searchParameters || []).forEach(function (p) { self0.searchParameters[p.name] = p; });

    this._setUpPanes();
    this._setUpView(params);
    this._setUpForm(params);
    this._setUpSites();
    this._setUpReferenceLayers();
    this._setUpLegend();
    this._markOpenPopups();
    this._setUpBasemaps();
    this._setUpLanguage();
    this._setUpList();
    this.applyLanguage();
    if (window.GisSearchArea && this.live) { this.searchArea = window.GisSearchArea.attach(this); }
    this.refresh({ initial: true });
    var self = this;
    map.on("moveend", debounce(function () { self._onMove(); }, 150));
  }

  App.prototype.t = function (key) {
    var e = this.o.labels[key];
    return e ? e[this.lang] : key;
  };
  // vocabulary label of key; the vocabulary's own title for key ""
  App.prototype.v = function (voc, key) {
    if (key === null || key === undefined) { return ""; }
    var vv = this.o.vocab[voc];
    var e = vv && vv[key];
    return e ? e[this.lang] : key;
  };
  App.prototype.landUse = function (system, code) {
    if (!code) { return ""; }
    var e = (this.o.landUse[system] || {})[code];
    return e ? code + " " + e[this.lang] : code;
  };
  App.prototype.siteName = function (p) {
    return this.lang === "en" && p.name_en ? p.name_en : p.name_zh;
  };

  // --- panes, view, state -------------------------------------------------------------------

  App.prototype._setUpPanes = function () {
    var land = this.map.createPane("gis-land");
    land.style.zIndex = 210;
    land.style.pointerEvents = "none";
    var zones = this.map.createPane("gis-zones");
    zones.style.zIndex = 390;
    zones.style.pointerEvents = "none";
    var sites = this.map.createPane("gis-sites");
    sites.style.zIndex = 450;
    var infra = this.map.createPane("gis-infra");
    infra.style.zIndex = 460;
    // an SVG renderer lets clicks between the markers through to the sites below (a canvas
    // renderer would cover the whole map); the markers themselves stay interactive
    infra.style.pointerEvents = "none";
    this.infraRenderer = L.svg({ pane: "gis-infra" });
  };

  // the map window: view=lat,lon,zoom, or bbox=minlon,minlat,maxlon,maxlat (the API's window
  // parameter: on the map it is where the map opens, the list follows the window)
  App.prototype._setUpView = function (params) {
    var view = (params.get("view") || "").split(",").map(Number);
    if (view.length === 3 && view.every(isFinite)) {
      this.map.setView([view[0], view[1]], view[2]);
      return;
    }
    var box = (params.get("bbox") || "").split(",").map(Number);
    if (box.length === 4 && box.every(isFinite) && box[0] < box[2] && box[1] < box[3]) {
      this.map.fitBounds([[box[1], box[0]], [box[3], box[2]]]);
    }
  };

  App.prototype._setBusy = function (what, delta) {
    this.busy[what] = Math.max(0, this.busy[what] + delta);
    var idle = !this.busy.tiles && !this.busy.list && !this.busy.layers;
    document.body.setAttribute("data-gis-state", idle ? "idle" : "busy");
  };

  App.prototype.idle = function () {
    var self = this;
    return new Promise(function (resolve) {
      (function check() {
        if (!self.busy.tiles && !self.busy.list && !self.busy.layers) { resolve(true); }
        else { setTimeout(check, 50); }
      })();
    });
  };

  // --- filters ------------------------------------------------------------------------------

  App.prototype._setUpForm = function (params) {
    var form = $("#gis-filters");
    this.form = form;
    if (!form) { return; }
    var self = this;
    // initial values from the page URL; a parameter the search does not know, or a value the
    // form cannot hold, is reported (never silently dropped)
    var seen = {};
    params.forEach(function (value, name) {
      if (PAGE_PARAMS[name]) { return; }
      var known = self.searchParameters[name];
      if (!known && self.o.searchParameters) {
        self.urlProblems.push({ key: "unknown_parameter", name: name, value: value });
        return;
      }
      if (known && known.control === "view") { return; }
      var taken = false, invalid = false;
      $all('[name="' + name + '"]', form).forEach(function (el) {
        if (el.type === "checkbox") {
          if (el.value === value) { el.checked = true; taken = true; }
        } else if (el.tagName === "SELECT") {
          $all("option", el).forEach(function (op) {
            if (op.value === value && value !== "" && (el.multiple || !seen[name])) { op.selected = true; taken = true; }
          });
        } else if (!seen[name]) {
          el.value = value;
          taken = el.value === value;
          if (!taken && el.type === "number") { invalid = true; }
        }
      });
      seen[name] = true;
      if (!taken) { self.urlProblems.push({ key: invalid ? "invalid_value" : "value_not_offered", name: name, value: value }); }
      // open the form's section holding a parameter the link sets
      var holder = $('[name="' + name + '"]', form);
      var section = holder && holder.closest("details");
      if (section) { section.open = true; }
    });
    var apply = debounce(function () { self.refresh({ user: true }); }, 350);
    form.addEventListener("change", apply);
    form.addEventListener("input", apply);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); self.refresh({ user: true }); });
    var reset = $("#gis-reset");
    if (reset) {
      reset.addEventListener("click", function (ev) {
        ev.preventDefault();
        form.reset();
        $all("input[type=number], input[type=search], input[type=text]", form).forEach(function (el) { el.value = ""; });
        $all("input[type=checkbox]", form).forEach(function (el) { el.checked = false; });
        $all("select", form).forEach(function (el) { el.selectedIndex = el.multiple ? -1 : 0; });
        $all("input[type=hidden]", form).forEach(function (el) { el.value = ""; });
        self.refresh({ user: true });
      });
    }
  };

  App.prototype.filterParams = function () {
    var p = new URLSearchParams();
    if (!this.form) { return p; }
    new FormData(this.form).forEach(function (value, name) {
      if (value !== "" && value !== null && !LIST_FILTER_SKIP[name]) { p.append(name, value); }
    });
    return p;
  };

  // the page URL holds the applied search (the contract other pages and modules read)
  App.prototype._syncUrl = function () {
    var p = new URLSearchParams(this.applied === null ? "" : this.applied);
    p.set("lang", this.lang);
    if (this.o.basemap) { p.set("basemap", this.basemap || this.o.basemap); }
    var url = window.location.pathname + "?" + p.toString();
    if (window.location.protocol !== "file:") { window.history.replaceState(null, "", url); }
  };

  App.prototype.tileUrl = function (params) {
    var q = new URLSearchParams(params === undefined ? this.filterParams().toString() : params);
    if (this.o.frame === "gcj02") { q.set("frame", "gcj02"); }
    var qs = q.toString();
    return this.o.endpoints.tiles + (qs ? "?" + qs : "");
  };

  // Run the search in the form. The server checks it first (the same search in a window of a
  // few centimetres: no count to wait for): only a search it accepts reaches the tiles, the
  // list and the page URL; a refused one leaves them as they were and says why. A page with
  // no search needs no check.
  App.prototype.refresh = function (opts) {
    opts = opts || {};
    var self = this, params = this.filterParams().toString();
    this._keepList = false;
    if (!this.live || params === "") {
      this._apply(params, !!opts.user);
      return this.loadList();
    }
    if (this._checkAbort) { this._checkAbort.abort(); }
    var ctrl = new AbortController();
    this._checkAbort = ctrl;
    var q = new URLSearchParams(params), c = this.map.getCenter();
    q.set("bbox", [c.lng, c.lat, c.lng + 1e-7, c.lat + 1e-7].map(function (v) { return v.toFixed(7); }).join(","));
    q.set("limit", "1");
    q.set("format", "json");
    this._setBusy("list", 1);
    return fetch(this.o.endpoints.sites + "?" + q.toString(), { credentials: "same-origin", signal: ctrl.signal })
      .then(function (r) {
        return r.ok ? null : window.gisApi.problemOf(r);
      }).then(function (refusal) {
        if (refusal && refusal.status < 500) {
          self._reject(refusal, params);
          if (self.applied === null) { self._showListError(self._problemText(refusal)); }
          return;
        }
        self._apply(params, !!opts.user);
        return self.loadList();
      }).catch(function (err) {
        if (err.name !== "AbortError") { self._showListError(String(err.message || err)); }
      }).then(function () {
        if (self._checkAbort === ctrl) { self._checkAbort = null; }
        self._setBusy("list", -1);
      });
  };

  App.prototype._showListError = function (message) {
    var status = $("#gis-list-status");
    if (status) { status.textContent = message; status.classList.add("gis-error"); }
  };

  App.prototype._apply = function (params, user) {
    this.applied = params;
    this.requestProblem = null;
    if (user) { this.urlProblems = []; }
    this._renderProblems();
    this._syncUrl();
    if (this.live) {
      var url = this.tileUrl(params);
      if (this.sitesLayer._url !== url) {
        this.tileRecords = {};
        this.sitesLayer.setUrl(url);
      }
      if (!this.sitesGroup.hasLayer(this.sitesLayer)) { this.sitesGroup.addLayer(this.sitesLayer); }
    }
    this.events.fire("applied", { params: params });
  };

  // the server's refusal (api.js problemOf) in the page's language; a refusal without a
  // message of its own (the generic code) adds the server's English detail, which names it
  App.prototype._problemText = function (p) {
    var text = window.gisApi.text(p.message, p.detail);
    return p.code === "invalid_input" && p.detail ? text + " (" + p.detail + ")" : text;
  };

  App.prototype._reject = function (problem, params) {
    this.requestProblem = problem;
    this._renderProblems();
    this.events.fire("rejected", { message: this._problemText(problem), problem: problem, params: params });
  };

  App.prototype._renderProblems = function () {
    var box = $("#gis-problems");
    if (!box) { return; }
    var self = this, items = [];
    this.urlProblems.forEach(function (p) {
      items.push("<li>" + esc(p.name) + "=" + esc(String(p.value).slice(0, 80)) + "：" + esc(self.t(p.key)) + "</li>");
    });
    if (this.requestProblem) {
      items.push('<li class="gis-request-problem">' + esc(this._problemText(this.requestProblem)) + "（" + esc(this.t("not_applied")) + "）</li>");
    }
    box.hidden = items.length === 0;
    box.innerHTML = items.length ? "<strong>" + esc(this.t("problems")) + "</strong><ul>" + items.join("") + "</ul>" : "";
  };

  // --- sites layer --------------------------------------------------------------------------

  App.prototype.siteStyle = function (p) {
    if (this.firstSiteDrawnAt === null) {
      this.firstSiteDrawnAt = performance.now();
      if (performance.mark) { performance.mark("gis-first-site"); }
    }
    var colour = this.o.colours[p.availability] || "#999999";
    if (p.n > 1) {
      return {
        radius: Math.min(26, 7 + 3 * Math.log(p.n) / Math.LN2),
        fill: true, fillColor: colour, fillOpacity: 0.8, color: "#ffffff", weight: 2, opacity: 1
      };
    }
    return {
      radius: 6, fill: true, fillColor: colour, fillOpacity: p.form === "polygon" ? 0.55 : 0.85,
      color: "#1f1f1f", weight: p.form === "polygon" ? 1.5 : 1, opacity: 0.9,
      dashArray: this.o.kindDash[p.kind] || null
    };
  };

  App.prototype.highlightStyle = function (p) {
    var s = this.siteStyle(p || {});
    s.color = "#00bcd4";
    s.weight = 4;
    s.dashArray = null;
    s.radius = 9;
    return s;
  };

  App.prototype._setUpSites = function () {
    var self = this;
    var group = window[this.o.layers.sites];
    this.sitesGroup = group;
    if (!this.live) {
      this._setUpEmbeddedSites(group);
      return;
    }
    var Tracked = L.VectorGrid.Protobuf.extend({
      _getVectorTilePromise: function (coords, tileBounds) {
        var layer = this, key = this._tileCoordsToKey(coords), url = this._url;
        self._setBusy("tiles", 1);
        return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords, tileBounds)
          .then(function (vt) {
            self._setBusy("tiles", -1);
            var lyr = vt.layers && vt.layers.sites;
            if (layer._url === url) {
              self.tileRecords[key] = {
                z: coords.z, x: coords.x, y: coords.y,
                extent: lyr ? lyr.extent : 4096,
                features: lyr ? lyr.features.map(function (f) {
                  return { p: f.properties, g: f.geometry, type: f.type };
                }) : []
              };
              self._updateCounts();
            }
            return vt;
          }, function (err) {
            self._setBusy("tiles", -1);
            throw err;
          });
      }
    });
    this.sitesLayer = new Tracked(this.tileUrl(""), {
      pane: "gis-sites",
      rendererFactory: L.canvas.tile,
      interactive: true,
      maxZoom: 22,
      getFeatureId: function (f) { return f.properties.n > 1 ? "cluster" : f.properties.id; },
      vectorTileLayerStyles: { sites: function (p) { return self.siteStyle(p); } }
    });
    this.sitesLayer.on("tileunload", function (e) {
      delete self.tileRecords[this._tileCoordsToKey(e.coords)];
      self._updateCounts();
    });
    this.sitesLayer.on("click", function (e) {
      var p = e.layer.properties;
      if (p.n > 1) {
        self.map.setView(e.latlng, Math.min(self.map.getZoom() + 2, 18));
        return;
      }
      self.selectSite(p.id, { latlng: e.latlng, from: "map" });
    });
    var tip = L.tooltip({ direction: "top", offset: [0, -6] });
    this.sitesLayer.on("mouseover", function (e) {
      var p = e.layer.properties;
      var text = p.n > 1 ? p.n + " " + self.t("cluster") + " (" + self.t("of_which_available") + " " + (p.n_available || 0) + ")"
        : esc(self.siteName(p)) + " · " + esc(p.code) + " · " + fmt(p.area_mu) + " " + self.t("mu");
      tip.setLatLng(e.latlng).setContent(text);
      self.map.openTooltip(tip);
    });
    this.sitesLayer.on("mouseout", function () { self.map.closeTooltip(tip); });
    // added to the map by the first search the server accepts (_apply)
  };

  App.prototype._setUpEmbeddedSites = function (group) {
    var self = this;
    var data = this.o.embedded.sites || { type: "FeatureCollection", features: [] };
    this.embeddedLayers = {};
    this.sitesLayer = L.geoJSON(data, {
      pane: "gis-sites",
      style: function (f) {
        var p = L.extend({ n: 1, form: "polygon" }, f.properties);
        return self.siteStyle(p);
      },
      onEachFeature: function (f, layer) {
        self.embeddedLayers[f.properties.id] = layer;
        layer.on("click", function (e) {
          self.selectSite(f.properties.id, { latlng: e.latlng, from: "map" });
        });
        layer.bindTooltip(function () {
          return esc(self.siteName(f.properties)) + " · " + esc(f.properties.code);
        });
      }
    });
    group.addLayer(this.sitesLayer);
  };

  // Sites drawn: each site counted once, in the tile that holds its centre ("own"), and each
  // cluster by its count; only tiles of the zoom level on screen.
  App.prototype.drawnSiteCount = function () {
    if (!this.live) { return this.sitesLayer.getLayers().length; }
    var z = this.sitesLayer._tileZoom, ids = {}, clustered = 0;
    for (var key in this.tileRecords) {
      var rec = this.tileRecords[key];
      if (rec.z !== z) { continue; }
      rec.features.forEach(function (f) {
        if (f.p.own !== 1) { return; }
        if (f.p.n > 1) { clustered += f.p.n; } else { ids[f.p.id] = true; }
      });
    }
    return Object.keys(ids).length + clustered;
  };

  // Global pixel bounds (at the tile zoom) of what was drawn for one site, from the tile data.
  App.prototype.drawnBounds = function (id) {
    var z = this.sitesLayer._tileZoom, out = null;
    for (var key in this.tileRecords) {
      var rec = this.tileRecords[key];
      if (rec.z !== z) { continue; }
      var scale = 256 / rec.extent;
      rec.features.forEach(function (f) {
        if (f.p.id !== id || f.p.n > 1) { return; }
        f.g.forEach(function (ring) {
          ring.forEach(function (pt) {
            var gx = rec.x * 256 + pt.x * scale, gy = rec.y * 256 + pt.y * scale;
            if (pt.x < 0 || pt.y < 0 || pt.x > rec.extent || pt.y > rec.extent) { return; }
            if (!out) { out = { z: z, minx: gx, miny: gy, maxx: gx, maxy: gy }; }
            out.minx = Math.min(out.minx, gx); out.maxx = Math.max(out.maxx, gx);
            out.miny = Math.min(out.miny, gy); out.maxy = Math.max(out.maxy, gy);
          });
        });
      });
    }
    return out;
  };

  App.prototype._updateCounts = function () {
    var el = $("#gis-drawn-count");
    if (el) {
      var n = this.drawnSiteCount();
      el.textContent = String(n);
      el.setAttribute("data-count", String(n));
    }
  };

  // --- selection and popups -----------------------------------------------------------------

  App.prototype.selectSite = function (id, opts) {
    opts = opts || {};
    var self = this;
    if (this.selectedId !== null && this.selectedId !== id) { this._unhighlight(this.selectedId); }
    this.selectedId = id;
    this._highlight(id);
    this._highlightRow(id, opts.from === "map");
    var feature = this.listById[id];
    if (opts.zoom && feature) {
      var b = L.geoJSON(feature).getBounds();
      var before = this.map.getCenter().toString() + this.map.getZoom();
      this.map.fitBounds(b, { maxZoom: 17, padding: [40, 40] });
      // the list stays the result list (the row highlighted), not the sites of the new window
      if (this.map.getCenter().toString() + this.map.getZoom() !== before || this.map._panAnim) {
        this._keepList = true;
        var status = $("#gis-list-status");
        if (status) { status.setAttribute("data-kept", "1"); }
      }
    }
    return this.siteFeature(id).then(function (f) {
      if (!f) { return; }
      var at = opts.latlng || L.geoJSON(f).getBounds().getCenter();
      self._popupSiteId = id;
      var options = { maxWidth: 360, minWidth: 260, autoPan: !opts.zoom };
      if (smallScreen()) {
        // a phone's short map: the popup scrolls inside rather than run off the map's top
        // (from a list row the site is centred and the map is not panned again)
        var size = self.map.getSize();
        options.maxWidth = Math.min(360, size.x - 50);
        options.minWidth = Math.min(260, options.maxWidth);
        options.maxHeight = Math.max(80, opts.zoom ? Math.floor(size.y / 2) - 75 : size.y - 60);
      }
      self.popup = L.popup(options)
        .setLatLng(at).setContent(self.popupHtml(f.properties)).openOn(self.map);
    });
  };

  App.prototype._highlight = function (id) {
    if (this.live) {
      this.sitesLayer.setFeatureStyle(id, this.highlightStyle(this._tileProps(id)));
    } else if (this.embeddedLayers[id]) {
      this.embeddedLayers[id].setStyle(this.highlightStyle(this.embeddedLayers[id].feature.properties));
      this.embeddedLayers[id].bringToFront();
    }
  };
  App.prototype._unhighlight = function (id) {
    if (this.live) { this.sitesLayer.resetFeatureStyle(id); }
    else if (this.embeddedLayers[id]) { this.sitesLayer.resetStyle(this.embeddedLayers[id]); }
  };
  App.prototype._tileProps = function (id) {
    for (var key in this.tileRecords) {
      var feats = this.tileRecords[key].features;
      for (var i = 0; i < feats.length; i++) { if (feats[i].p.id === id) { return feats[i].p; } }
    }
    var f = this.listById[id];
    return f ? L.extend({ n: 1, form: "polygon" }, f.properties) : { n: 1 };
  };

  App.prototype.siteFeature = function (id) {
    if (!this.live) {
      var l = this.embeddedLayers[id];
      return Promise.resolve(l ? l.feature : null);
    }
    var url = this.o.endpoints.site.replace("{id}", encodeURIComponent(id));
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  };

  App.prototype.popupHtml = function (p) {
    var self = this, rows = [];
    function row(label, value) { if (value !== "" && value !== null && value !== undefined) { rows.push("<tr><th>" + esc(label) + "</th><td>" + value + "</td></tr>"); } }
    row(this.t("code"), esc(p.code));
    row(this.v("site_kind", ""), esc(this.v("site_kind", p.kind)));
    if (p.district_code && this.o.vocab.district) { row(this.v("district", ""), esc(this.v("district", p.district_code))); }
    row(this.t("area"), '<span class="gis-area-mu">' + fmt(p.area_mu, 2) + " " + this.t("mu") + "</span> · " + fmt(p.area_m2, 0) + " " + this.t("m2"));
    row(this.t("planned_use"), esc(this.landUse("2023", p.planned_use)));
    if (p.legacy_use) { row(this.t("legacy_use"), esc(this.landUse("gb50137", p.legacy_use))); }
    var ind = [];
    if (p.far_min !== null && p.far_min !== undefined || p.far_max !== null && p.far_max !== undefined) {
      ind.push(this.t("far") + " " + fmt(p.far_min, 2) + "–" + fmt(p.far_max, 2));
    }
    if (p.coverage_min_pct !== null && p.coverage_min_pct !== undefined) { ind.push(this.t("coverage_min_pct") + " " + fmt(p.coverage_min_pct) + "%"); }
    if (p.green_max_pct !== null && p.green_max_pct !== undefined) { ind.push(this.t("green_max_pct") + " " + fmt(p.green_max_pct) + "%"); }
    if (p.height_limit_m !== null && p.height_limit_m !== undefined) { ind.push(this.t("height_limit_m") + " " + fmt(p.height_limit_m) + " m"); }
    row(this.t("indicators"), esc(ind.join("; ")));
    var av = '<span class="gis-badge" style="background:' + esc(this.o.colours[p.availability] || "#999") + '"></span>' + esc(this.v("availability", p.availability));
    row(this.v("availability", ""), av);
    row(this.v("supply_stage", ""), esc(this.v("supply_stage", p.supply_stage)));
    row(this.v("readiness", ""), esc(this.v("readiness", p.readiness)));
    var pol = this.v("policy_status", p.policy_status);
    if (pol && p.policy_progress_pct !== null && p.policy_progress_pct !== undefined) { pol += " (" + p.policy_progress_pct + "%)"; }
    row(this.v("policy_status", ""), esc(pol));
    row(this.v("planning_status", ""), esc(this.v("planning_status", p.planning_status)));
    row(this.v("quota_status", ""), esc(this.v("quota_status", p.quota_status)));
    if (p.reserve_price_wan_per_mu !== null && p.reserve_price_wan_per_mu !== undefined) {
      row(this.t("price"), fmt(p.reserve_price_wan_per_mu, 2) + " " + this.t("wan_per_mu"));
    }
    if (p.min_rent_yuan_m2_month !== null && p.min_rent_yuan_m2_month !== undefined) {
      row(this.t("rent"), fmt(p.min_rent_yuan_m2_month, 1) + " " + this.t("yuan_m2_month"));
    }
    if (p.verified_at) {
      var days = (Date.now() - Date.parse(p.verified_at)) / 86400000;
      row(this.t("verified_at"), esc(p.verified_at) + (days > STALE_DAYS ? ' <span class="gis-stale">' + esc(this.t("stale")) + "</span>" : ""));
    }
    // the projects that took the site: code and name, stage, what is behind (one row each)
    (p.projects || []).forEach(function (pr) {
      var text = esc(pr.code) + " " + esc(pr.name);
      if (pr.stage) { text += ' · <span class="gis-stage">' + esc(self.v("milestone", pr.stage)) + "</span>"; }
      (pr.late || []).forEach(function (k) {
        text += ' <span class="gis-late-flag">' + esc(self.t("late")) + ": " + esc(self.v("milestone", k)) + "</span>";
      });
      row(self.t("project"), '<span class="gis-popup-project" data-code="' + esc(pr.code) + '">' + text + "</span>");
    });
    var links = "";
    if (this.live && this.o.endpoints.sheet) {
      links = '<p class="gis-popup-links"><a href="' + esc(this.o.endpoints.sheet.replace("{id}", p.id)) + '">' + esc(this.t("open_sheet")) + "</a></p>";
    }
    return '<div class="gis-popup" data-site-id="' + esc(p.id) + '"><h3>' + esc(self.siteName(p)) +
      "</h3><table>" + rows.join("") + "</table>" + links + "</div>";
  };

  // --- results list -------------------------------------------------------------------------

  App.prototype._setUpList = function () {
    var self = this;
    this.listEl = $("#gis-list");
    if (!this.listEl) { return; }
    this.listEl.addEventListener("click", function (ev) {
      var li = ev.target.closest("[data-site-id]");
      if (!li) { return; }
      ev.preventDefault();
      // on a phone the list lies below the map: bring the map back into view to show the site
      if (smallScreen()) {
        self.map.getContainer().scrollIntoView({ block: "start" });
      }
      self.selectSite(Number(li.getAttribute("data-site-id")), { zoom: true, from: "list" });
    });
  };

  App.prototype._viewBbox = function () {
    var b = this.map.getBounds();
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
      clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(6); }).join(",");
  };

  // The list of the applied search in the map's window.
  App.prototype.loadList = function () {
    var self = this;
    var params = this.applied === null ? "" : this.applied;
    if (!this.live) {
      var bounds = this.map.getBounds();
      var feats = (this.o.embedded.sites.features || []).filter(function (f) {
        return bounds.intersects(L.geoJSON(f).getBounds());
      });
      this._renderList(feats, feats.length);
      this._updateCounts();
      return Promise.resolve();
    }
    if (this._listAbort) { this._listAbort.abort(); }
    var ctrl = new AbortController();
    this._listAbort = ctrl;
    var q = new URLSearchParams(params);
    q.set("bbox", this._viewBbox());
    q.set("limit", String(this.o.listPageSize || 200));
    q.set("sort", "code");
    this._setBusy("list", 1);
    var status = $("#gis-list-status");
    if (status) { status.textContent = this.t("loading"); }
    return fetch(this.o.endpoints.sites + "?" + q.toString(), {
      credentials: "same-origin", signal: ctrl.signal, headers: { Accept: "application/geo+json" }
    }).then(function (r) {
      if (!r.ok) {
        return window.gisApi.problem(r).then(function (m) { throw new Error(m); });
      }
      return r.json();
    }).then(function (fc) {
      self._renderList(fc.features, fc.numberMatched);
    }).catch(function (err) {
      if (err.name === "AbortError") { return; }
      self._showListError(String(err.message || err));
    }).then(function () {
      if (self._listAbort === ctrl) { self._listAbort = null; }
      self._setBusy("list", -1);
    });
  };

  App.prototype._renderList = function (features, total) {
    var self = this;
    this.listFeatures = features;
    this.listTotal = total;
    this.listById = {};
    features.forEach(function (f) { self.listById[f.properties.id] = f; });
    var status = $("#gis-list-status");
    if (status) {
      status.classList.remove("gis-error");
      status.removeAttribute("data-kept");
      status.textContent = this._statusText(features.length, total);
      status.setAttribute("data-total", String(total));
    }
    if (!this.listEl) { return; }
    this.listEl.innerHTML = features.map(function (f) { return self._rowHtml(f.properties); }).join("");
    if (this.selectedId !== null) { this._highlightRow(this.selectedId, false); }
  };

  App.prototype._statusText = function (shown, total) {
    if (total === 0) { return this.t("no_results"); }
    var txt = this.t("in_view") + " " + total + " " + this.t("sites_unit");
    if (total > shown) {
      txt += "（" + this.t("showing_first") + " " + shown + "，" + this.t("zoom_in_for_more") + "）";
    }
    return txt;
  };

  App.prototype._rowHtml = function (p) {
    var colour = this.o.colours[p.availability] || "#999";
    return '<li class="gis-row" data-site-id="' + esc(p.id) + '" tabindex="0">' +
      '<span class="gis-badge" style="background:' + esc(colour) + '"></span>' +
      '<span class="gis-row-name">' + esc(this.siteName(p)) + "</span>" +
      '<span class="gis-row-meta">' + esc(p.code) + " · " + esc(this.v("site_kind", p.kind)) + " · " +
      fmt(p.area_mu) + " " + esc(this.t("mu")) + " · " + esc(this.v("availability", p.availability)) + "</span></li>";
  };

  App.prototype._highlightRow = function (id, scroll) {
    if (!this.listEl) { return; }
    $all(".gis-row.gis-selected", this.listEl).forEach(function (el) { el.classList.remove("gis-selected"); });
    var li = $('[data-site-id="' + id + '"]', this.listEl);
    var self = this;
    if (!li && scroll) {
      // a site outside the listed page: fetch it and pin it on top of the list
      return this.siteFeature(id).then(function (f) {
        if (!f || self.selectedId !== id) { return; }
        self.listById[id] = f;
        self.listEl.insertAdjacentHTML("afterbegin", self._rowHtml(f.properties));
        self._highlightRow(id, true);
      });
    }
    if (li) {
      li.classList.add("gis-selected");
      if (scroll) { li.scrollIntoView({ block: "nearest" }); }
    }
  };

  App.prototype._onMove = function () {
    if (this._keepList) {
      // a move to a site chosen in the list: keep the list, say so
      this._keepList = false;
      var status = $("#gis-list-status");
      if (status) { status.textContent = this._statusText(this.listFeatures.length, this.listTotal || 0) + " · " + this.t("list_kept"); }
    } else if (this.applied !== null || !this.live) {
      this.loadList();
    }
    this._loadReferenceLayers(false);
    this._updateCounts();
  };

  // --- reference layers ---------------------------------------------------------------------

  App.prototype._setUpReferenceLayers = function () {
    var self = this;
    this.refGroups = {
      jurisdiction: window[this.o.layers.jurisdiction],
      infrastructure: window[this.o.layers.infrastructure],
      offline: this.o.offlineGroup ? window[this.o.offlineGroup] : null,
      zones: {}
    };
    Object.keys(this.o.layers.zones).forEach(function (k) { self.refGroups.zones[k] = window[self.o.layers.zones[k]]; });
    this._loadReferenceLayers(true);
  };

  App.prototype._loadReferenceLayers = function (force) {
    var self = this;
    if (!this.live) {
      if (force) { this._drawReferenceLayers(this.o.embedded); }
      return;
    }
    var z = this.map.getZoom();
    var view = this.map.getBounds();
    var last = this._layersFetched;
    if (!force && last && last.z === z && last.bounds.contains(view)) { return; }
    var padded = view.pad(0.5);
    this._layersFetched = { z: z, bounds: padded };
    var bbox = [Math.max(-180, padded.getWest()), Math.max(-90, padded.getSouth()),
      Math.min(180, padded.getEast()), Math.min(90, padded.getNorth())].map(function (v) { return v.toFixed(5); }).join(",");
    var names = ["jurisdiction", "constraint_zones", "infrastructure"];
    this._setBusy("layers", 1);
    Promise.all(names.map(function (name) {
      // cut to the padded window: a zone of many vertices sends only what can be seen
      var url = self.o.endpoints.layers.replace("{layer}", name) + "?zoom=" + z + "&bbox=" + bbox + "&clip=1";
      return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; });
    })).then(function (res) {
      self._drawReferenceLayers({ jurisdiction: res[0], constraint_zones: res[1], infrastructure: res[2] });
    }).catch(function () { /* reference layers are context; the sites still work */ })
      .then(function () { self._setBusy("layers", -1); });
  };

  App.prototype._drawReferenceLayers = function (data) {
    var self = this, g = this.refGroups, o = this.o;
    if (data.jurisdiction) {
      if (g.offline) {
        g.offline.clearLayers();
        g.offline.addLayer(L.geoJSON(data.jurisdiction, {
          pane: "gis-land", interactive: false,
          style: { stroke: false, fill: true, fillColor: "#f4f1ea", fillOpacity: 1 }
        }));
      }
      g.jurisdiction.clearLayers();
      g.jurisdiction.addLayer(L.geoJSON(data.jurisdiction, {
        pane: "gis-zones", interactive: false,
        style: L.extend({ fill: false }, o.jurisdictionStyle)
      }));
    }
    if (data.constraint_zones) {
      Object.keys(g.zones).forEach(function (k) { g.zones[k].clearLayers(); });
      (data.constraint_zones.features || []).forEach(function (f) {
        var k = g.zones[f.properties.kind] ? f.properties.kind : "other";
        var colour = o.zoneColours[k] || o.zoneColours.other;
        g.zones[k].addLayer(L.geoJSON(f, {
          pane: "gis-zones", interactive: false,
          style: { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.18 }
        }));
      });
    }
    if (data.infrastructure) {
      g.infrastructure.clearLayers();
      this.infraKindsShown = {};
      (data.infrastructure.features || []).forEach(function (f) { self.infraKindsShown[f.properties.kind] = true; });
      this.infraFeatures = data.infrastructure.features || [];
      this.events.fire("infrastructure", { features: this.infraFeatures });
      g.infrastructure.addLayer(L.geoJSON(data.infrastructure, {
        // each kind its own dark symbol on white: never a coloured dot like a site
        pointToLayer: function (f, latlng) {
          return L.marker(latlng, {
            pane: "gis-infra",
            keyboard: false,
            icon: L.divIcon({
              className: "gis-infra-icon", iconSize: [18, 18], iconAnchor: [9, 9],
              html: symbolSvg(o.infraSymbols[f.properties.kind] || "square", 18, o.infraInk)
            })
          });
        },
        style: { pane: "gis-infra", renderer: self.infraRenderer, color: o.infraInk, weight: 3, dashArray: "10 3 2 3" },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(function () {
            return esc(self.lang === "en" && f.properties.name_en ? f.properties.name_en : f.properties.name_zh) +
              " · " + esc(self.v("infra_kind", f.properties.kind));
          });
        }
      }));
    }
    this._renderLegend();
  };

  // --- legend, basemaps, language -----------------------------------------------------------

  // the page's CSS hides the map's top buttons under an open popup on a phone
  App.prototype._markOpenPopups = function () {
    var box = this.map.getContainer();
    this.map.on("popupopen", function () { box.classList.add("gis-popup-open"); });
    this.map.on("popupclose", function () { box.classList.remove("gis-popup-open"); });
  };

  App.prototype._setUpLegend = function () {
    var self = this;
    var Legend = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "gis-legend leaflet-control");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        // folded on a phone, where it would cover most of the map; a tap opens it
        var box = L.DomUtil.create("details", "", div);
        box.open = !smallScreen();
        self.legendTitle = L.DomUtil.create("summary", "", box);
        self.legendEl = L.DomUtil.create("div", "gis-legend-body", box);
        return div;
      }
    });
    this.legend = new Legend().addTo(this.map);
    this.map.on("overlayadd overlayremove", function () { self._renderLegend(); });
  };

  // The legend lists every layer drawn: sites (availability fill, kind outline, clusters),
  // the search area, the constraint zones shown, infrastructure by kind, the jurisdiction.
  App.prototype._renderLegend = function () {
    if (!this.legendEl) { return; }
    var self = this, o = this.o, html = "<strong>" + esc(this.v("availability", "")) + "</strong>";
    (o.availabilityOrder || Object.keys(o.colours)).forEach(function (k) {
      html += '<div data-legend="availability-' + esc(k) + '"><span class="gis-badge" style="background:' + esc(o.colours[k]) + '"></span>' + esc(self.v("availability", k)) + "</div>";
    });
    html += "<strong>" + esc(this.t("clusters")) + "</strong>";
    [["available", "cluster_available"], ["other", "cluster_other"]].forEach(function (c) {
      html += '<div><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="6" fill="' +
        esc(o.colours[c[0]] || "#999999") + '" stroke="#fff" stroke-width="1.5"></circle></svg>' + esc(self.t(c[1])) + "</div>";
    });
    html += "<strong>" + esc(this.t("kind_outline")) + "</strong>";
    (o.kindOrder || Object.keys(o.kindDash)).forEach(function (k) {
      var dash = o.kindDash[k];
      html += '<div><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="#1f1f1f" stroke-width="2"' +
        (dash ? ' stroke-dasharray="' + esc(dash) + '"' : "") + "></line></svg>" + esc(self.v("site_kind", k)) + "</div>";
    });
    if (this.searchArea && this.searchArea.describe()) {
      html += "<strong>" + esc(this.t("search_area")) + '</strong><div data-legend="search-area"><svg width="22" height="12" aria-hidden="true"><rect x="1" y="1" width="20" height="10" fill="' +
        esc(o.searchAreaColour) + '" fill-opacity="0.12" stroke="' + esc(o.searchAreaColour) + '" stroke-width="2" stroke-dasharray="5 3"></rect></svg>' +
        esc(this.searchArea.describe()) + "</div>";
    }
    var g = this.refGroups || { zones: {} }, zoneRows = "";
    (o.zoneOrder || Object.keys(g.zones)).forEach(function (k) {
      if (!g.zones[k] || !self.map.hasLayer(g.zones[k])) { return; }
      var colour = o.zoneColours[k] || o.zoneColours.other;
      var name = k === "other" ? self.t("other_zones") : self.v("constraint_kind", k);
      zoneRows += '<div data-legend="zone-' + esc(k) + '"><svg width="16" height="12" aria-hidden="true"><rect x="1" y="1" width="14" height="10" fill="' + esc(colour) +
        '" fill-opacity="0.25" stroke="' + esc(colour) + '"></rect></svg>' + esc(name) + "</div>";
    });
    if (zoneRows) { html += "<strong>" + esc(this.t("constraint_zones")) + "</strong>" + zoneRows; }
    if (g.infrastructure && this.map.hasLayer(g.infrastructure)) {
      var infraRows = "";
      (o.infraOrder || Object.keys(o.infraSymbols)).forEach(function (k) {
        if (self.infraKindsShown && !self.infraKindsShown[k]) { return; }
        infraRows += '<div data-legend="infra-' + esc(k) + '">' + symbolSvg(o.infraSymbols[k], 14, o.infraInk) + esc(self.v("infra_kind", k)) + "</div>";
      });
      if (infraRows) { html += "<strong>" + esc(this.t("infrastructure")) + "</strong>" + infraRows; }
    }
    if (g.jurisdiction && this.map.hasLayer(g.jurisdiction)) {
      var js = o.jurisdictionStyle || {};
      html += '<div data-legend="jurisdiction"><svg width="22" height="10" aria-hidden="true"><line x1="1" y1="5" x2="21" y2="5" stroke="' + esc(js.color) +
        '" stroke-width="2" stroke-dasharray="' + esc(js.dashArray || "") + '"></line></svg>' + esc(this.t("jurisdiction")) + "</div>";
    }
    this.legendTitle.textContent = this.t("legend");
    this.legendEl.innerHTML = html;
  };

  App.prototype._setUpBasemaps = function () {
    var self = this, byLayer = [];
    Object.keys(this.o.baseLayers || {}).forEach(function (name) {
      byLayer.push({ layer: window[name], info: self.o.baseLayers[name] });
    });
    this.basemap = this.o.basemap;
    var container = this.map.getContainer();
    container.classList.toggle("gis-offline", this.basemap === "none");
    if (this.o.frame === "gcj02") { container.classList.add("gis-gcj02"); }
    this.map.on("baselayerchange", function (e) {
      var hit = byLayer.filter(function (b) { return b.layer === e.layer; })[0];
      if (!hit) { return; }
      self.basemap = hit.info.key;
      container.classList.toggle("gis-offline", hit.info.key === "none");
      if (hit.info.frame !== self.o.frame && window.location.protocol !== "file:") {
        // another display frame (GCJ-02 vs WGS84) needs another map CRS: reload in place
        var p = new URLSearchParams(self.applied || "");
        p.set("lang", self.lang);
        p.set("basemap", hit.info.key);
        var c = self.map.getCenter();
        p.set("view", c.lat.toFixed(6) + "," + c.lng.toFixed(6) + "," + self.map.getZoom());
        var note = $("#gis-note");
        if (note) { note.textContent = self.t("basemap_reload"); }
        window.location.assign(window.location.pathname + "?" + p.toString());
        return;
      }
      self._syncUrl();
    });
  };

  App.prototype._setUpLanguage = function () {
    var self = this;
    var btn = $("#gis-lang");
    if (btn) {
      btn.addEventListener("click", function (ev) {
        ev.preventDefault();
        self.setLanguage(self.lang === "zh" ? "en" : "zh");
      });
    }
  };

  App.prototype.setLanguage = function (lang) {
    this.lang = lang;
    this.applyLanguage();
    this._syncUrl();
    this._renderList(this.listFeatures, this.listTotal === null ? 0 : this.listTotal);
    if (this.popup && this.map.hasLayer(this.popup) && this._popupSiteId !== null) {
      var self = this, id = this._popupSiteId;
      this.siteFeature(id).then(function (f) { if (f) { self.popup.setContent(self.popupHtml(f.properties)); } });
    }
  };

  App.prototype.applyLanguage = function () {
    var lang = this.lang;
    document.documentElement.setAttribute("lang", lang === "en" ? "en" : "zh-CN");
    $all("[data-zh][data-en]").forEach(function (el) { el.textContent = el.getAttribute("data-" + lang); });
    $all("[data-ph-zh][data-ph-en]").forEach(function (el) { el.setAttribute("placeholder", el.getAttribute("data-ph-" + lang)); });
    var names = this.o.layerNames || {};
    $all(".leaflet-control-layers-list label span span").forEach(function (el) {
      var key = el.textContent.trim();
      var pair = names[key];
      if (pair) { el.textContent = " " + pair[lang]; }
    });
    var note = $("#gis-frame-note");
    if (note) { note.textContent = this.o.frame === "gcj02" ? this.t("frame_gcj02") : ""; }
    this._renderLegend();
    this._renderProblems();
    this._updateCounts();
    if (this.map.gisMeasure) { this.map.gisMeasure.setLanguage(lang); }
    this.events.fire("language", { lang: lang });
  };

  window.GisSiteMap = {
    attach: function (map, options) { return new App(map, options); },
    App: App,
    symbolSvg: symbolSvg
  };
})();
