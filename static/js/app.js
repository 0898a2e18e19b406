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
