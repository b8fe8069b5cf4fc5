(function () {
  "use strict";
  // Copy buttons for the AWS CLI commands. They stay hidden without JavaScript. Where the
  // clipboard API is missing or refused (an insecure context, an unfocused page), the
  // command is selected instead so Ctrl+C copies it; nothing here throws or logs.
  function say(button, text) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) {
      status.textContent = text;
      window.setTimeout(function () { status.textContent = ""; }, 4000);
    }
  }
  function select(code) {
    var selection = window.getSelection ? window.getSelection() : null;
    if (!selection || !document.createRange) { return false; }
    var range = document.createRange();
    range.selectNodeContents(code);
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }
  function fallback(button, code) {
    say(button, select(code) ? "Selected: press Ctrl+C (\u2318C) to copy" : "Copy the command by hand");
  }
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var code = button.parentNode.querySelector("code");
    if (!code) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = code.textContent;
      var clipboard = navigator.clipboard;
      if (!clipboard || typeof clipboard.writeText !== "function" || window.isSecureContext === false) {
        fallback(button, code);
        return;
      }
      try {
        clipboard.writeText(text).then(function () {
          say(button, "Copied");
        }, function () {
          fallback(button, code);
        });
      } catch (error) {
        fallback(button, code);
      }
    });
  });
})();
