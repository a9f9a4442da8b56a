/* Frontdesk service worker: caches the app shell only (CSS, scripts, icons, the offline page).
   Pages and API responses carry caller data: they are never cached, only fetched from the network;
   a page that can't be fetched shows the cached offline page instead. */
"use strict";
var VERSION = "__VERSION__";
var SHELL = ["__SHELL__"];
var OFFLINE = "__OFFLINE__";
var CACHE = "frontdesk-shell-" + VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("frontdesk-shell-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    // Network only; the offline page when there is no network. The response is never stored.
    event.respondWith(fetch(req).catch(function () { return caches.match(OFFLINE); }));
    return;
  }
  if (SHELL.indexOf(url.pathname) === -1) return;  // API, /events, fragments: straight to the network
  // Shell files: from the cache, refreshed in the background (a new version also installs a new worker).
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(req).then(function (hit) {
      var fresh = fetch(req).then(function (res) {
        if (res.ok) cache.put(req, res.clone());
        return res;
      });
      return hit || fresh;
    });
  }));
});

// A tap on an alert shown through the worker (phones): focus an open dashboard, or open the queue.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if ("focus" in list[i]) return list[i].focus();
    }
    return self.clients.openWindow("/pending");
  }));
});
