// Shows the push messages notify sends about a followed report; a click opens the report.
self.addEventListener("push", function (event) {
  var message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { title: "Stadtmelder", text: event.data ? event.data.text() : "" };
  }
  var body = message.public_comment ? message.text + "\n" + message.public_comment : message.text;
  event.waitUntil(
    self.registration.showNotification(message.title || "Stadtmelder", {
      body: body || "",
      tag: message.report_id || "stadtmelder",
      data: { url: message.report_id ? "/reports/" + message.report_id : "/" },
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
