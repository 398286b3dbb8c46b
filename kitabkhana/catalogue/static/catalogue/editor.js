// Progressive enhancement for the MARC editor: add rows, and keep the leader box and its position helpers in step.
(function () {
  "use strict";
  var add = document.getElementById("add-field");
  var body = document.querySelector("#fields tbody");
  if (add && body) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var blank = body.querySelector("tr.blank-row");
      if (!blank) return;
      var row = blank.cloneNode(true);
      row.querySelectorAll("input, textarea").forEach(function (el) { el.value = ""; });
      body.appendChild(row);
      row.querySelector("input").focus();
    });
  }
  var leader = document.getElementById("leader");
  if (leader) {
    document.querySelectorAll("[data-leader-pos]").forEach(function (input) {
      input.addEventListener("input", function () {
        var pos = parseInt(input.dataset.leaderPos, 10);
        var value = leader.value.padEnd(24, " ");
        var part = input.value.padEnd(input.maxLength, " ").slice(0, input.maxLength);
        leader.value = value.slice(0, pos) + part + value.slice(pos + part.length);
      });
    });
  }
})();
