/*
 * Photos, documents and brochure contact on the site sheet (issue 21; markup in
 * api/templates/site_files.html).
 *
 * Lists the site's files from GET /api/sites/{id}/attachments (thumbnails for photos, a link for
 * PDFs). Planners upload with a multipart POST (the CSRF token travels as the form's
 * csrf_token field), show a file to investors or make it internal again (PATCH {"public"}) and
 * delete it (DELETE). Everyone sets the contact printed on their brochures (PUT
 * /api/me/contact). Refusals are shown as the server words them (wrong type, too large …).
 */
(function () {
  "use strict";

  var section = document.getElementById("gis-files");
  if (!section) { return; }
  var siteId = section.getAttribute("data-site-id");
  var canEdit = section.getAttribute("data-can-edit") === "true";
  var words = JSON.parse(document.getElementById("gis-files-words").textContent);
  var list = document.getElementById("gis-files-list");
  var empty = document.getElementById("gis-files-empty");
  var form = document.getElementById("gis-files-form");
  var message = document.getElementById("gis-files-message");
  var contactForm = document.getElementById("gis-contact-form");
  var csrf = "";

  function lang() {
    var l = document.documentElement.getAttribute("lang") || section.getAttribute("data-lang");
    return l && l.indexOf("en") === 0 ? "en" : "zh";
  }
  function w(key) { return words[key][lang() === "en" ? 1 : 0]; }
  function say(text, kind) {
    message.textContent = text;
    message.className = "gis-files-message" + (kind ? " gis-files-" + kind : "");
  }
  function fail(e) { say(w("failed") + String(e.message || e), "error"); }

  function api(method, url, body) {
    return window.gisApi.send(method, url, body, csrf);
  }

  function button(label, action, id) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "gis-button gis-file-action";
    b.setAttribute("data-action", action);
    b.setAttribute("data-id", String(id));
    b.textContent = label;
    return b;
  }

  function item(f) {
    var li = document.createElement("li");
    li.setAttribute("data-file-id", String(f.id));
    li.setAttribute("data-public", f.public ? "true" : "false");
    var a = document.createElement("a");
    a.href = f.url;
    a.target = "_blank";
    a.rel = "noopener";
    if (f.thumbnail_url) {
      var img = document.createElement("img");
      img.src = f.thumbnail_url;
      img.alt = f.filename;
      a.appendChild(img);
    } else {
      a.className = "gis-file-doc";
      a.textContent = w("document") + " · PDF";
    }
    li.appendChild(a);
    var name = document.createElement("div");
    name.className = "gis-file-name";
    name.textContent = f.filename + (f.building_code ? " · " + f.building_code : "");
    li.appendChild(name);
    var state = document.createElement("div");
    state.className = f.public ? "gis-file-public" : "gis-file-internal";
    state.textContent = f.public ? w("public") : w("internal");
    li.appendChild(state);
    if (canEdit) {
      li.appendChild(button(f.public ? w("unpublish") : w("publish"),
        f.public ? "unpublish" : "publish", f.id));
      li.appendChild(button(w("delete"), "delete", f.id));
    }
    return li;
  }

  function load() {
    return api("GET", "/api/sites/" + encodeURIComponent(siteId) + "/attachments").then(function (rows) {
      list.textContent = "";
      rows.forEach(function (f) { list.appendChild(item(f)); });
      empty.hidden = rows.length > 0;
    });
  }

  list.addEventListener("click", function (ev) {
    var b = ev.target.closest("button.gis-file-action");
    if (!b) { return; }
    var id = b.getAttribute("data-id");
    var action = b.getAttribute("data-action");
    var url = "/api/attachments/" + encodeURIComponent(id);
    var done;
    if (action === "delete") {
      if (!window.confirm(w("confirm_delete"))) { return; }
      done = api("DELETE", url, {}).then(function () { say(w("deleted"), "ok"); });
    } else {
      done = api("PATCH", url, { public: action === "publish" }).then(function () { say(w("saved"), "ok"); });
    }
    b.disabled = true;
    done.then(load).catch(function (e) { b.disabled = false; fail(e); });
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var file = document.getElementById("gis-files-file");
    if (!file.files.length) { say(w("choose"), "error"); return; }
    var data = new FormData(form);
    data.append("csrf_token", csrf);
    if (data.get("building_id") === "") { data.delete("building_id"); }
    var uploadButton = document.getElementById("gis-files-upload");
    uploadButton.disabled = true;
    say(w("uploading"), "");
    fetch("/api/sites/" + encodeURIComponent(siteId) + "/attachments", {
      method: "POST", credentials: "same-origin", body: data,
      headers: { Accept: "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      if (!r.ok) {
        return window.gisApi.problem(r).then(function (m) { throw new Error(m); });
      }
      return r.json();
    }).then(function (made) {
      form.reset();
      say(w("uploaded") + made.filename, "ok");
      return load();
    }).catch(fail).then(function () { uploadButton.disabled = false; });
  });

  contactForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var value = document.getElementById("gis-contact").value;
    api("PUT", "/api/me/contact", { contact: value })
      .then(function () { say(w("saved"), "ok"); })
      .catch(fail);
  });

  fetch("/api/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (me) {
      csrf = me.csrf_token || "";
      form.hidden = !canEdit;
      return Promise.all([
        load(),
        api("GET", "/api/me/contact").then(function (c) {
          document.getElementById("gis-contact").value = c.contact || "";
        })
      ]);
    })
    .catch(fail);
})();
