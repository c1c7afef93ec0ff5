// Bokeh CustomJS body of widgets.frame_clock.FrameClock, run when the frame source's tags change.
// Its parameters: `ack` (from args) and `cb_obj` (the source that changed).
/* global ack, cb_obj */
const f = cb_obj.tags[0];
if (cb_obj._ack_pending) cancelAnimationFrame(cb_obj._ack_pending);
cb_obj._ack_pending = requestAnimationFrame(() => { cb_obj._ack_pending = 0; ack.tags = [f]; });
