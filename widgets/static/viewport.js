// Browser side of widgets.viewport.Viewport (its Panel `_esm`): report the window's size, on load and on resize.
export function render({ model, el }) {
  let timer = null;
  function report() {
    // The layout viewport: on a phone, innerWidth grows with content wider than the screen; this does not.
    const root = document.documentElement;
    model.send_msg({ width: Math.round(root.clientWidth || window.innerWidth), height: Math.round(root.clientHeight || window.innerHeight) });
  }
  function resized() {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(report, 200);  // one message when a resize settles, not one per pixel
  }
  window.addEventListener("resize", resized);
  model.on("remove", () => window.removeEventListener("resize", resized));
  report();
  el.style.display = "none";
}
