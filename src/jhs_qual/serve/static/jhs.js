// Start textual-serve's page script once the workbench's font is loaded: xterm.js measures the
// character cell when it starts, and a cell measured on a fallback font misplaces every letter.
(function () {
  function start() {
    var script = document.createElement("script");
    script.src = "/static/textual/js/textual.js";
    script.onload = function () {
      // textual.js starts from window.onload; when the page has loaded already, start it here
      if (document.readyState === "complete" && typeof window.onload === "function") {
        window.onload(new Event("load"));
      }
    };
    document.head.appendChild(script);
  }
  document.fonts.load("16px 'Roboto Mono'").then(start, start);
})();
