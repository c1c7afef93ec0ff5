"""Share and save: a link (optionally with the trained model), experiment files, and code/QASM/CSV exports."""

from __future__ import annotations

import io
from html import escape
from typing import Callable

import panel as pn
import param

from .controls import _W  # the sidebar's widget width
from .static_files import read_static

__all__ = ["ShareControls", "EXPORTS"]

#: kind → (button label, file name, what it is). The app's ``make_file(kind)`` returns the file's text.
EXPORTS: dict[str, tuple[str, str, str]] = {
    "experiment": ("Experiment (.json)", "reuploading-experiment.json",
                   "Settings, circuit, trained parameters and history: the format of `playground train --save`."),
    "pennylane": ("PennyLane script (.py)", "reuploading_pennylane.py",
                  "A runnable PennyLane program with the trained parameters inlined."),
    "torch": ("PyTorch module (.py)", "reuploading_torch.py", "A torch.nn.Module you can train further."),
    "qasm": ("OpenQASM 3 (.qasm)", "reuploading_circuit.qasm", "The circuit bound to the point (x₁, x₂) below."),
    "history": ("Training history (.csv)", "training_history.csv", "Step, epoch, loss and accuracies."),
    "points": ("Training points (.csv)", "training_points.csv",
               "The training points (drawn or drawn from the dataset): features, then the class."),
}

# Copy the link (the text box's value) to the clipboard where the browser allows it (https or localhost);
# elsewhere the box is selected so that Ctrl+C copies it.
_COPY_JS = read_static("share_copy.callback.js")


class ShareControls(pn.viewable.Viewer):
    """The "Share and save" card. It holds no experiment state: the app sets ``link`` and answers the callbacks.

    Parameters
    ----------
    make_file : callable (kind: str) -> str
        The text of the file ``kind`` (a key of :data:`EXPORTS`); raise ``ValueError`` with a message to refuse.
    load_file : callable (data: bytes, filename: str) -> None
        Called with an uploaded experiment file; the app checks it and reports through ``message``.
    """

    link = param.String(default="", doc="The share link shown (plain text).")
    with_model = param.Boolean(default=False, doc="Put the trained model (an exact checkpoint) in the link.")
    point_x1 = param.Number(default=0.25, bounds=(-1.0, 1.0), doc="First feature of the point the QASM is bound to.")
    point_x2 = param.Number(default=-0.5, bounds=(-1.0, 1.0), doc="Second feature of the point the QASM is bound to.")
    message = param.String(default="", doc="Result of the last upload or export (plain text, shown escaped).")

    def __init__(self, make_file: Callable[[str], str], load_file: Callable[[bytes, str], None], **params):
        super().__init__(**params)
        self._make_file = make_file
        self._load_file = load_file
        self.link_box = pn.widgets.TextInput.from_param(self.param.link, label="Share link", width=_W,
                                                        stylesheets=[":host input{font-size:max(12px,var(--pg-min-font,0px))}"])
        self.with_model_box = pn.widgets.Checkbox.from_param(self.param.with_model, label="Include the trained model")
        self.copy = pn.widgets.Button(label="Copy", color="primary", width=90)
        self.copy.js_on_click(args={"source": self.link_box, "button": self.copy}, code=_COPY_JS)
        self.downloads = {
            kind: pn.widgets.FileDownload(callback=self._callback(kind), filename=filename, label=label,
                                          width=_W, description=what)
            for kind, (label, filename, what) in EXPORTS.items()
        }
        self.upload = pn.widgets.FileInput(accept=".json,application/json", width=_W, label="Open an experiment file")
        self.upload.param.watch(self._on_upload, "value")
        self.x1 = pn.widgets.FloatInput.from_param(self.param.point_x1, label="x₁", width=120, step=0.05)
        self.x2 = pn.widgets.FloatInput.from_param(self.param.point_x2, label="x₂", width=120, step=0.05)
        self._message = pn.pane.HTML("", width=_W, margin=(4, 10))
        self.param.watch(lambda e: self._render_message(), "message")

    def _callback(self, kind: str) -> Callable[[], io.BytesIO]:
        def download() -> io.BytesIO:
            try:
                text = self._make_file(kind)
            except ValueError as err:
                self.message = f"Could not export: {err}"
                return io.BytesIO(b"")
            self.message = ""
            return io.BytesIO(text.encode("utf-8"))
        return download

    def _on_upload(self, event) -> None:
        if event.new is None:
            return
        self._load_file(bytes(event.new), str(self.upload.filename or "the file"))

    def _render_message(self) -> None:
        text = self.message
        self._message.object = (
            f'<div role="status" aria-live="polite" style="font-size:max(14px,var(--pg-min-font,0px));color:#3d2e00;background:#FFF4D6;'
            f'border:1px solid #E0B84C;border-radius:6px;padding:6px 8px">{escape(text)}</div>' if text else "")

    def dispose(self) -> None:
        """Forget the Copy button's browser callback when the page's session ends: Panel keeps each widget's
        ``js_on_click`` callbacks in a process-wide registry whose entries hold the widget itself, so without this a
        closed tab's widgets (and everything they reach) would stay in memory for good."""
        from panel.links import Callback

        Callback.registry.pop(self.copy, None)

    def __panel__(self):
        label = lambda text: pn.pane.HTML(f'<div style="font-size:max(14px,var(--pg-min-font,0px));font-weight:600;margin-top:6px">{escape(text)}</div>',
                                          margin=(4, 10, 0, 10))
        d = self.downloads
        return pn.Column(
            label("Link to this experiment"),
            self.with_model_box, self.link_box, self.copy,
            label("Experiment file"),
            d["experiment"], self.upload,
            label("Take the model away"),
            d["pennylane"], d["torch"], d["history"], d["points"],
            pn.Row(self.x1, self.x2, margin=0), d["qasm"],
            pn.pane.HTML('<div style="font-size:max(13px,var(--pg-min-font,0px));color:#4b5563">A picture of a view: the ⤓ button in its '
                         "toolbar or corner.</div>", margin=(4, 10)),
            self._message,
            margin=(0, 0),
        )
