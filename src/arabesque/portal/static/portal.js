// The collection flow works without this script. With it: a file over the upload limit is refused before it is
// sent (the server refuses it too, naming the same limit), and the page focuses its first error.
(function () {
  "use strict";
  function tooLarge(input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    return input.files && input.files.length > 0 && input.files[0].size > max;
  }
  function show(input, message) {
    var box = input.parentNode.querySelector(".client-error");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = !message;
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) {
      show(input, tooLarge(input) ? input.getAttribute("data-too-large") : "");
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.id || form.id.indexOf("upload-") !== 0) { return; }
    var input = document.querySelector("input[type=file][form='" + form.id + "']");
    if (input && tooLarge(input)) {
      event.preventDefault();
      show(input, input.getAttribute("data-too-large"));
      input.focus();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("[aria-invalid=true], .has-error input, .has-error select");
    if (first) { first.focus(); }
  });
})();
