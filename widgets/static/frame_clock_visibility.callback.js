// Bokeh CustomJS body of widgets.frame_clock.FrameClock, run once when the page is ready (document_ready): from
// then on the tab tells the server when it is hidden or shown again, so that a hidden tab trains nothing. One
// message per change of visibility, none per frame. Its parameter: `hidden` (from args), a data source whose
// tags are [1] while the tab is hidden and [0] while it is shown.
/* global hidden */
// A closing tab turns hidden on its way out (pagehide comes first): that is no news for the server, which would
// only answer into a connection that is going away.
let leaving = false;
const report = () => {
  const now = document.visibilityState === "hidden" ? 1 : 0;
  if (!leaving && hidden.tags[0] !== now) hidden.tags = [now];
};
window.addEventListener("pagehide", () => { leaving = true; });
window.addEventListener("pageshow", () => { leaving = false; report(); });
document.addEventListener("visibilitychange", report);
report();
