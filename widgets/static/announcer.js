// Browser side of widgets.announcer.Announcer (its Panel `_esm`): a polite live region that a screen reader reads
// out whenever its text changes. The region is made once and only its text changes (a region that is replaced is
// not announced).
export function render({ model, el }) {
  const region = document.createElement("div");
  region.className = "live";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  region.dataset.testid = "live-region";
  region.textContent = model.text;
  model.on("text", () => { region.textContent = model.text; });
  el.append(region);
}
