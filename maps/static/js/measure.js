/*
 * Measure tool: distances and areas on the ellipsoid-free sphere Leaflet uses (map.distance),
 * with the area of a closed shape in m², 亩 and ha. Written for this app instead of the
 * leaflet-measure plugin, whose templates need eval (forbidden by the pages' CSP) and which
 * misplaces clicks with Leaflet >= 1.8. Works in any map CRS (including the GCJ-02 display
 * frame): it measures lat/lng, which stay true coordinates.
 */
(function () {
  "use strict";
  var R = 6378137;
  var M2_PER_MU = 10000 / 15;

  // spherical polygon area (m²) of lat/lng vertices (Chamberlain & Duquette)
  function area(latlngs) {
    var n = latlngs.length, sum = 0;
    if (n < 3) { return 0; }
    for (var i = 0; i < n; i++) {
      var p1 = latlngs[i], p2 = latlngs[(i + 1) % n];
      sum += (p2.lng - p1.lng) * Math.PI / 180 *
        (2 + Math.sin(p1.lat * Math.PI / 180) + Math.sin(p2.lat * Math.PI / 180));
    }
    return Math.abs(sum * R * R / 2);
  }

  function fmt(x, d) { return x.toLocaleString("zh-CN", { maximumFractionDigits: d }); }

  L.Control.GisMeasure = L.Control.extend({
    options: {
      position: "topleft",
      labels: {
        measure: { zh: "测量", en: "Measure" },
        finish: { zh: "完成", en: "Finish" },
        clear: { zh: "清除", en: "Clear" },
        hint: { zh: "在地图上点击添加点，双击或点“完成”结束", en: "Click to add points; double-click or Finish to end" },
        length: { zh: "长度", en: "Length" },
        area: { zh: "面积", en: "Area" },
        mu: { zh: "亩", en: "mu" }
      }
    },

    onAdd: function (map) {
      this._map = map;
      this._points = [];
      this._active = false;
      this._layer = L.layerGroup().addTo(map);
      var div = L.DomUtil.create("div", "leaflet-bar gis-measure");
      this._button = L.DomUtil.create("a", "gis-measure-button", div);
      this._button.href = "#";
      this._button.setAttribute("role", "button");
      this._panel = L.DomUtil.create("div", "gis-measure-panel", div);
      this._panel.style.display = "none";
      this._result = L.DomUtil.create("div", "gis-measure-result", this._panel);
      var actions = L.DomUtil.create("div", "gis-measure-actions", this._panel);
      this._finishBtn = L.DomUtil.create("a", "", actions);
      this._finishBtn.href = "#";
      this._clearBtn = L.DomUtil.create("a", "", actions);
      this._clearBtn.href = "#";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.on(this._button, "click", function (e) { L.DomEvent.preventDefault(e); this.toggle(); }, this);
      L.DomEvent.on(this._finishBtn, "click", function (e) { L.DomEvent.preventDefault(e); this.stop(); }, this);
      L.DomEvent.on(this._clearBtn, "click", function (e) { L.DomEvent.preventDefault(e); this.clear(); }, this);
      this.setLanguage(this.options.lang || "zh");
      return div;
    },

    onRemove: function (map) {
      this.stop();
      map.removeLayer(this._layer);
    },

    setLanguage: function (lang) {
      this._lang = lang;
      var l = this.options.labels;
      this._button.textContent = l.measure[lang];
      this._button.title = l.hint[lang];
      this._finishBtn.textContent = l.finish[lang];
      this._clearBtn.textContent = l.clear[lang];
      this._render();
    },

    toggle: function () { if (this._active) { this.stop(); } else { this.start(); } },

    start: function () {
      this.clear();
      this._active = true;
      this._map._gisToolActive = true;  // clicks on sites go to the map (sitemap.js)
      this._panel.style.display = "";
      this._map.getContainer().classList.add("gis-measuring");
      this._dblZoom = this._map.doubleClickZoom.enabled();
      this._map.doubleClickZoom.disable();
      this._map.on("click", this._onClick, this);
      this._map.on("dblclick", this.stop, this);
      this._render();
    },

    stop: function () {
      if (!this._active) { return; }
      this._active = false;
      this._map._gisToolActive = false;
      this._map.getContainer().classList.remove("gis-measuring");
      this._map.off("click", this._onClick, this);
      this._map.off("dblclick", this.stop, this);
      if (this._dblZoom) { this._map.doubleClickZoom.enable(); }
      this._render();
    },

    clear: function () {
      this._points = [];
      this._layer.clearLayers();
      this._render();
      if (!this._active) { this._panel.style.display = "none"; }
    },

    _onClick: function (e) {
      this._points.push(e.latlng);
      this._draw();
      this._render();
    },

    _draw: function () {
      this._layer.clearLayers();
      var pts = this._points;
      if (pts.length >= 3) {
        L.polygon(pts, { color: "#e65100", weight: 2, fillOpacity: 0.12, interactive: false }).addTo(this._layer);
      } else if (pts.length === 2) {
        L.polyline(pts, { color: "#e65100", weight: 2, interactive: false }).addTo(this._layer);
      }
      pts.forEach(function (p) {
        L.circleMarker(p, { radius: 3, color: "#e65100", fillOpacity: 1, interactive: false }).addTo(this._layer);
      }, this);
    },

    length: function () {
      var d = 0;
      for (var i = 1; i < this._points.length; i++) { d += this._map.distance(this._points[i - 1], this._points[i]); }
      return d;
    },

    area: function () { return area(this._points); },

    _render: function () {
      if (!this._result) { return; }
      var l = this.options.labels, lang = this._lang || "zh";
      if (!this._points.length) { this._result.textContent = l.hint[lang]; return; }
      var d = this.length();
      var text = l.length[lang] + ": " + (d >= 1000 ? fmt(d / 1000, 3) + " km" : fmt(d, 1) + " m");
      if (this._points.length >= 3) {
        var a = this.area();
        text += " · " + l.area[lang] + ": " + fmt(a, 0) + " m² = " + fmt(a / M2_PER_MU, 2) + " " +
          l.mu[lang] + " = " + fmt(a / 10000, 3) + " ha";
      }
      this._result.textContent = text;
    }
  });

  L.control.gisMeasure = function (options) { return new L.Control.GisMeasure(options); };
})();
