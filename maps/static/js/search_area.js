/*
 * Search areas on the officers' map: a circle (a clicked centre, a drawn circle or a named
 * infrastructure point, with a radius), a drawn polygon, a drawn line widened by a buffer.
 *
 * The area lives in the search form (near + radius_km, intersects + buffer_km: parameters of
 * GET /api/sites), so it is in the page URL like every filter and the tiles, list and counts
 * honour it. Drawing uses Leaflet-Geoman (vendored; no eval, so it runs under the pages' CSP).
 * A new area is sent to the server like any search: an area it refuses (crossing outline,
 * the whole world, a radius of 0 or 10,000 km, another CRS) leaves the map, list and URL as
 * they were, the app shows the server's reason, and the drawn shape is taken away.
 *
 * Hooks into the site map through its events (GisSiteMap App.events): "applied", "rejected",
 * "language", "infrastructure".
 */
(function () {
  "use strict";

  var AREA_PARAMS = ["near", "radius_km", "intersects", "buffer_km"];
  var DEFAULT_RADIUS_KM = 2;
  var DEFAULT_BUFFER_KM = 1;

  function $(sel) { return document.querySelector(sel); }
  function num(x, digits) { return Number(x).toFixed(digits); }

  // WKT (optionally EWKT "SRID=n;") or GeoJSON text → a GeoJSON geometry, or null
  function parseArea(text) {
    if (!text) { return null; }
    text = String(text).trim();
    try {
      if (text.charAt(0) === "{") {
        var obj = JSON.parse(text);
        return obj.type === "Feature" ? obj.geometry : obj;
      }
      text = text.replace(/^SRID=\d+;/i, "");
      var m = /^([A-Za-z]+)\s*(\(.*\))\s*$/.exec(text);
      if (!m) { return null; }
      var names = {
        POINT: "Point", LINESTRING: "LineString", POLYGON: "Polygon",
        MULTIPOINT: "MultiPoint", MULTILINESTRING: "MultiLineString", MULTIPOLYGON: "MultiPolygon"
      };
      var type = names[m[1].toUpperCase()];
      if (!type) { return null; }
      var json = m[2]
        .replace(/(-?[\d.]+(?:[eE][-+]?\d+)?)\s+(-?[\d.]+(?:[eE][-+]?\d+)?)/g, "[$1,$2]")
        .replace(/\(/g, "[").replace(/\)/g, "]");
      var coords = JSON.parse(json);
      return { type: type, coordinates: type === "Point" ? coords[0] : coords };
    } catch (e) {
      return null;
    }
  }

  function ring(latlngs) {
    var pts = latlngs.map(function (ll) { return num(ll.lng, 6) + " " + num(ll.lat, 6); });
    pts.push(pts[0]);
    return "(" + pts.join(",") + ")";
  }

  function Area(app) {
    this.app = app;
    this.map = app.map;
    this.o = app.o;
    this.pending = null;
    this.places = {};
    var pane = this.map.createPane("gis-area");
    pane.style.zIndex = 440;
    pane.style.pointerEvents = "none";
    this.layer = L.featureGroup().addTo(this.map);
    this.input = {};
    var self = this;
    AREA_PARAMS.forEach(function (name) { self.input[name] = $('#gis-filters [name="' + name + '"]'); });
    this._wireButtons();
    if (this.map.pm) {
      this.map.pm.setGlobalOptions({ snappable: false, allowSelfIntersection: true });
      this.map.on("pm:create", function (e) { self._created(e); });
      this.map.on("pm:drawstart", function () { self.map._gisToolActive = true; });
      this.map.on("pm:drawend", function () { self.map._gisToolActive = false; self._hint(null); });
    }
    app.events.on("applied", function (e) { self._applied(e.params); });
    app.events.on("rejected", function () { self._rejected(); });
    app.events.on("language", function (e) { self._language(e.lang); });
    app.events.on("infrastructure", function (e) { self._addPlaces(e.features); });
    this._language(app.lang);
  }

  Area.prototype._wireButtons = function () {
    var self = this;
    function on(id, fn) {
      var el = $("#" + id);
      if (el) { el.addEventListener("click", function (ev) { ev.preventDefault(); fn(); }); }
    }
    on("gis-draw-polygon", function () { self.draw("Polygon"); });
    on("gis-draw-line", function () { self.draw("Line"); });
    on("gis-draw-circle", function () { self.draw("Circle"); });
    on("gis-pick-centre", function () { self.pickCentre(); });
    on("gis-clear-area", function () { self.clear(); });
    var place = $("#gis-near-place");
    if (place) {
      place.addEventListener("change", function (ev) {
        ev.stopPropagation();  // not a filter of its own: it sets near
        if (!place.value) { return; }
        self.setArea({ near: place.value, radius_km: self._radius() });
      });
      place.addEventListener("input", function (ev) { ev.stopPropagation(); });
    }
  };

  Area.prototype._radius = function () {
    var r = this.input.radius_km && this.input.radius_km.value;
    return r ? r : String(DEFAULT_RADIUS_KM);
  };

  // Start drawing a shape of Geoman's kind ("Polygon", "Line", "Circle").
  Area.prototype.draw = function (shape) {
    if (!this.map.pm) { return; }
    this.map.pm.disableDraw();
    this.map.pm.enableDraw(shape, {
      pathOptions: { color: this.o.searchAreaColour, fillOpacity: 0.08 },
      templineStyle: { color: this.o.searchAreaColour },
      hintlineStyle: { color: this.o.searchAreaColour, dashArray: "5 5" },
      finishOn: shape === "Line" ? "dblclick" : null
    });
    this._hint(shape === "Line" ? "line_hint" : shape === "Circle" ? "circle_hint" : "draw_hint");
  };

  Area.prototype.pickCentre = function () {
    var self = this;
    this._hint("pick_hint");
    this.map.getContainer().classList.add("gis-picking");
    this.map._gisToolActive = true;
    this.map.once("click", function (e) {
      self.map._gisToolActive = false;
      self._hint(null);
      self.map.getContainer().classList.remove("gis-picking");
      self.setArea({ near: num(e.latlng.lng, 6) + "," + num(e.latlng.lat, 6), radius_km: self._radius() });
    });
  };

  Area.prototype._created = function (e) {
    var layer = e.layer, values;
    this.map.removeLayer(layer);  // the applied area is drawn from the search, not kept here
    this._hint(null);
    if (e.shape === "Circle") {
      var c = layer.getLatLng();
      values = { near: num(c.lng, 6) + "," + num(c.lat, 6), radius_km: num(layer.getRadius() / 1000, 3) };
    } else if (e.shape === "Line") {
      var pts = layer.getLatLngs().map(function (ll) { return num(ll.lng, 6) + " " + num(ll.lat, 6); });
      var buffer = this.input.buffer_km && this.input.buffer_km.value;
      values = { intersects: "LINESTRING(" + pts.join(",") + ")", buffer_km: buffer || String(DEFAULT_BUFFER_KM) };
    } else if (e.shape === "Polygon" || e.shape === "Rectangle") {
      var rings = layer.getLatLngs();
      values = { intersects: "POLYGON(" + rings.map(ring).join(",") + ")" };
    } else {
      return;
    }
    this.setArea(values);
  };

  // Replace the area of the search with ``values`` (others of the four emptied) and run it.
  Area.prototype.setArea = function (values) {
    var self = this, before = {};
    AREA_PARAMS.forEach(function (name) {
      var el = self.input[name];
      if (!el) { return; }
      before[name] = el.value;
      el.value = values[name] === undefined ? "" : values[name];
    });
    this.pending = before;
    return this.app.refresh({ user: true });
  };

  Area.prototype.clear = function () {
    if (this.map.pm) { this.map.pm.disableDraw(); }
    var place = $("#gis-near-place");
    if (place) { place.value = ""; }
    return this.setArea({});
  };

  Area.prototype._rejected = function () {
    // the server refused the new area: the form goes back to the area still searched
    var self = this;
    if (!this.pending) { return; }
    AREA_PARAMS.forEach(function (name) { if (self.input[name]) { self.input[name].value = self.pending[name]; } });
    this.pending = null;
    var place = $("#gis-near-place");
    if (place) { place.value = ""; }
  };

  Area.prototype._applied = function (params) {
    this.pending = null;
    var p = new URLSearchParams(params), o = this.o;
    this.current = { near: p.get("near"), radius_km: p.get("radius_km"), intersects: p.get("intersects"), buffer_km: p.get("buffer_km") };
    this.layer.clearLayers();
    var style = { pane: "gis-area", interactive: false, color: o.searchAreaColour, weight: 2, dashArray: "6 4", fillColor: o.searchAreaColour, fillOpacity: 0.06 };
    var c = this.current;
    if (c.near && c.radius_km) {
      var xy = c.near.split(",").map(Number);
      if (xy.length === 2 && xy.every(isFinite)) {
        this.layer.addLayer(L.circle([xy[1], xy[0]], L.extend({ radius: Number(c.radius_km) * 1000 }, style)));
      }
    }
    var geom = parseArea(c.intersects);
    if (geom) {
      var buffered = c.buffer_km ? L.extend({}, style, { weight: 3, dashArray: null }) : style;
      this.layer.addLayer(L.geoJSON(geom, { style: buffered, pointToLayer: function (f, ll) { return L.circleMarker(ll, buffered); } }));
    }
    this._summary();
    this.app._renderLegend();
  };

  // One line saying which area is searched (also the legend's entry), or "".
  Area.prototype.describe = function () {
    var c = this.current || {}, t = this.app.t.bind(this.app);
    var parts = [];
    if (c.near && c.radius_km) {
      parts.push(t("area_circle") + " " + c.radius_km + " km · " + (this._placeName(c.near) || c.near));
    }
    if (c.intersects) {
      var g = parseArea(c.intersects);
      var line = g && /Line|Point/.test(g.type);
      parts.push((line ? t("area_line") : t("area_polygon")) + (c.buffer_km ? " ±" + c.buffer_km + " km" : ""));
    }
    return parts.join("; ");
  };

  Area.prototype._summary = function () {
    var el = $("#gis-area-summary");
    if (el) { el.textContent = this.describe(); }
  };

  Area.prototype._hint = function (key) {
    var note = $("#gis-note");
    if (note) { note.textContent = key ? this.app.t(key) : ""; }
  };

  // named infrastructure points become centres to choose ("within 5 km of 沈家门 ferry terminal")
  Area.prototype._addPlaces = function (features) {
    var self = this, changed = false;
    (features || []).forEach(function (f) {
      if (!f.geometry || f.geometry.type !== "Point") { return; }
      var key = num(f.geometry.coordinates[0], 6) + "," + num(f.geometry.coordinates[1], 6);
      if (!self.places[key]) { self.places[key] = f.properties; changed = true; }
    });
    if (changed) { this._renderPlaces(); this._summary(); }
  };

  Area.prototype._placeName = function (near) {
    var xy = String(near).split(",").map(Number);
    if (xy.length !== 2 || !xy.every(isFinite)) { return ""; }
    var p = this.places[num(xy[0], 6) + "," + num(xy[1], 6)];
    if (!p) { return ""; }
    return (this.app.lang === "en" && p.name_en ? p.name_en : p.name_zh) + " (" + this.app.v("infra_kind", p.kind) + ")";
  };

  Area.prototype._renderPlaces = function () {
    var sel = $("#gis-near-place");
    if (!sel) { return; }
    var self = this, keep = sel.value, first = sel.options[0];
    var keys = Object.keys(this.places).sort(function (a, b) {
      var pa = self.places[a], pb = self.places[b];
      return (pa.kind + pa.name_zh).localeCompare(pb.kind + pb.name_zh, "zh");
    });
    sel.innerHTML = "";
    sel.appendChild(first);
    keys.forEach(function (k) {
      var op = document.createElement("option");
      op.value = k;
      op.textContent = self._placeName(k);
      sel.appendChild(op);
    });
    sel.value = keep;
  };

  Area.prototype._language = function (lang) {
    if (this.map.pm) { this.map.pm.setLang(lang === "en" ? "en" : "zh"); }
    this._renderPlaces();
    this._summary();
  };

  window.GisSearchArea = {
    attach: function (app) { return new Area(app); },
    parseArea: parseArea
  };
})();
