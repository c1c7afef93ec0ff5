// Bokeh CustomJS body of widgets.run_status.RunStatus, run when the values source's data change.
// Its parameters: `fields` and `status_id` (from args) and `cb_obj` (the source that changed).
/* global fields, status_id, cb_obj */
const root = div_view_root();
if (root === null) return;
for (const [key, testid, digits] of fields) {
  const el = root.querySelector(`[data-testid="${testid}"]`);
  if (el === null) continue;
  const v = cb_obj.data[key][0];
  const text = (v === null || !isFinite(v)) ? "\u2014" : (digits === null ? String(Math.round(v)) : Number(v).toFixed(digits));
  if (el.textContent !== text) el.textContent = text;
}
function div_view_root() {
  if (cb_obj._status_root && cb_obj._status_root.isConnected) return cb_obj._status_root;
  const stack = [document];
  while (stack.length) {
    const node = stack.pop();
    const hit = node.querySelector(`[data-status-id="${status_id}"]`);
    if (hit) { cb_obj._status_root = hit; return hit; }
    for (const el of node.querySelectorAll("*")) if (el.shadowRoot) stack.push(el.shadowRoot);
  }
  return null;
}
