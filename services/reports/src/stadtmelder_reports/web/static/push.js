// "Notify me in this browser" on the tracking page: Web Push through the reports service's
// /api/v1/push endpoints, for browsers that can; without it the page shows no button.
(function () {
  "use strict";
  var box = document.getElementById("push-box");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  var button = document.getElementById("push-button");
  var status = document.getElementById("push-status");
  box.hidden = false;

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = atob(padded);
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = box.dataset.working;
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") throw new Error("denied");
        return navigator.serviceWorker.register("/assets/push-worker.js", { scope: "/assets/" });
      })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        return fetch("/api/v1/push/public-key")
          .then(function (response) { return response.json(); })
          .then(function (body) {
            return registration.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: keyBytes(body.public_key),
            });
          });
      })
      .then(function (subscription) {
        return fetch("/api/v1/push/subscriptions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            tracking_token: box.dataset.token,
            language: box.dataset.lang,
            subscription: subscription.toJSON(),
          }),
        });
      })
      .then(function (response) {
        if (!response.ok) throw new Error("refused");
        status.textContent = box.dataset.done;
      })
      .catch(function () {
        status.textContent = box.dataset.failed;
        button.disabled = false;
      });
  });
})();
