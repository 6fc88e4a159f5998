// Close the sidebar after a page is picked in it on a narrow screen (< 768 px), as Streamlit
// itself does only for browsers that say they are a phone; and below 640 px show the cards of
// a wide table instead of the table (dashboard/cards.py keys them `cards_*` and `wide_*`).
// Fixed text shipped with the dashboard (dashboard/ui.py `narrow_screens`); it reads and
// writes no data.
(() => {
  const doc = window.parent.document;
  if (doc.trackerNarrowNav) return;
  doc.trackerNarrowNav = true;
  const style = doc.createElement("style");
  style.textContent =
    '@media (max-width: 639.98px) { [class*="st-key-wide_"] { display: none !important; } }\n' +
    '@media (min-width: 640px) { [class*="st-key-cards_"] { display: none !important; } }';
  doc.head.appendChild(style);
  doc.addEventListener("click", (event) => {
    if (!event.target.closest('[data-testid="stSidebarNav"] a')) return;
    if (window.parent.innerWidth >= 768) return;
    setTimeout(() => {
      const sidebar = doc.querySelector('[data-testid="stSidebar"]');
      const close = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (sidebar && sidebar.dataset.collapsed === "false" && close) close.click();
    }, 50);
  }, true);
})();
