// Bokeh CustomJS body of the Copy buttons of widgets.share.ShareControls and widgets.class_link, run on click.
// Its parameters: `source` (the link's text box) and `button` (the Copy button), from args.
/* global source, button */
const text = source.value;
function selectBox() {
  const stack = [document];
  while (stack.length) {
    const root = stack.pop();
    for (const input of root.querySelectorAll('input')) if (input.value === text) { input.focus(); input.select(); return; }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) stack.push(el.shadowRoot);
  }
}
if (navigator.clipboard && window.isSecureContext) {
  navigator.clipboard.writeText(text).then(() => { button.label = "Copied ✓"; setTimeout(() => { button.label = "Copy"; }, 1500); },
                                           selectBox);
} else {
  selectBox();
  button.label = "Press Ctrl+C";
  setTimeout(() => { button.label = "Copy"; }, 2500);
}
