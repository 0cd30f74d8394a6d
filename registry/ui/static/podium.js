// Podium's few page behaviours. Pages work without it; it only saves clicks.
(function () {
  "use strict";

  // <form data-confirm="Remove @champion?">: ask before a change that is easy to regret.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit>: changing the page size reloads the list at once.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
})();
