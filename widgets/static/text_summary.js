// Browser side of widgets.announcer.TextSummary (its Panel `_esm`): a plot's summary in words, read by screen
// readers and not drawn. Only the text changes (set as text, never as HTML).
export function render({ model, el }) {
  const summary = document.createElement("p");
  summary.textContent = model.text;
  model.on("text", () => { summary.textContent = model.text; });
  el.append(summary);
}
