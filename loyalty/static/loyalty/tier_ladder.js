/* The tier ladder drawn above the tiers inline as the editor types: each tier a band over
   its point range, overlaps and gaps marked, and an order that goes against the ranges
   named, before saving (the server checks the same rules: core/ranges.py). */
(function () {
  "use strict";

  function number(row, field) {
    var input = row.querySelector('input[name$="-' + field + '"]');
    if (!input || input.value.trim() === "") { return null; }
    var value = Number(input.value);
    return Number.isFinite(value) ? value : null;
  }

  function tiers() {
    var rows = document.querySelectorAll("#tiers-group tr.form-row:not(.empty-form)");
    var result = [];
    rows.forEach(function (row) {
      var deleted = row.querySelector('input[name$="-DELETE"]');
      if (deleted && deleted.checked) { return; }
      var nameInput = row.querySelector('input[name$="-name"]');
      var tier = {
        name: nameInput ? nameInput.value.trim() : "",
        order: number(row, "order"),
        low: number(row, "min_points"),
        high: number(row, "max_points")
      };
      if (tier.low !== null) { result.push(tier); }
    });
    return result.sort(function (a, b) { return a.low - b.low; });
  }

  function label(tier) {
    return "“" + (tier.name || "?") + "” (" + tier.low.toLocaleString() + " to " +
      (tier.high === null ? "∞" : tier.high.toLocaleString()) + ")";
  }

  function problems(sorted) {
    var found = [];
    for (var i = 1; i < sorted.length; i++) {
      var lower = sorted[i - 1], upper = sorted[i];
      if (lower.high === null || lower.high >= upper.low) {
        found.push({kind: "overlap", tiers: [lower, upper],
          text: label(upper) + " overlaps " + label(lower) + "."});
      } else if (upper.low > lower.high + 1) {
        found.push({kind: "gap", tiers: [lower, upper], from: lower.high + 1, to: upper.low - 1,
          text: "No tier for " + (lower.high + 1).toLocaleString() + " to " +
            (upper.low - 1).toLocaleString() + " points (between “" + lower.name + "” and “" +
            upper.name + "”)."});
      } else if (lower.order !== null && upper.order !== null && upper.order <= lower.order) {
        found.push({kind: "order", tiers: [lower, upper],
          text: "“" + upper.name + "” has order " + upper.order + ", not above the order " +
            lower.order + " of “" + lower.name + "”, whose range is lower."});
      }
    }
    if (sorted.length && sorted[0].low > 0) {
      found.push({kind: "gap", tiers: [sorted[0]], from: 0, to: sorted[0].low - 1,
        text: "No tier for 0 to " + (sorted[0].low - 1).toLocaleString() + " points."});
    }
    return found;
  }

  function render(box) {
    var sorted = tiers();
    var found = problems(sorted);
    var top = 1;
    sorted.forEach(function (t) { top = Math.max(top, t.high === null ? t.low : t.high); });
    top = top * 1.2 + 1;
    var scale = function (v) { return Math.min(100, (v / top) * 100); };
    box.textContent = "";
    var track = document.createElement("div");
    track.className = "ladder-track";
    found.forEach(function (p) {
      if (p.kind !== "gap") { return; }
      var gap = document.createElement("div");
      gap.className = "ladder-gap";
      gap.style.left = scale(p.from) + "%";
      gap.style.width = Math.max(0.5, scale(p.to + 1) - scale(p.from)) + "%";
      gap.title = p.text;
      track.appendChild(gap);
    });
    sorted.forEach(function (tier, index) {
      var band = document.createElement("div");
      var bad = found.some(function (p) { return p.kind !== "gap" && p.tiers.indexOf(tier) >= 0; });
      band.className = "ladder-band" + (bad ? " ladder-bad" : "") + (index % 2 ? " ladder-odd" : "");
      band.style.left = scale(tier.low) + "%";
      band.style.width = Math.max(1, (tier.high === null ? 100 : scale(tier.high + 1)) - scale(tier.low)) + "%";
      band.dataset.tier = tier.name;
      band.title = label(tier) + (tier.order === null ? "" : ", order " + tier.order);
      band.textContent = tier.name || "?";
      track.appendChild(band);
    });
    box.appendChild(track);
    var list = document.createElement("ul");
    list.className = "ladder-problems";
    found.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "ladder-" + p.kind;
      item.textContent = p.text;
      list.appendChild(item);
    });
    if (!found.length && sorted.length) {
      var ok = document.createElement("li");
      ok.className = "ladder-ok";
      ok.textContent = "The ranges follow each other with no overlap or gap.";
      list.appendChild(ok);
    }
    box.appendChild(list);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var group = document.getElementById("tiers-group");
    if (!group) { return; }
    var box = document.createElement("div");
    box.id = "tier-ladder-visual";
    box.setAttribute("aria-live", "polite");
    group.parentNode.insertBefore(box, group);
    var redraw = function () { render(box); };
    group.addEventListener("input", redraw);
    group.addEventListener("change", redraw);
    document.addEventListener("formset:added", redraw);
    document.addEventListener("formset:removed", redraw);
    redraw();
  });
})();
