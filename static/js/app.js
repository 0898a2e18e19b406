// Encaisse: small behaviours, no inline script (the CSP forbids them).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    navigator.clipboard?.writeText(document.querySelector(copy.dataset.copy).textContent.trim());
  }
});

// Invoice line editor: add a row from the formset's empty form, fill a row from the catalogue.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-line]");
  if (!button) return;
  const form = button.closest("form");
  const total = form.querySelector("input[name$='-TOTAL_FORMS']");
  const template = document.getElementById("line-template");
  const index = Number(total.value);
  const html = template.innerHTML.replaceAll("__prefix__", String(index));
  const body = document.getElementById("line-rows");
  body.insertAdjacentHTML("beforeend", html);
  total.value = String(index + 1);
  const row = body.lastElementChild;
  if (window.htmx) window.htmx.process(row);
  row.querySelector("input[name$='-designation']")?.focus();
});

document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-article-select]");
  if (!select || !select.value) return;
  const option = document.querySelector(`#articles-data option[value="${select.value}"]`);
  const row = select.closest("tr");
  if (!option || !row) return;
  // Every column the article supplies comes as data-field-<name> (pgi.lignes.ARTICLE_FIELD_NAMES).
  for (const attribute of option.attributes) {
    if (!attribute.name.startsWith("data-field-")) continue;
    const input = row.querySelector(`[name$='-${attribute.name.slice("data-field-".length)}']`);
    if (input) input.value = attribute.value;
  }
  row.querySelector("[name$='-unit_price']")?.dispatchEvent(new Event("change", { bubbles: true }));
});

// A form being submitted normally must not also fire its htmx live check: the page is
// leaving, and the request would only be aborted. Live checks wait a moment ("delay") so
// that the submit event, which follows the last field's change, can cancel them here.
document.addEventListener("submit", (event) => {
  // A submit into another tab (the PDF preview) leaves this page open and live.
  if (event.submitter?.formTarget === "_blank") return;
  event.target.dataset.submitting = "1";
});
document.addEventListener("htmx:confirm", (event) => {
  const form = event.detail.elt.closest ? event.detail.elt.closest("form") : null;
  if (form && form.dataset.submitting) {
    event.preventDefault();
  }
});
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submitting]")) {
    delete form.dataset.submitting;
  }
});

// Customer picker (crm.widgets.ClientPicker): the options come from the server as you type
// (htmx); arrows move through them, Enter or a click picks one, Escape closes the list.
function pickerParts(element) {
  const root = element.closest("[data-client-picker]");
  if (!root) return null;
  return {
    root,
    input: root.querySelector("[role=combobox]"),
    value: root.querySelector("[data-picker-value]"),
    list: root.querySelector("[role=listbox]"),
  };
}

function pickerClose(parts) {
  parts.list.replaceChildren();
  parts.input.setAttribute("aria-expanded", "false");
  parts.input.removeAttribute("aria-activedescendant");
}

function pickerChoose(parts, option) {
  parts.value.value = option.dataset.value;
  parts.input.value = option.dataset.label;
  parts.input.dataset.pickerLabel = option.dataset.label;
  pickerClose(parts);
  parts.value.dispatchEvent(new Event("change", { bubbles: true }));
}

function pickerMove(parts, step) {
  const options = [...parts.list.querySelectorAll("[role=option]")];
  if (!options.length) return;
  const current = options.findIndex((o) => o.classList.contains("active"));
  const next = options[(current + step + options.length) % options.length];
  for (const o of options) {
    o.classList.toggle("active", o === next);
    o.setAttribute("aria-selected", String(o === next));
  }
  parts.input.setAttribute("aria-activedescendant", next.id);
  next.scrollIntoView({ block: "nearest" });
}

document.addEventListener("keydown", (event) => {
  if (!event.target.matches?.("[data-client-picker] [role=combobox]")) return;
  const parts = pickerParts(event.target);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    pickerMove(parts, event.key === "ArrowDown" ? 1 : -1);
  } else if (event.key === "Enter") {
    const active = parts.list.querySelector("[role=option].active")
      || (parts.list.querySelectorAll("[role=option]").length === 1
        ? parts.list.querySelector("[role=option]") : null);
    if (active || parts.list.children.length) event.preventDefault(); // never submits mid-search
    if (active) pickerChoose(parts, active);
  } else if (event.key === "Escape") {
    pickerClose(parts);
  }
});

document.addEventListener("input", (event) => {
  if (!event.target.matches?.("[data-client-picker] [role=combobox]")) return;
  const parts = pickerParts(event.target);
  // A name typed but not picked is no choice: the form then says the customer is missing.
  if (parts.input.value !== parts.input.dataset.pickerLabel) parts.value.value = "";
});

document.addEventListener("mousedown", (event) => {
  const option = event.target.closest("[data-client-picker] [role=option]");
  if (!option) return;
  event.preventDefault(); // keeps the focus, so blur does not close the list first
  pickerChoose(pickerParts(option), option);
});

document.addEventListener("focusout", (event) => {
  if (!event.target.matches?.("[data-client-picker] [role=combobox]")) return;
  const parts = pickerParts(event.target);
  setTimeout(() => pickerClose(parts), 150);
});

document.addEventListener("htmx:afterSwap", (event) => {
  const parts = pickerParts(event.detail.target);
  if (!parts || event.detail.target !== parts.list) return;
  parts.input.setAttribute("aria-expanded", String(parts.list.children.length > 0));
  if (document.activeElement !== parts.input) pickerClose(parts);
});
