/* Walk and Talk: Django's SelectFilter2.js (filter_horizontal) draws its search icon as a <span> with an
   aria-label and no role, which ARIA does not allow on a span (axe: aria-prohibited-attr). The span is
   all that is inside the filter box's <label>: move its words into the label as visually hidden text
   (so the box keeps its name) and hide the icon itself. Runs on "load", after SelectFilter2's own
   "load" handler has built the widget. */
(function () {
  "use strict";
  window.addEventListener("load", function () {
    document.querySelectorAll(".selector .search-label-icon[aria-label]").forEach(function (icon) {
      var words = document.createElement("span");
      words.className = "visually-hidden";
      words.textContent = icon.getAttribute("aria-label");
      icon.removeAttribute("aria-label");
      icon.setAttribute("aria-hidden", "true");
      icon.parentNode.appendChild(words);
    });
  });
})();
