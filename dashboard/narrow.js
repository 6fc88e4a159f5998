// Close the sidebar after a page is picked in it on a narrow screen (< 768 px), as Streamlit
// itself does only for browsers that say they are a phone. Fixed text shipped with the
// dashboard (dashboard/ui.py `narrow_screens`); it reads and writes no data.
(() => {
  const doc = window.parent.document;
  if (doc.trackerNarrowNav) return;
  doc.trackerNarrowNav = true;
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
