/*
 * The pages' calls to the app's JSON API (window.gisApi): same-origin credentials, the
 * session's CSRF header, and a refusal turned into the API's own message (which names the
 * field): {"detail": "…"} or, for a malformed body, {"detail": [{loc, msg}, …]}.
 */
(function () {
  "use strict";
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function problem(r) {
    return r.json().then(function (b) {
      var d = b && b.detail;
      if (Array.isArray(d)) {
        return d.map(function (e) {
          var loc = (e.loc || []).filter(function (p) { return p !== "body"; }).join(".");
          return (loc ? loc + ": " : "") + e.msg;
        }).join("; ");
      }
      return d || r.statusText;
    }, function () { return r.status + " " + r.statusText; });
  }

  // Resolves to the response's JSON (null for 204), rejects with an Error of the API's message
  // whose ``status`` is the HTTP status (412: the record changed since it was read).
  // ``headers`` adds request headers (e.g. If-Match with the version read).
  function send(method, url, body, csrfToken, headers) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    Object.keys(headers || {}).forEach(function (k) { init.headers[k] = headers[k]; });
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRF-Token"] = csrfToken || "";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      if (!r.ok) {
        return problem(r).then(function (m) {
          var err = new Error(m);
          err.status = r.status;
          throw err;
        });
      }
      return r.status === 204 ? null : r.json();
    });
  }

  window.gisApi = { esc: esc, problem: problem, send: send };
})();
