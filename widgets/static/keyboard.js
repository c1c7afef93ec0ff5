// Browser side of widgets.keyboard.KeyboardShortcuts (its Panel `_esm`): the page's keyboard shortcuts, and the
// "?" button that lists them in a dialog. A key does nothing while the person types in a field, and Space leaves
// a focused button, checkbox or link to do its own thing.
const KEYS = { " ": "play", s: "step", r: "reset", n: "next" };
const ROWS = [
  ["Space", "Play or pause training"],
  ["S", "One training step"],
  ["R", "Reset training to step 0"],
  ["N", "Next step of the open lesson"],
  ["?", "Show this list"],
  ["Esc", "Close this list"],
];
const FIELD_ROLES = ["textbox", "searchbox", "combobox", "listbox", "spinbutton"];
const CONTROL_ROLES = ["button", "checkbox", "radio", "switch", "tab", "menuitem", "option", "slider", "link"];

// The element that really has the focus, inside shadow roots (an event's target is retargeted to their hosts).
function origin(event) {
  const path = event.composedPath();
  return path.length ? path[0] : event.target;
}

function isField(el) {
  if (!el || el.nodeType !== 1) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") return !["button", "submit", "reset", "checkbox", "radio", "range", "file", "color"].includes(el.type);
  return FIELD_ROLES.includes(el.getAttribute("role"));
}

function isControl(el) {
  if (!el || el.nodeType !== 1) return false;
  if (["BUTTON", "A", "INPUT", "SUMMARY", "SELECT", "TEXTAREA"].includes(el.tagName)) return true;
  return CONTROL_ROLES.includes(el.getAttribute("role"));
}

function deepActive() {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a;
}

// Bokeh draws a button again when its label changes (Play ↔ Pause): without this, the focus would fall back to
// the start of the page. When a key presses a control, watch its shadow root for a few seconds; if the control is
// replaced while the page has no focus, focus its replacement.
function focusKeeper() {
  let kept = null;
  function release() {
    if (!kept) return;
    kept.observer.disconnect();
    clearTimeout(kept.timer);
    kept = null;
  }
  function arm(event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    release();
    const target = origin(event);
    const root = target && target.getRootNode ? target.getRootNode() : null;
    if (!(root instanceof ShadowRoot)) return;
    const observer = new MutationObserver(() => {
      if (target.isConnected) return;
      const active = deepActive();
      if (active && active !== document.body) return;
      const again = root.querySelector(target.tagName.toLowerCase());
      if (again) again.focus();
    });
    observer.observe(root, { childList: true, subtree: true });
    kept = { observer, timer: setTimeout(release, 3000) };
  }
  document.addEventListener("keydown", arm, true);
  return () => {
    document.removeEventListener("keydown", arm, true);
    release();
  };
}

export function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "help";
  button.textContent = "?";
  button.title = "Keyboard shortcuts (?)";
  button.setAttribute("aria-label", "Keyboard shortcuts");
  button.setAttribute("aria-haspopup", "dialog");
  button.dataset.testid = "shortcuts-button";

  const dialog = document.createElement("dialog");
  dialog.setAttribute("aria-labelledby", "shortcuts-title");
  dialog.dataset.testid = "shortcuts-dialog";
  const title = document.createElement("h2");
  title.id = "shortcuts-title";
  title.textContent = "Keyboard shortcuts";
  const table = document.createElement("table");
  for (const [key, what] of ROWS) {
    const row = table.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    th.append(kbd);
    row.append(th);
    row.insertCell().textContent = what;
  }
  const note = document.createElement("p");
  note.textContent = "Keys do nothing while you type in a field. Tab moves between controls; the first Tab stop skips to the controls.";
  const close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  dialog.append(title, table, note, close);
  dialog.addEventListener("close", () => button.focus());
  button.addEventListener("click", () => dialog.showModal());

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (dialog.open) return;  // Esc closes it natively
    const target = origin(event);
    if (isField(target)) return;
    if (event.key === "?") {
      event.preventDefault();
      dialog.showModal();
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const command = KEYS[key];
    if (!command || (key === " " && isControl(target))) return;
    event.preventDefault();
    model.send_msg({ command });
  }
  document.addEventListener("keydown", onKey);
  const stopKeeping = focusKeeper();
  model.on("remove", () => {
    document.removeEventListener("keydown", onKey);
    stopKeeping();
  });
  el.append(button, dialog);
}
