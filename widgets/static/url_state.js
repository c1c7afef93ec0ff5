// Browser side of widgets.url_state.UrlState (its Panel `_esm`: an ES module exporting render).
export function render({ model, el }) {
  // The URL is the save file: the server sends the query string it wants; "push" makes a new history entry
  // (Back undoes it), "replace" rewrites the current one, "auto" pushes unless the last push was a moment
  // ago, so that dragging a slider makes one entry, not fifty.
  let lastPush = 0;
  function write() {
    const search = model.search;
    if (typeof search !== "string" || (search !== "" && search[0] !== "?")) return;
    if (search === window.location.search) return;
    const url = window.location.pathname + search + window.location.hash;
    const now = Date.now();
    const push = model.mode === "push" || (model.mode === "auto" && now - lastPush > model.merge_ms);
    if (push) { window.history.pushState(null, "", url); lastPush = now; }
    else window.history.replaceState(null, "", url);
  }
  function popped() { model.send_msg({ search: window.location.search }); }
  window.addEventListener("popstate", popped);
  model.send_msg({ base: window.location.origin + window.location.pathname });
  model.on("serial", write);
  if (model.serial > 0) write();  // a write asked for before this part of the page was drawn
  model.on("remove", () => window.removeEventListener("popstate", popped));
  el.style.display = "none";
}
