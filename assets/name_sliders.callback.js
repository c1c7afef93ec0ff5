// Bokeh CustomJS body run once on the playground page's document_ready event (apps.playground_app);
// it uses no parameters. Bokeh's slider handles and checkboxes have no accessible name: give each the text of its
// visible label, now and whenever widgets are drawn again (a phone's settings drawer, a lesson step, a pinned run).
const observed = new WeakSet();
let pending = 0;
const NAMELESS = '[role="slider"], input[type="checkbox"]';
// Only additions that can bring a slider or a checkbox (a widget's host, or markup holding one) start a walk: the
// numbers that change with every frame of training do not.
function bringsWidgets(records) {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.shadowRoot || node.matches(NAMELESS) || node.querySelector(NAMELESS)) return true;
    }
  }
  return false;
}
const observer = new MutationObserver((records) => {
  if (!pending && bringsWidgets(records)) pending = setTimeout(() => { pending = 0; nameAll(); }, 250);
});

function nameAll() {
  const stack = [document];
  while (stack.length) {
    const root = stack.pop();
    if (!observed.has(root)) {
      observed.add(root);
      observer.observe(root, { childList: true, subtree: true });
    }
    for (const handle of root.querySelectorAll('[role="slider"]:not([aria-label])')) {
      const title = root.querySelector('.bk-slider-title');
      if (title && title.textContent) handle.setAttribute('aria-label', title.textContent.split(':')[0].trim());
    }
    for (const box of root.querySelectorAll('input[type="checkbox"]:not([aria-label])')) {
      const text = box.nextElementSibling;
      if (!text || !text.classList.contains('bk-label') || !text.textContent) continue;
      box.setAttribute('aria-label', text.textContent.trim());
      text.style.cursor = 'pointer';
      text.addEventListener('click', () => box.click());
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) stack.push(el.shadowRoot);
  }
}
nameAll();
