// The kanban board of the sales funnel (crm/templates/crm/pipeline/tableau.html): SortableJS
// moves a card between columns, htmx posts the move, and the server answers with the whole
// board, counts and totals recomputed (a refused move comes back where it was).
(function () {
  "use strict";
  function init(root) {
    root.querySelectorAll("[data-pipeline-column]").forEach(function (list) {
      if (list.sortable || !list.closest("[data-can-move]")) { return; }
      list.sortable = Sortable.create(list, {
        group: "pipeline",
        animation: 150,
        draggable: "[data-opportunite]",
        onEnd: function (evt) {
          if (evt.from === evt.to) { return; }
          htmx.ajax("POST", evt.item.dataset.moveUrl, {
            source: evt.item,
            target: "#board",
            swap: "outerHTML",
            values: {
              etape: evt.to.dataset.etape,
              responsable: document.getElementById("board").dataset.responsable || "",
            },
          });
        },
      });
    });
  }
  htmx.onLoad(init);
})();
