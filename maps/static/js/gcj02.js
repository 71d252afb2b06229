/*
 * GCJ-02 display frame for Leaflet (Gaode/AMap basemaps).
 *
 * L.CRS.GCJ02 is Web Mercator whose projection first shifts WGS84/CGCS2000 lon/lat to GCJ-02
 * with the published formula (the same as gis_app/domain/gcj02.py). Every overlay given in
 * true coordinates is therefore drawn where a GCJ-02 basemap shows the place, while the map's
 * lat/lng (bounds, clicks, measurements) stay in true coordinates. Stored data is never shifted.
 */
(function () {
  "use strict";
  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outOfChina(lon, lat) {
    return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }

  function delta(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0, PI = Math.PI;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
      0.2 * Math.sqrt(Math.abs(x)) + common +
      (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0 +
      (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y +
      0.1 * Math.sqrt(Math.abs(x)) + common +
      (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0 +
      (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radlat = lat / 180.0 * PI;
    var magic = 1 - EE * Math.sin(radlat) * Math.sin(radlat);
    var sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * PI);
    dlon = (dlon * 180.0) / (A / sqrtmagic * Math.cos(radlat) * PI);
    return [dlon, dlat];
  }

  function toGcj02(lon, lat) {
    if (outOfChina(lon, lat)) { return [lon, lat]; }
    var d = delta(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function fromGcj02(lon, lat) {
    // fixed-point iteration; converges to well below a millimetre in a few steps
    var wlon = lon, wlat = lat;
    for (var i = 0; i < 30; i++) {
      var f = toGcj02(wlon, wlat);
      var elon = f[0] - lon, elat = f[1] - lat;
      wlon -= elon; wlat -= elat;
      if (Math.abs(elon) < 1e-10 && Math.abs(elat) < 1e-10) { break; }
    }
    return [wlon, wlat];
  }

  window.GCJ02 = { toGcj02: toGcj02, fromGcj02: fromGcj02 };

  if (window.L) {
    var merc = L.Projection.SphericalMercator;
    L.Projection.GCJ02Mercator = L.extend({}, merc, {
      project: function (latlng) {
        var g = toGcj02(latlng.lng, latlng.lat);
        return merc.project(L.latLng(g[1], g[0]));
      },
      unproject: function (point) {
        var g = merc.unproject(point);
        var w = fromGcj02(g.lng, g.lat);
        return L.latLng(w[1], w[0]);
      }
    });
    L.CRS.GCJ02 = L.extend({}, L.CRS.EPSG3857, {
      code: "GCJ02",
      projection: L.Projection.GCJ02Mercator
    });
  }
})();
