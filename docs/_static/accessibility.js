// Accessible names that the theme and sphinx-gallery leave out, found by axe-core
// (tests/test_browser.py): lesson cards whose link text is hidden, the sidebar's expand toggles,
// and a search button whose label does not contain the text it shows.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".sphx-glr-thumbcontainer a.reference").forEach((link) => {
    const title = link.closest(".sphx-glr-thumbcontainer").querySelector(".sphx-glr-thumbnail-title");
    if (title && !link.hasAttribute("aria-label")) link.setAttribute("aria-label", title.textContent.trim());
  });
  document.querySelectorAll("nav details > summary").forEach((summary) => {
    if (summary.textContent.trim() || summary.hasAttribute("aria-label")) return;
    const page = summary.closest("li")?.querySelector(":scope > a");
    summary.setAttribute("aria-label", page ? `Show or hide the pages of ${page.textContent.trim()}` : "Show or hide these pages");
  });
  document.querySelectorAll("button.search-button__button").forEach((button) => {
    button.setAttribute("aria-label", button.textContent.replace(/\s+/g, " ").trim());
  });
});
