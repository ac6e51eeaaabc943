/* Signature pad for the inspection record (安全生产法 Art. 68): draw with a finger, a pen or the
 * mouse on <canvas data-signature-pad data-target="ID">; on submit the drawing goes into the
 * hidden input #ID as a PNG data URL (the server checks and re-encodes it). No inline script,
 * no inline style: loaded with <script src> under CSP script-src 'self'. */
(function () {
  "use strict";

  function setUp(canvas) {
    var form = canvas.closest("form");
    var target = document.getElementById(canvas.getAttribute("data-target"));
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    canvas.style.touchAction = "none"; // CSSOM, allowed under style-src 'self'
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#000";

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - rect.left) * (canvas.width / rect.width),
        y: (event.clientY - rect.top) * (canvas.height / rect.height),
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) {
        canvas.setPointerCapture(event.pointerId);
      }
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) {
        return;
      }
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      inked = true;
    });
    function stop() {
      drawing = false;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var clear = form && form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        inked = false;
        if (target) {
          target.value = "";
        }
      });
    }
    if (form && target) {
      form.addEventListener("submit", function () {
        target.value = inked ? canvas.toDataURL("image/png") : "";
      });
    }
  }

  function init() {
    var pads = document.querySelectorAll("canvas[data-signature-pad]");
    for (var i = 0; i < pads.length; i++) {
      setUp(pads[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
