/* LAPOR-Hub progressive enhancement. Every page works without this file; it only adds
   conveniences: a "copy" button next to codes marked data-copy, and a size check of chosen
   files (the server checks again). No inline script anywhere (Content-Security-Policy). */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (code) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = code.getAttribute("data-copy-label") || "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent.trim()).then(function () {
        button.textContent = code.getAttribute("data-copied-label") || "Copied";
      });
    });
    code.insertAdjacentElement("afterend", button);
  });
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-bytes"), 10);
      var tooBig = Array.prototype.some.call(input.files, function (f) { return f.size > max; });
      input.setCustomValidity(tooBig ? (input.getAttribute("data-too-big") || "File too large") : "");
      input.reportValidity();
    });
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
}());
