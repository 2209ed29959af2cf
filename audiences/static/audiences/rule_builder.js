/* The rule builder (audience rules, automatic group conditions): "all of / any of" blocks, a field picker (customer
   fields, attributes, programs, tiers, groups by name), operators by field type, typed value
   inputs (numbers, dates, a chip list for "is any of", two boxes for "between") and a live
   "N customers match" with a sample. It writes the rules in the API's format into the hidden
   `rules_builder` field; the server checks them as it checks the API's. */
(function () {
  "use strict";


  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "className") { node.className = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* A builder on one input: a hidden input (an audience's rules, a group's conditions) or a
     textarea (an earning rule's conditions), either way holding the rules as JSON. */
  function mount(hidden) {
  var root, vocab = null, groups = [], previewTimer = null;

  function organizationId() {
    var select = document.getElementById("id_organization");
    if (select) { return select.value; }
    return root.dataset.organization || "";
  }

  function fieldOf(name) {
    return (vocab && vocab.fields.find(function (f) { return f.value === name; })) || null;
  }

  function arity(operator) {
    if (operator === "exists" || operator === "not_exists") { return 0; }
    if (operator === "between") { return 2; }
    if (operator === "in" || operator === "not_in" || operator === "all") { return "many"; }
    return 1;
  }

  function typed(field, raw) {
    if (!field) { return raw; }
    if (field.kind === "number") { var n = Number(raw); return Number.isFinite(n) ? Math.trunc(n) : raw; }
    if (field.kind === "datetime") { return raw; }
    if (field.kind === "json") {
      if (raw === "true") { return true; }
      if (raw === "false") { return false; }
      if (raw.trim() !== "" && Number.isFinite(Number(raw))) { return Number(raw); }
    }
    return raw;
  }

  /* ---- state → hidden field and preview ---- */
  function rules() {
    var result = [];
    groups.forEach(function (conditions, groupIndex) {
      conditions.forEach(function (c) {
        if (!c.field) { return; }
        var rule = {field: c.field, operator: c.operator, values: c.values.slice()};
        if (groupIndex) { rule.condition_group = groupIndex; }  // 0 is the default
        result.push(rule);
      });
    });
    return result;
  }

  function changed() {
    hidden.value = JSON.stringify(rules());
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 350);
  }

  function preview() {
    var box = root.querySelector(".rb-preview");
    // a session's or an event's conditions are checked at checkout: the count is of customers
    // whose profile matches the rest
    var all = rules();
    var current = all.filter(function (r) { return !/^(session|event)\./.test(r.field); });
    var partial = current.length < all.length;
    if (!organizationId()) { box.textContent = "Choose the organization first."; return; }
    if (!current.length) { box.textContent = partial ? "Every customer, if the cart matches." : (hidden.dataset.empty || "No rules."); return; }
    box.textContent = "Counting…";
    fetch(root.dataset.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify({organization: organizationId(), rules: current})
    }).then(function (r) { return r.json(); }).then(function (data) {
      box.textContent = "";
      if (data.error) { box.appendChild(el("p", {className: "rb-error", text: data.error})); return; }
      box.appendChild(el("p", {className: "rb-count", text: data.count.toLocaleString() + " customers match now" +
        (partial ? " (by their profile; the cart is checked at checkout)" : "")}));
      var list = el("ul", {className: "rb-sample"});
      data.sample.forEach(function (p) {
        list.appendChild(el("li", {text: p.integration_id + (p.email ? " · " + p.email : "")}));
      });
      box.appendChild(list);
    }).catch(function () { box.textContent = "The count could not be loaded."; });
  }

  /* ---- rendering ---- */
  function fieldSelect(condition) {
    var select = el("select", {className: "rb-field", "aria-label": "Field"});
    select.appendChild(el("option", {value: "", text: "Choose a field…"}));
    var byGroup = {};
    (vocab ? vocab.fields : []).forEach(function (f) { (byGroup[f.group] = byGroup[f.group] || []).push(f); });
    Object.keys(byGroup).forEach(function (group) {
      var optgroup = el("optgroup", {label: group});
      byGroup[group].forEach(function (f) {
        var option = el("option", {value: f.value, text: f.label});
        if (f.value === condition.field) { option.selected = true; }
        optgroup.appendChild(option);
      });
      select.appendChild(optgroup);
    });
    if (condition.field && !fieldOf(condition.field)) {  // a saved field the picker lacks
      select.appendChild(el("option", {value: condition.field, text: condition.field, selected: "selected"}));
    }
    select.addEventListener("change", function () {
      condition.field = select.value;
      var field = fieldOf(select.value);
      if (field && field.operators.indexOf(condition.operator) < 0) { condition.operator = field.operators[0]; }
      condition.values = [];
      render(); changed();
    });
    return select;
  }

  function operatorSelect(condition) {
    var field = fieldOf(condition.field);
    var select = el("select", {className: "rb-operator", "aria-label": "Operator"});
    var operators = field ? field.operators : Object.keys(vocab ? vocab.operators : {});
    operators.forEach(function (op) {
      var option = el("option", {value: op, text: (vocab && vocab.operators[op]) || op});
      if (op === condition.operator) { option.selected = true; }
      select.appendChild(option);
    });
    if (!condition.operator && operators.length) { condition.operator = operators[0]; }
    select.addEventListener("change", function () {
      condition.operator = select.value;
      var n = arity(select.value);
      if (n === 0) { condition.values = []; }
      else if (n !== "many") { condition.values = condition.values.slice(0, n); }
      render(); changed();
    });
    return select;
  }

  function valueInput(condition, field, index) {
    var value = condition.values[index];
    var input;
    if (field && field.choices) {
      input = el("select", {className: "rb-value", "aria-label": "Value"});
      input.appendChild(el("option", {value: "", text: "Choose…"}));
      field.choices.forEach(function (c) {
        var option = el("option", {value: c[0], text: c[1]});
        if (String(value) === c[0]) { option.selected = true; }
        input.appendChild(option);
      });
    } else {
      var type = field && field.kind === "number" ? "number" : field && field.kind === "datetime" ? "datetime-local" : "text";
      input = el("input", {type: type, className: "rb-value", "aria-label": "Value"});
      if (value !== undefined) { input.value = type === "datetime-local" ? String(value).slice(0, 16) : String(value); }
    }
    input.addEventListener("change", function () {
      condition.values[index] = typed(field, input.value);
      changed();
    });
    input.addEventListener("input", function () {
      if (input.tagName === "INPUT") { condition.values[index] = typed(field, input.value); changed(); }
    });
    return input;
  }

  function chips(condition, field) {
    var box = el("span", {className: "rb-chips"});
    condition.values.forEach(function (value, index) {
      var label = value;
      if (field && field.choices) {
        var found = field.choices.find(function (c) { return c[0] === String(value); });
        if (found) { label = found[1]; }
      }
      var remove = el("button", {type: "button", className: "rb-chip-remove", "aria-label": "Remove " + label, text: "×"});
      remove.addEventListener("click", function () { condition.values.splice(index, 1); render(); changed(); });
      box.appendChild(el("span", {className: "rb-chip", "data-value": String(value)}, [document.createTextNode(String(label) + " "), remove]));
    });
    var adder;
    if (field && field.choices) {
      adder = el("select", {className: "rb-chip-add", "aria-label": "Add a value"});
      adder.appendChild(el("option", {value: "", text: "Add…"}));
      field.choices.forEach(function (c) { adder.appendChild(el("option", {value: c[0], text: c[1]})); });
      adder.addEventListener("change", function () {
        if (adder.value && condition.values.indexOf(adder.value) < 0) { condition.values.push(adder.value); render(); changed(); }
      });
    } else {
      adder = el("input", {type: field && field.kind === "number" ? "number" : "text", className: "rb-chip-add",
        placeholder: "Type a value, then Enter", "aria-label": "Add a value"});
      adder.addEventListener("keydown", function (event) {
        if ((event.key === "Enter" || event.key === ",") && adder.value.trim() !== "") {
          event.preventDefault();
          condition.values.push(typed(field, adder.value.trim()));
          render(); changed();
          var again = root.querySelector('[data-condition="' + condition.id + '"] .rb-chip-add');
          if (again) { again.focus(); }
        }
      });
    }
    box.appendChild(adder);
    return box;
  }

  var nextId = 1;
  function condition(field, operator, values) { return {id: nextId++, field: field || "", operator: operator || "", values: values || []}; }

  function renderCondition(group, c, groupIndex) {
    var field = fieldOf(c.field);
    var row = el("div", {className: "rb-condition", "data-condition": String(c.id)});
    row.appendChild(fieldSelect(c));
    if (c.field) {
      row.appendChild(operatorSelect(c));
      var n = arity(c.operator);
      if (n === "many") { row.appendChild(chips(c, field)); }
      else if (n === 2) {
        row.appendChild(valueInput(c, field, 0));
        row.appendChild(el("span", {className: "rb-and", text: "and"}));
        row.appendChild(valueInput(c, field, 1));
      } else if (n === 1) { row.appendChild(valueInput(c, field, 0)); }
    }
    var remove = el("button", {type: "button", className: "rb-remove", text: "Remove", "aria-label": "Remove this condition"});
    remove.addEventListener("click", function () {
      group.splice(group.indexOf(c), 1);
      if (!group.length) { groups.splice(groupIndex, 1); }
      render(); changed();
    });
    row.appendChild(remove);
    return row;
  }

  function render() {
    var list = root.querySelector(".rb-groups");
    list.textContent = "";
    groups.forEach(function (group, groupIndex) {
      if (groupIndex > 0) { list.appendChild(el("div", {className: "rb-or", text: "or"})); }
      var block = el("fieldset", {className: "rb-group", "data-group": String(groupIndex)});
      block.appendChild(el("legend", {text: "All of these"}));
      group.forEach(function (c) { block.appendChild(renderCondition(group, c, groupIndex)); });
      var add = el("button", {type: "button", className: "rb-add-condition", text: "+ Condition"});
      add.addEventListener("click", function () { group.push(condition()); render(); });
      block.appendChild(add);
      list.appendChild(block);
    });
  }

  function loadVocabulary() {
    var org = organizationId();
    if (!org) { vocab = {fields: [], operators: {}}; render(); preview(); return; }
    var url = root.dataset.fieldsUrl;
    url += (url.indexOf("?") < 0 ? "?" : "&") + "organization=" + encodeURIComponent(org);
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) { vocab = data; render(); preview(); })
      .catch(function () { root.querySelector(".rb-preview").textContent = "The fields could not be loaded."; });
  }

    var inline = hidden.dataset.fallback ? document.querySelector(hidden.dataset.fallback) : null;
    root = el("div", {className: "module rule-builder"});
    root.dataset.fieldsUrl = hidden.dataset.fieldsUrl;
    root.dataset.previewUrl = hidden.dataset.previewUrl;
    root.dataset.organization = hidden.dataset.organization || "";
    root.appendChild(el("h2", {text: hidden.dataset.title || "Rules"}));
    root.appendChild(el("p", {className: "help", text: hidden.dataset.help ||
      "Conditions in one block must all match; a customer in any block matches."}));
    root.appendChild(el("div", {className: "rb-groups"}));
    var addGroup = el("button", {type: "button", className: "rb-add-group", text: "+ Or another block"});
    addGroup.addEventListener("click", function () { groups.push([condition()]); render(); });
    root.appendChild(addGroup);
    root.appendChild(el("div", {className: "rb-preview", "aria-live": "polite"}));
    if (hidden.tagName === "TEXTAREA") {  // in place of the JSON box
      hidden.style.display = "none";
      root.className = "rb-inline";
      hidden.parentNode.insertBefore(root, hidden);
    } else {
      var anchor = inline || hidden.closest("fieldset") || hidden.form.querySelector(".submit-row");
      if (inline || !hidden.closest("fieldset")) { anchor.parentNode.insertBefore(root, anchor); }
      else { anchor.parentNode.insertBefore(root, anchor.nextSibling); }
    }
    if (inline) {
      inline.style.display = "none";  // the builder writes the rules; the table is its fallback
      hidden.form.addEventListener("submit", function () {
        // the table's blank extra rows must not be posted half-filled (its saved rows are)
        var prefix = hidden.dataset.fallbackPrefix || "rules";
        var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
        var initial = document.getElementById("id_" + prefix + "-INITIAL_FORMS");
        if (!total || !initial) { return; }
        var keep = Number(initial.value);
        for (var i = keep; i < Number(total.value); i++) {
          inline.querySelectorAll('[name^="' + prefix + "-" + i + '-"]').forEach(function (input) { input.disabled = true; });
        }
        total.value = String(keep);
      });
    }

    var saved = [];
    try { saved = JSON.parse(hidden.value || "[]"); } catch (e) { saved = []; }
    var byGroup = {};
    saved.forEach(function (r) {
      var key = r.condition_group || 0;
      (byGroup[key] = byGroup[key] || []).push(condition(r.field, r.operator, r.values || []));
    });
    groups = Object.keys(byGroup).sort(function (a, b) { return a - b; }).map(function (k) { return byGroup[k]; });
    if (!groups.length) { groups = [[condition()]]; }
    hidden.value = JSON.stringify(rules());
    var select = document.getElementById("id_organization");
    if (select) { select.addEventListener("change", loadVocabulary); }
    loadVocabulary();
  }

  function mountAll(scope) {
    scope.querySelectorAll("[data-rule-builder]").forEach(function (input) {
      if (input.dataset.ruleBuilderMounted || input.closest(".empty-form")) { return; }
      input.dataset.ruleBuilderMounted = "1";
      mount(input);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { mountAll(document); });
  // a row added to an inline ("Add another earning rule") gets its own builder
  document.addEventListener("formset:added", function (event) { mountAll(event.target); });
})();
