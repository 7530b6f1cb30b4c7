// dataspace-kg: small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Ctrl+Enter (Cmd+Enter on a Mac) in an editor submits its form.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!target || !target.matches || !target.matches("textarea[data-submit-on-ctrl-enter]")) return;
    event.preventDefault();
    var form = target.form;
    if (form && form.requestSubmit) form.requestSubmit();
    else if (form) form.submit();
  });

  // Choosing an example query fills the editor (and keeps the undo history of the text).
  document.querySelectorAll("select[data-fill]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var area = document.getElementById(select.getAttribute("data-fill"));
      if (!option || !option.getAttribute("data-query") || !area) return;
      area.focus();
      area.select();
      var text = option.getAttribute("data-query");
      if (!document.execCommand || !document.execCommand("insertText", false, text)) area.value = text;
      area.setSelectionRange(0, 0);
      area.scrollTop = 0;
    });
  });
})();
