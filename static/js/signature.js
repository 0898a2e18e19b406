// The drawn signature of a quote's acceptance (devis/public.html): a canvas whose drawing is
// put, as a PNG data URI, in the hidden input it names when the form is sent. Optional: an
// untouched canvas sends nothing.
(function () {
  document.querySelectorAll("canvas[data-signature-for]").forEach(function (canvas) {
    var input = document.getElementById(canvas.dataset.signatureFor);
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    function fit() { canvas.width = canvas.clientWidth; }
    fit();
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return [event.clientX - box.left, event.clientY - box.top];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; drawn = true;
      var p = point(event);
      ctx.lineWidth = 2; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
      ctx.beginPath(); ctx.moveTo(p[0], p[1]);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event);
      ctx.lineTo(p[0], p[1]); ctx.stroke();
    });
    canvas.addEventListener("pointerup", function () { drawing = false; });
    var clear = canvas.parentElement.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; input.value = "";
    });
    canvas.closest("form").addEventListener("submit", function () {
      if (drawn) input.value = canvas.toDataURL("image/png");
    });
  });
})();
