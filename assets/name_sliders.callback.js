// Bokeh CustomJS body run once on the playground page's document_ready event (apps.playground_app);
// it uses no parameters.
function nameSliders() {
  const stack = [document];
  while (stack.length) {
    const root = stack.pop();
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
nameSliders();
setTimeout(nameSliders, 500);
setTimeout(nameSliders, 2000);
