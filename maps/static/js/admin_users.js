/*
 * The users page (admins): create a user, save a user's roles or home district, disable or
 * enable, reset a password, revoke an API token — each through the JSON API with the session's CSRF header.
 * After a change the tables are read again from the server (the page's own HTML, escaped by
 * the template) and swapped in place; a new password is shown once, as text, and kept on
 * screen until the admin leaves the page.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("gis-admin-config").textContent);
  var lang = cfg.lang;
  function t(key) { return (cfg.labels[key] || {})[lang] || key; }
  function send(method, url, body) { return window.gisApi.send(method, url, body, cfg.csrfToken); }

  var box = document.getElementById("gis-user-message");
  function show(text, ok, secret) {
    box.hidden = false;
    box.className = "gis-message " + (ok ? "gis-ok" : "gis-error");
    box.textContent = text;
    if (secret) {
      box.appendChild(document.createTextNode(" "));
      var code = document.createElement("code");
      code.className = "gis-secret";
      code.id = "gis-user-password";
      code.textContent = secret;
      box.appendChild(code);
    }
  }
  function fail(e) { show(String(e.message || e), false); }

  // the tables as the server renders them now (what was just changed included)
  function refresh() {
    return fetch(window.location.pathname + "?lang=" + lang, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["gis-users-box", "gis-tokens-box"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
        });
      });
  }

  var form = document.getElementById("gis-user-create");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = form.elements;
    var roles = Array.prototype.filter.call(form.querySelectorAll("input[name=roles]"), function (el) {
      return el.checked;
    }).map(function (el) { return el.value; });
    var body = { username: f.username.value.trim(), roles: roles };
    if (f.display_name.value.trim()) { body.display_name = f.display_name.value.trim(); }
    if (f.password.value) { body.password = f.password.value; }
    if (f.district_code && f.district_code.value) { body.district_code = f.district_code.value; }
    var save = form.querySelector("button[type=submit]");
    save.disabled = true;
    send("POST", cfg.endpoints.users, body).then(function (made) {
      form.reset();
      show(t("created_user") + " " + made.username + (made.password ? " · " + t("new_password") + ":" : ""),
           true, made.password || null);
      return refresh();
    }).catch(fail).then(function () { save.disabled = false; });
  });

  function userUrl(name) { return cfg.endpoints.user.replace("{name}", encodeURIComponent(name)); }

  // the tables are swapped after each change: one listener for all their buttons
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn) { return; }
    var name = btn.getAttribute("data-username");
    // done: the server's answer; said: what the page then says, once the tables are swapped
    // (said before, a row being edited meanwhile was swapped under the hand that clicked next)
    var done = null;
    var said = null;
    if (btn.classList.contains("gis-user-roles")) {
      var row = btn.closest("tr");
      var roles = Array.prototype.filter.call(row.querySelectorAll(".gis-role"), function (el) {
        return el.checked;
      }).map(function (el) { return el.value; });
      done = send("PATCH", userUrl(name), { roles: roles });
      said = function () { show(t("saved") + ": " + name, true); };
    } else if (btn.classList.contains("gis-user-district")) {
      var select = btn.closest("tr").querySelector(".gis-district-select");
      var place = select.options[select.selectedIndex].textContent;
      done = send("PATCH", userUrl(name), { district_code: select.value });
      said = function () { show(t("saved") + ": " + name + " · " + place, true); };
    } else if (btn.classList.contains("gis-user-toggle")) {
      var disable = btn.getAttribute("data-disable") === "true";
      if (disable && !window.confirm(t("confirm_disable") + " " + name)) { return; }
      done = send("PATCH", userUrl(name), { disabled: disable });
      said = function () { show(t("saved") + ": " + name + " · " + t(disable ? "disabled" : "enabled"), true); };
    } else if (btn.classList.contains("gis-user-reset")) {
      done = send("POST", cfg.endpoints.reset.replace("{name}", encodeURIComponent(name)), {});
      said = function (r) { show(r.username + " · " + t("new_password") + ":", true, r.password); };
    } else if (btn.classList.contains("gis-token-revoke")) {
      // a DELETE has no body: the CSRF header goes along by hand
      done = window.gisApi.send("DELETE", cfg.endpoints.token.replace("{id}", btn.getAttribute("data-token-id")),
                                undefined, cfg.csrfToken, { "X-CSRF-Token": cfg.csrfToken });
      said = function () { show(t("saved"), true); };
    } else {
      return;
    }
    btn.disabled = true;
    done.then(function (answer) { return refresh().then(function () { said(answer); }); })
      .catch(function (e) { fail(e); btn.disabled = false; });
  });
})();
