/* Analytics charts: fetched as JSON from the page's data-url and drawn with the vendored Chart.js
   (no CDN, no inline script or style: the page runs under script-src/style-src 'self'). Every chart
   has a table fallback in the page; window.__chartsDrawn lists the charts drawn (browser test). */
(function () {
  "use strict";
  var root = document.getElementById("charts");
  if (!root || !window.Chart) return;
  var Chart = window.Chart;
  var css = getComputedStyle(document.documentElement);
  var ink = css.getPropertyValue("--text").trim() || "#1d2733";
  var C = { blue: "#2563eb", green: "#15803d", amber: "#b45309", red: "#b91c1c", grey: "#8a94a3", violet: "#7c3aed", teal: "#0f766e" };
  Chart.defaults.color = ink;
  Chart.defaults.font.family = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  window.__chartsDrawn = [];

  // Durations: under a minute in seconds, never "0.0 min".
  function duration(s) {
    if (s === null || s === undefined) return "—";
    if (s < 60) return Math.round(s) + " s";
    if (s < 3600) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function pct(x) { return x === null || x === undefined ? null : Math.round(x * 1000) / 10; }
  function shortDay(d) { return d.slice(5); }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = config.options || {};
    config.options.responsive = true;
    new Chart(canvas, config);
    window.__chartsDrawn.push(id);
  }

  function render(r) {
    var days = r.calls_by_day.map(function (d) { return shortDay(d.day); });
    draw("chart-calls", {
      type: "bar",
      data: { labels: days, datasets: [
        { label: "Deflected", data: r.calls_by_day.map(function (d) { return d.deflected; }), backgroundColor: C.green },
        { label: "Escalated", data: r.calls_by_day.map(function (d) { return d.escalated; }), backgroundColor: C.amber },
        { label: "Asked nothing", data: r.calls_by_day.map(function (d) { return d.silent; }), backgroundColor: C.grey }
      ] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
    draw("chart-rates", {
      type: "line",
      data: { labels: days, datasets: [
        { label: "Deflection %", data: r.calls_by_day.map(function (d) { return pct(d.deflection_rate); }), borderColor: C.green, backgroundColor: C.green, spanGaps: true },
        { label: "Timeout %", data: r.requests_by_day.map(function (d) { return pct(d.timeout_rate); }), borderColor: C.red, backgroundColor: C.red, spanGaps: true }
      ] },
      options: { scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } } }
    });
    draw("chart-answer", {
      type: "line",
      data: { labels: days, datasets: [
        { label: "p50", data: r.requests_by_day.map(function (d) { return d.time_to_answer_p50_seconds; }), borderColor: C.blue, backgroundColor: C.blue, spanGaps: true },
        { label: "p90", data: r.requests_by_day.map(function (d) { return d.time_to_answer_p90_seconds; }), borderColor: C.violet, backgroundColor: C.violet, spanGaps: true }
      ] },
      options: {
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return duration(v); } } } },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + duration(c.parsed.y); } } } }
      }
    });
    draw("chart-outcomes", {
      type: "bar",
      data: { labels: days, datasets: [
        { label: "Answered", data: r.requests_by_day.map(function (d) { return d.answered; }), backgroundColor: C.green },
        { label: "Late", data: r.requests_by_day.map(function (d) { return d.late_answers; }), backgroundColor: C.amber },
        { label: "Timed out", data: r.requests_by_day.map(function (d) { return d.unresolved; }), backgroundColor: C.red },
        { label: "Closed", data: r.requests_by_day.map(function (d) { return d.closed; }), backgroundColor: C.grey }
      ] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
    var k = r.knowledge_reuse;
    draw("chart-reuse", {
      type: "doughnut",
      data: { labels: ["Learned", "Seed", "Manual", "Imported"], datasets: [
        { data: [k.learned, k.seed, k.manual, k["import"]], backgroundColor: [C.green, C.blue, C.teal, C.grey] }
      ] }
    });
    var rb = r.read_back;
    draw("chart-readback", {
      type: "bar",
      data: { labels: ["Confirmed", "Declined", "Moved on"], datasets: [
        { label: "Read-backs", data: [rb.confirmed, rb.declined, rb.other], backgroundColor: [C.green, C.red, C.grey] }
      ] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    var t = r.transfers;
    var tKeys = Object.keys(t).filter(function (key) { return key !== "calls_transferred"; });
    draw("chart-transfers", {
      type: "bar",
      data: { labels: tKeys.length ? tKeys.map(function (key) { return key.replace("transfer_", ""); }) : ["none yet"],
              datasets: [{ label: "Transfers", data: tKeys.length ? tKeys.map(function (key) { return t[key]; }) : [0], backgroundColor: C.blue }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    var channels = Object.keys(r.followups_by_channel);
    draw("chart-delivery", {
      type: "bar",
      data: { labels: channels.length ? channels : ["none"], datasets: [
        { label: "Delivered %", data: channels.length ? channels.map(function (c) { return pct(r.followups_by_channel[c].delivery_rate); }) : [null], backgroundColor: C.teal }
      ] },
      options: { plugins: { legend: { display: false } }, scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } } }
    });
    var topics = r.top_unanswered;
    draw("chart-topics", {
      type: "bar",
      data: { labels: topics.length ? topics.map(function (x) { return x.question.length > 48 ? x.question.slice(0, 47) + "…" : x.question; }) : ["none"],
              datasets: [{ label: "Requests", data: topics.length ? topics.map(function (x) { return x.requests; }) : [0], backgroundColor: C.amber }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    root.classList.add("charts-ready");
    root.dataset.drawn = String(window.__chartsDrawn.length);
  }

  fetch(root.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    })
    .then(render)
    .catch(function () { root.classList.add("charts-failed"); });
})();
