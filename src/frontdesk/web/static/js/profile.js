/* Business profile: add and remove service rows without a round trip. */
(function () {
  "use strict";
  var rows = document.getElementById("service-rows");
  var add = document.getElementById("add-service");
  if (!rows || !add) return;
  var counter = rows.children.length;

  add.addEventListener("click", function () {
    var template = rows.querySelector(".service-row");
    if (!template) return;
    var row = template.cloneNode(true);
    counter += 1;
    row.querySelectorAll("input").forEach(function (input) {
      var base = input.id.split("-")[0];
      input.value = "";
      input.id = base + "-" + counter;
      var label = row.querySelector('label[for^="' + base + '-"]');
      if (label) label.htmlFor = input.id;
    });
    rows.appendChild(row);
    row.querySelector("input").focus();
  });

  rows.addEventListener("click", function (ev) {
    var btn = ev.target.closest(".js-remove-row");
    if (!btn) return;
    var row = btn.closest("tr");
    if (rows.children.length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
    }
  });
})();
