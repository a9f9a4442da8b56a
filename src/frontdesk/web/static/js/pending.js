/* The live queue: listens to /events (server-sent events), fetches only the cards that changed and
   inserts new ones without re-rendering the others, so an answer being typed is never wiped.
   The order comes from /pending/order (priority, highest first) after every change and every 10 s
   (calls end and deadlines approach without an event): cards are moved around the one being typed
   in, which itself never moves, so its draft and focus stay. */
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) return;
  var totalEl = document.getElementById("pending-total");
  var navCount = document.getElementById("nav-pending-count");
  var empty = document.getElementById("queue-empty");
  var live = document.getElementById("live-status");
  var fd = window.Frontdesk || { flash: function () {}, tick: function () {} };
  var FIELDS = ["caller", "live", "waiters"];
  var wanted = new Set();
  var timer = null;
  var orderTimer = null;
  var ORDER_EVERY_MS = 10000;

  function setTotal(n) {
    totalEl.textContent = String(n);
    if (navCount) navCount.textContent = String(n);
  }

  function refreshEmpty() {
    empty.hidden = queue.querySelector(".card") !== null;
  }

  function setLive(state, text) {
    live.dataset.state = state;
    live.querySelector(".live-text").textContent = text;
  }

  function cardStatus(card, text, isError) {
    var el = card.querySelector(".card-status");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  function isBusy(card) {
    var box = card.querySelector("textarea");
    return card.contains(document.activeElement) || (box && box.value.trim() !== "");
  }

  // A card that left the queue elsewhere: removed, unless the supervisor is typing in it.
  function leave(card) {
    if (isBusy(card)) {
      card.classList.add("card-gone");
      card.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      cardStatus(card, "This request was answered or closed elsewhere. Your draft is kept here until you reload.", true);
    } else {
      card.remove();
    }
  }

  function adoptChildren(target, source) {
    target.replaceChildren.apply(target, Array.from(source.childNodes).map(function (n) {
      return document.importNode(n, true);
    }));
  }

  function applyFragment(ids, html) {
    // The fragment comes from our server with every caller-supplied value escaped by Jinja;
    // DOMParser builds inert nodes (scripts never run) that are then adopted into the page.
    var doc = new DOMParser().parseFromString(html, "text/html");
    var incoming = new Map();
    doc.querySelectorAll("article.card").forEach(function (c) { incoming.set(c.dataset.id, c); });
    ids.forEach(function (id) {
      var existing = document.getElementById("request-" + id);
      var fresh = incoming.get(String(id));
      if (fresh && existing) {
        FIELDS.forEach(function (f) {
          var a = existing.querySelector('[data-field="' + f + '"]');
          var b = fresh.querySelector('[data-field="' + f + '"]');
          if (a && b) adoptChildren(a, b);
        });
      } else if (fresh) {
        var node = document.importNode(fresh, true);
        node.classList.add("card-new");
        queue.appendChild(node);
        bindCard(node);
      } else if (existing && !existing.classList.contains("card-gone")) {
        leave(existing);
      }
    });
    refreshEmpty();
    fd.tick();
    scheduleOrder(50);
  }

  function scheduleOrder(delay) {
    if (orderTimer) window.clearTimeout(orderTimer);
    orderTimer = window.setTimeout(refreshOrder, delay);
  }

  function setReasons(card, item) {
    card.dataset.priority = String(item.priority);
    var el = card.querySelector('[data-field="reasons"]');
    if (!el) return;
    el.querySelector(".prio").textContent = String(item.priority);
    el.querySelector(".why-text").textContent = item.reasons.join(" \u00b7 ");
    card.classList.toggle("card-urgent", !!item.urgent);
  }

  // Put the cards in `ids` order. The card being typed in stays where it is: the others are placed
  // before and after it, so the browser never blurs the text box or drops its selection.
  function reorder(ids) {
    var cards = ids.map(function (id) { return document.getElementById("request-" + id); })
      .filter(function (c) { return c !== null && c.parentNode === queue; });
    var anchorIndex = -1;
    cards.forEach(function (c, i) { if (anchorIndex < 0 && c.contains(document.activeElement)) anchorIndex = i; });
    if (anchorIndex < 0) {
      cards.forEach(function (c, i) {
        if (queue.children[i] !== c) queue.insertBefore(c, queue.children[i] || null);
      });
      return;
    }
    var anchor = cards[anchorIndex];
    cards.slice(0, anchorIndex).forEach(function (c) { if (c !== anchor) queue.insertBefore(c, anchor); });
    var after = anchor;
    cards.slice(anchorIndex + 1).forEach(function (c) {
      if (after.nextSibling !== c) queue.insertBefore(c, after.nextSibling);
      after = c;
    });
  }

  function refreshOrder() {
    orderTimer = null;
    fetch(queue.dataset.orderUrl, {
      credentials: "same-origin", headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (res) {
      if (res.redirected) { window.location.assign(res.url); return null; }
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    }).then(function (data) {
      if (!data) return;
      setTotal(data.total);
      var top = new Set();
      var missing = [];
      data.items.forEach(function (item) {
        top.add(String(item.id));
        var card = document.getElementById("request-" + item.id);
        if (card) setReasons(card, item); else missing.push(item.id);
      });
      // Cards that fell out of the shown top stay only while typed in.
      queue.querySelectorAll(".card").forEach(function (card) {
        if (!top.has(card.dataset.id) && !card.classList.contains("card-gone") && !isBusy(card)) card.remove();
      });
      reorder(data.items.map(function (item) { return item.id; }));
      refreshEmpty();
      if (missing.length) want(missing);
    }).catch(function () { /* the next tick tries again */ })
      .then(function () { if (!orderTimer) orderTimer = window.setTimeout(refreshOrder, ORDER_EVERY_MS); });
  }

  function flush() {
    timer = null;
    var ids = Array.from(wanted);
    wanted.clear();
    if (!ids.length) return;
    fetch(queue.dataset.cardsUrl + "?ids=" + ids.join(","), {
      credentials: "same-origin", headers: { "X-Requested-With": "fetch" }
    }).then(function (res) {
      if (res.redirected) { window.location.assign(res.url); return null; }
      if (!res.ok) throw new Error("HTTP " + res.status);
      var total = res.headers.get("X-Pending-Total");
      if (total !== null) setTotal(total);
      return res.text();
    }).then(function (html) {
      if (html !== null) applyFragment(ids, html);
    }).catch(function () {
      ids.forEach(function (id) { wanted.add(id); });
      timer = window.setTimeout(flush, 2000);
    });
  }

  function want(ids) {
    ids.forEach(function (id) { wanted.add(id); });
    if (!timer) timer = window.setTimeout(flush, 60);
  }

  function onUpdate(ev) {
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    // One stream per page: the handoff offer card (transfers.js) listens to this one.
    document.dispatchEvent(new CustomEvent("fd:update", { detail: data }));
    document.dispatchEvent(new CustomEvent("frontdesk:update", { detail: data }));  // alerts.js listens
    var ids = [];
    (data.messages || []).forEach(function (m) {
      if (m.type === "resync") {
        setLive("stale", "Many changes: reload to see them all");
      } else if (m.id !== null && m.id !== undefined) {
        ids.push(m.id);
      }
    });
    if (ids.length) want(ids);
  }

  function submitUrgent(card, form, ev) {
    ev.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (res) { return res.json(); }).then(function (data) {
      button.disabled = false;
      if (!data.ok) { cardStatus(card, data.message, true); return; }
      var field = form.querySelector('input[name="urgent"]');
      var nowUrgent = field.value === "1";
      field.value = nowUrgent ? "0" : "1";
      button.textContent = nowUrgent ? "Not urgent" : "Mark urgent";
      card.classList.toggle("card-urgent", nowUrgent);
      scheduleOrder(0);
    }).catch(function () {
      button.disabled = false;
      cardStatus(card, "Network problem: try again.", true);
    });
  }

  function submitViaFetch(card, form, ev) {
    ev.preventDefault();
    var closing = form.classList.contains("js-close");
    if (closing && !window.confirm("Close this request without an answer? The caller will be told.")) return;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    cardStatus(card, closing ? "Closing…" : "Sending…", false);
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (res) {
      return res.json().catch(function () { return { ok: false, message: "Could not send (HTTP " + res.status + ")." }; })
        .then(function (data) { return { res: res, data: data }; });
    }).then(function (r) {
      if (r.data.ok) {
        fd.flash(r.data.message, "success");
        card.remove();
        setTotal(Math.max(0, Number(totalEl.textContent) - 1));
        refreshEmpty();
      } else {
        cardStatus(card, r.data.message, true);
        if (r.res.status === 409) card.classList.add("card-gone");
        else button.disabled = false;
      }
    }).catch(function () {
      cardStatus(card, "Network problem: nothing was sent. Try again.", true);
      button.disabled = false;
    });
  }

  function bindCard(card) {
    card.querySelectorAll("form.js-answer, form.js-close").forEach(function (form) {
      form.addEventListener("submit", function (ev) { submitViaFetch(card, form, ev); });
    });
    card.querySelectorAll("form.js-urgent").forEach(function (form) {
      form.addEventListener("submit", function (ev) { submitUrgent(card, form, ev); });
    });
  }

  queue.querySelectorAll(".card").forEach(bindCard);
  scheduleOrder(ORDER_EVERY_MS);
  if (!window.EventSource) {
    setLive("off", "Live updates unavailable: reload to refresh");
    return;
  }
  // EventSource retries by itself after network errors, but gives up for good on an HTTP error (for
  // example a session that expired); then check the session and open a new stream.
  var lastEventId = "";
  function connect() {
    var url = queue.dataset.eventsUrl + (lastEventId ? "?last_event_id=" + encodeURIComponent(lastEventId) : "");
    var source = new EventSource(url);
    source.addEventListener("update", function (ev) {
      if (ev.lastEventId) lastEventId = ev.lastEventId;
      onUpdate(ev);
    });
    source.onopen = function () { setLive("live", "Live"); };
    source.onerror = function () {
      setLive("reconnecting", "Reconnecting…");
      if (source.readyState !== EventSource.CLOSED) return;
      window.setTimeout(function () {
        fetch(queue.dataset.cardsUrl + "?ids=", { credentials: "same-origin" }).then(function (res) {
          if (res.redirected) window.location.assign(res.url);
          else connect();
        }).catch(function () { window.setTimeout(connect, 5000); });
      }, 3000);
    };
  }
  connect();
})();
