// Chosen photos survive the form's round trips (a problem to fix, the question about reports
// nearby, the rate limit, the way back from the advice to call): no browser refills a file
// field, so the files are kept in this browser's IndexedDB as they are chosen and put back
// when the server's page says photos had been chosen. They never leave this browser but with
// the form; a form opened afresh forgets them, and so does one kept longer than an hour. The
// page thanking for a sent report loads this script too and forgets every photo kept, so none
// lingers on a shared device.
(function () {
  "use strict";
  if (!window.indexedDB) return;
  var KEPT_FOR_MS = 60 * 60 * 1000;

  function store(mode, work) {
    var opening = indexedDB.open("stadtmelder-form", 1);
    opening.onupgradeneeded = function () { opening.result.createObjectStore("photos"); };
    opening.onsuccess = function () {
      var db = opening.result;
      var transaction = db.transaction("photos", mode);
      transaction.oncomplete = transaction.onabort = transaction.onerror = function () { db.close(); };
      work(transaction.objectStore("photos"));
    };
  }

  // Every entry when `all`, else those older than an hour, whichever form kept them.
  function forget(all) {
    store("readwrite", function (kept) {
      if (all) return kept.clear();
      var walking = kept.openCursor();
      walking.onsuccess = function () {
        var entry = walking.result;
        if (!entry) return;
        if (!(Date.now() - (entry.value || {}).at <= KEPT_FOR_MS)) entry.delete();
        entry.continue();
      };
    });
  }

  if (document.querySelector("[data-report-sent]")) return forget(true);
  var form = document.getElementById("report-form");
  var photos = document.getElementById("photos");
  if (!form || !photos || !window.DataTransfer) return;
  var key = form.dataset.category;
  forget(false);

  function keep() {
    var files = Array.prototype.slice.call(photos.files);
    store("readwrite", function (kept) {
      if (files.length) kept.put({ files: files, at: Date.now() }, key);
      else kept.delete(key);
    });
  }

  function putBack(entry) {
    if (!entry || !entry.files || !entry.files.length || Date.now() - entry.at > KEPT_FOR_MS) return;
    var chosen = new DataTransfer();
    entry.files.forEach(function (file) { chosen.items.add(file); });
    photos.files = chosen.files;
    // The previews, the public preview and the checks of report-form.js follow the change.
    photos.dispatchEvent(new Event("change", { bubbles: true }));
    var notice = document.getElementById("photos-again");
    if (notice) {
      var names = entry.files.map(function (file) { return file.name; }).join(", ");
      notice.textContent = notice.dataset.kept.replace("{names}", names);
    }
  }

  if (form.dataset.photosBack) {
    store("readonly", function (kept) {
      var reading = kept.get(key);
      reading.onsuccess = function () { putBack(reading.result); };
    });
  } else {
    store("readwrite", function (kept) { kept.delete(key); });
  }
  photos.addEventListener("change", keep);
})();
