/* Dashboard controls without inline handlers (CSP script-src 'self'): they call the JSON API with the session
   cookie and reload the page on success; an error shows the API's message in #action-error.
   - <button data-post="/api/v1/..." data-body='{"decision":"approved"}'>
   - <form data-api="/api/v1/overrides">: its fields posted as JSON (type=number fields as numbers). */
(function () {
  "use strict";

  function showError(text) {
    var box = document.getElementById("action-error");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      return response.json().then(function (data) {
        var detail = data && data.detail;
        showError(response.status + ": " + (typeof detail === "string" ? detail : JSON.stringify(detail)));
      }, function () { showError(String(response.status)); });
    }, function (err) { showError(String(err)); });
  }

  function formBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name) { return; }
      body[field.name] = field.type === "number" ? Number(field.value) : field.value;
    });
    return body;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-post]").forEach(function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        post(button.dataset.post, button.dataset.body ? JSON.parse(button.dataset.body) : {}).finally(function () {
          button.disabled = false;
        });
      });
    });
    document.querySelectorAll("form[data-api]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        post(form.dataset.api, formBody(form));
      });
    });
  });
})();
