// Browser side of widgets.skip_link.SkipLink (its Panel `_esm`): the page's first Tab stop, "Skip to the
// controls", moves the focus to the element marked with the target class (inside the widgets' shadow roots).
function findDeep(root, selector) {
  const hit = root.querySelector(selector);
  if (hit) return hit;
  for (const el of root.querySelectorAll("*")) {
    if (el.shadowRoot) {
      const inner = findDeep(el.shadowRoot, selector);
      if (inner) return inner;
    }
  }
  return null;
}

export function render({ model, el }) {
  const link = document.createElement("a");
  link.href = "#controls";
  link.className = "skip";
  link.textContent = model.label;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const host = findDeep(document, "." + model.target);
    if (!host) return;
    const focusable = (host.shadowRoot && host.shadowRoot.querySelector("button, input, select, a[href], [tabindex]")) || host;
    focusable.focus();
  });
  model.on("label", () => { link.textContent = model.label; });
  el.append(link);
}
