"""Bloch sphere view: qubit states, label states and layer trajectories on a draggable canvas ball."""

from __future__ import annotations

import math
import re

import numpy as np
import panel as pn
import param

from .static_files import static_path

__all__ = ["BlochSphere", "MARKERS", "MAX_POINTS", "PALETTE", "class_style", "wire_vectors"]

#: Most states one sphere shows; more would not be legible and would cost ~60 kB per frame.
MAX_POINTS = 5000
#: Class ids travel as uint8.
MAX_CLASSES = 256
#: Positions per trajectory (the input state plus one per layer); 15 layers need 16.
MAX_PATH_STEPS = 64
#: With ``path_stride=0`` at most this many trajectories are sent and drawn.
AUTO_MAX_PATHS = 250
#: Bloch vectors of valid (possibly mixed) states satisfy |r| <= 1; allow float rounding.
NORM_TOL = 1e-6

#: Marker shapes, one per class (cycled): classes differ by shape as well as colour.
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "star")
#: Okabe–Ito colours without the yellow (too pale on a white page), strongest pair first.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def class_style(c, palette=PALETTE, markers=MARKERS):
    """Colour and marker of class ``c``: both lists are cycled, as the browser does.

    Parameters
    ----------
    c : int
        Class id, ``c >= 0``.
    palette, markers : sequence of str
        Hex colours and marker names (see ``MARKERS``).

    Returns
    -------
    tuple of (str, str)
        ``(colour, marker)``.

    Examples
    --------
    >>> class_style(1)
    ('#D55E00', 'square')
    """
    c = int(c)
    if c < 0:
        raise ValueError(f"expected a class id >= 0, got {c}")
    return palette[c % len(palette)], markers[c % len(markers)]


def wire_vectors(vectors):
    """The wire form of an array of Bloch vectors: C-contiguous float32 of the same shape.

    Bokeh sends a numpy array as its raw bytes (a binary websocket frame next to the JSON patch), and the
    browser receives a ``Float32Array`` view of them: 12 bytes per 3-vector, no text encoding, no parsing.
    float32 keeps ~1e-7 of a unit vector, far below a pixel.

    Parameters
    ----------
    vectors : numpy.ndarray of shape (..., 3) or None

    Returns
    -------
    numpy.ndarray of dtype float32 and the same shape, or None
    """
    if vectors is None:
        return None
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


class _BlochArray(param.Array):
    """A numpy-array parameter that coerces sequences and checks shape and content when set.

    Setting a value on an initialised instance outside a batch (``param.update``, ``BlochSphere.update``)
    also checks it against the other arrays (same number of states), through the owner's
    ``_check_against_current`` hook.
    """

    __slots__ = ["ndim", "max_rows"]

    def __init__(self, default=None, *, ndim=2, max_rows=MAX_POINTS, **params):
        self.ndim = ndim
        self.max_rows = max_rows
        super().__init__(default=default, allow_None=True, **params)

    def _what(self):
        return f"{self.owner.name}.{self.name}" if self.owner is not None else str(self.name)

    def coerce(self, value):
        """Return ``value`` as a numpy array (or None); raise ValueError if it cannot be one."""
        if value is None or isinstance(value, np.ndarray):
            return value
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"{self._what()}: expected an array of numbers, got {type(value).__name__} ({err})"
            ) from None

    def __set__(self, obj, val):
        val = self.coerce(val)
        if obj is not None and val is not None:
            self._validate(val)
            private = getattr(obj, "_param__private", None)
            hook = getattr(obj, "_check_against_current", None)
            if hook is not None and getattr(private, "initialized", False) and not obj.param._BATCH_WATCH:
                hook(self.name, val)
        super().__set__(obj, val)


class _Vectors(_BlochArray):
    """Bloch vectors of shape (N, 3) (``ndim=2``) or (N, K, 3) (``ndim=3``) with |r| <= 1."""

    def _validate_value(self, value, allow_None):
        super()._validate_value(value, allow_None)
        if value is None:
            return
        what = self._what()
        want = "(N, 3)" if self.ndim == 2 else "(N, K, 3)"
        if value.dtype.kind not in "fiu":
            raise ValueError(f"{what}: expected real numbers, got dtype {value.dtype}")
        if value.ndim != self.ndim or value.shape[-1] != 3:
            raise ValueError(f"{what}: expected an array of shape {want}, got shape {_shape_text(value.shape)}")
        if value.shape[0] > self.max_rows:
            raise ValueError(f"{what}: expected at most {self.max_rows} rows, got {value.shape[0]}")
        if self.ndim == 3 and not 1 <= value.shape[1] <= MAX_PATH_STEPS:
            raise ValueError(f"{what}: expected 1 to {MAX_PATH_STEPS} steps per path (K), got {value.shape[1]}")
        if not np.isfinite(value).all():
            raise ValueError(f"{what}: expected finite numbers, got NaN or inf")
        if value.size:
            norm = float(np.sqrt(np.einsum("...i,...i->...", value, value, dtype=float).max()))
            if norm > 1 + NORM_TOL:
                raise ValueError(
                    f"{what}: expected Bloch vectors with |r| <= 1 (pure states on the sphere, mixed ones "
                    f"inside), got |r| = {norm:.6g}"
                )


class _ClassIds(_BlochArray):
    """Class ids of shape (N,), integers in [0, MAX_CLASSES)."""

    def coerce(self, value):
        value = super().coerce(value)
        if value is None:
            return None
        if value.dtype.kind == "b":
            return value.astype(np.int64)
        if value.dtype.kind == "f" and value.size and np.isfinite(value).all() and (value == np.round(value)).all():
            return value.astype(np.int64)
        return value

    def _validate_value(self, value, allow_None):
        super()._validate_value(value, allow_None)
        if value is None:
            return
        what = self._what()
        if value.dtype.kind not in "iu":
            raise ValueError(f"{what}: expected integer class ids, got dtype {value.dtype}")
        if value.ndim != 1:
            raise ValueError(f"{what}: expected an array of shape (N,), got shape {_shape_text(value.shape)}")
        if value.shape[0] > self.max_rows:
            raise ValueError(f"{what}: expected at most {self.max_rows} entries, got {value.shape[0]}")
        if value.size and (value.min() < 0 or value.max() >= MAX_CLASSES):
            raise ValueError(f"{what}: expected class ids in [0, {MAX_CLASSES - 1}], got {value.min()}..{value.max()}")


class _Colours(param.List):
    """A non-empty list of '#rrggbb' colours."""

    def _validate_value(self, value, allow_None):
        super()._validate_value(value, allow_None)
        if value is None:
            return
        if not value:
            raise ValueError(f"{self.owner.name}.{self.name}: expected at least one colour, got []")
        for c in value:
            if not isinstance(c, str) or not _HEX_COLOUR.match(c):
                raise ValueError(f"{self.owner.name}.{self.name}: expected colours like '#0072B2', got {c!r}")


class _Markers(param.List):
    """A non-empty list of marker names from MARKERS."""

    def _validate_value(self, value, allow_None):
        super()._validate_value(value, allow_None)
        if value is None:
            return
        if not value:
            raise ValueError(f"{self.owner.name}.{self.name}: expected at least one marker, got []")
        for m in value:
            if m not in MARKERS:
                raise ValueError(f"{self.owner.name}.{self.name}: expected markers from {MARKERS}, got {m!r}")


class BlochSphere(pn.custom.JSComponent):
    """A draggable 3D Bloch sphere of many qubit states, drawn on a canvas by the browser.

    Each state is a Bloch vector ``r = (<X>, <Y>, <Z>)``: on the sphere for pure states, inside the ball for
    the reduced state of an entangled qubit. States are coloured *and* shaped by class; each class's label
    state is a big outlined marker on a dashed line from the centre; optional trajectories show each state's
    path through the layers. Drag (mouse or touch) or use the arrow keys to rotate, double-click or Home to
    reset, hover for a state's coordinates, click to select it (``selected``). Everything is drawn by the
    widget's own code (``widgets/static/bloch.js``): nothing is loaded from the network.

    Numeric arrays travel as raw float32 / uint8 bytes (see ``wire_vectors``); the browser redraws at most
    once per animation frame. For live views set everything that changed in one call to ``update`` so a
    frame is one message.

    Parameters are set as keywords; see ``BlochSphere.param`` for each one's documentation.

    Examples
    --------
    >>> import numpy as np, panel as pn
    >>> from widgets.bloch import BlochSphere
    >>> pn.extension()
    >>> rng = np.random.default_rng(0)
    >>> v = rng.normal(size=(200, 3))
    >>> v /= np.linalg.norm(v, axis=1, keepdims=True)
    >>> sphere = BlochSphere(points=v, classes=(v[:, 2] > 0).astype(int), title="qubit 0")

    The last expression of a notebook cell displays it; in an app, put it in a layout or ``.servable()``:

    >>> sphere  # doctest: +SKIP
    >>> _ = sphere.update(points=0.9 * v)  # one message, one redraw
    """

    points = _Vectors(ndim=2, doc="""
        Bloch vectors of the states shown, numpy array of shape (N, 3), N <= 5000, each with |r| <= 1
        (mixed states lie inside the ball). None shows an empty sphere.""")

    classes = _ClassIds(ndim=1, doc="""
        Class id of each state, integer array of shape (N,), ids in [0, 255]; picks the colour from
        ``palette`` and the marker from ``markers`` (both cycled). None draws every state as class 0.""")

    palette = _Colours(default=list(PALETTE), item_type=str, doc="""
        One '#rrggbb' colour per class, cycled. The default is colour-blind safe for 6 classes
        (Okabe-Ito without yellow).""")

    markers = _Markers(default=list(MARKERS), item_type=str, doc="""
        One marker shape per class, cycled; names from 'circle', 'square', 'triangle', 'diamond', 'cross',
        'star'. Shape and colour together tell classes apart.""")

    class_names = param.List(default=None, item_type=str, allow_None=True, doc="""
        Names of the classes for the legend and the tooltip; None shows 'class 0', 'class 1', ...""")

    label_states = _Vectors(ndim=2, max_rows=MAX_CLASSES, doc="""
        Label state of each class, array of shape (C, 3) with |r| <= 1: row c is class c's target, drawn
        as a big outlined marker with a dashed line from the centre.""")

    paths = _Vectors(ndim=3, doc="""
        Trajectory of every state through the layers, array of shape (N, K, 3) (K positions per state,
        e.g. the input state and the state after each layer), drawn as thin polylines. None hides them.""")

    path_stride = param.Integer(default=0, bounds=(0, MAX_POINTS), doc=f"""
        Draw the trajectory of every n-th state only; 0 picks n so that at most {AUTO_MAX_PATHS}
        trajectories are drawn. Only the drawn ones are sent to the browser.""")

    highlight = param.Integer(default=None, allow_None=True, bounds=(0, MAX_POINTS - 1), doc="""
        Index of a state to ring (set by the app, e.g. the row hovered in a table); None for none.
        An index >= N rings nothing.""")

    selected = param.Integer(default=-1, bounds=(-1, MAX_POINTS - 1), doc="""
        Index of the state the user clicked, -1 for none; set by the browser (click a state; click empty
        space or press Escape to clear). Watch it to show details.""")

    title = param.String(default="", doc="""
        Title drawn above the sphere and included in the accessible label, e.g. 'qubit 0'.""")

    size = param.Integer(default=400, bounds=(160, 1600), doc="""
        Width and height of the drawing in CSS pixels.""")

    show_legend = param.Boolean(default=True, doc="""
        Show a legend of the class markers (and of label states) in the lower left corner.""")

    _esm = static_path("bloch.js")  # Panel inlines the file into the page

    _vector_params = ("points", "classes", "paths", "label_states")

    def __init__(self, **params):
        prepared = self._prepare(params, current={})
        params.update(prepared)
        size = params.get("size", type(self).param["size"].default)
        params.setdefault("width", size)
        params.setdefault("height", size)
        super().__init__(**params)
        self.param.watch(self._sync_size, "size")

    # ---- validation -----------------------------------------------------------------------------------------

    @classmethod
    def _prepare(cls, changes, current):
        """Coerce and validate ``changes``, then check them together with ``current``; return the coerced."""
        coerced = {}
        for name, value in changes.items():
            p = cls.param[name] if name in cls.param else None
            if isinstance(p, _BlochArray):
                value = p.coerce(value)
                p._validate(value)
            coerced[name] = value
        merged = {k: coerced.get(k, current.get(k)) for k in cls._vector_params}
        _check_consistency(**merged)
        return coerced

    def _check_against_current(self, name, value):
        merged = {k: getattr(self, k) for k in self._vector_params}
        merged[name] = value
        try:
            _check_consistency(**merged)
        except ValueError as err:
            raise ValueError(f"{err}. To change the number of states, set them together with "
                             f"{type(self).__name__}.update(points=..., classes=..., paths=...)") from None

    # ---- live updates -----------------------------------------------------------------------------------------

    def update(self, points=None, classes=None, paths=None, label_states=None, **params):
        """Set everything that changed in one batch, so that the browser gets one message and one redraw.

        Arguments left as None stay as they are (set an attribute to None to clear it). All values are
        checked together before anything is set: on error nothing changes.

        Parameters
        ----------
        points : array of shape (N, 3), optional
        classes : int array of shape (N,), optional
        paths : array of shape (N, K, 3), optional
        label_states : array of shape (C, 3), optional
        **params
            Any other parameter to set in the same batch, e.g. ``title="epoch 12"``.

        Returns
        -------
        BlochSphere
            ``self``.
        """
        changes = dict(points=points, classes=classes, paths=paths, label_states=label_states)
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = [k for k in params if k not in self.param]
        if unknown:
            raise ValueError(f"{type(self).__name__}.update: expected parameter names, got {unknown}")
        changes.update(params)
        if not changes:
            return self
        coerced = self._prepare(changes, current={k: getattr(self, k) for k in self._vector_params})
        for name, value in coerced.items():
            if not isinstance(self.param[name], _BlochArray):
                self.param[name]._validate(value)
        if "points" in coerced and "selected" not in coerced:
            n = 0 if coerced["points"] is None else len(coerced["points"])
            if self.selected >= n:
                coerced["selected"] = -1
        self.param.update(coerced)
        return self

    def _sync_size(self, event):
        self.param.update(width=event.new, height=event.new)

    # ---- wire format ------------------------------------------------------------------------------------------

    def _effective_path_stride(self):
        if self.paths is None:
            return max(1, self.path_stride)
        if self.path_stride:
            return self.path_stride
        return max(1, math.ceil(len(self.paths) / AUTO_MAX_PATHS))

    def _process_param_change(self, params):
        params = dict(params)
        for name in ("points", "label_states"):
            if name in params:
                params[name] = wire_vectors(params[name])
        if "classes" in params:
            c = params["classes"]
            params["classes"] = None if c is None else np.ascontiguousarray(c, dtype=np.uint8)
        if "paths" in params or "path_stride" in params:
            stride = self._effective_path_stride()
            params["path_stride"] = stride
            params["paths"] = None if self.paths is None else wire_vectors(self.paths[::stride])
        return super()._process_param_change(params)


def _check_consistency(points=None, classes=None, paths=None, label_states=None):
    """Raise ValueError unless ``classes`` and ``paths`` describe the same N states as ``points``."""
    n = 0 if points is None else len(points)
    if classes is not None and len(classes) != n:
        raise ValueError(
            f"BlochSphere.classes: expected shape ({n},) to match points, got {_shape_text(classes.shape)}"
        )
    if paths is not None and len(paths) != n:
        raise ValueError(
            f"BlochSphere.paths: expected shape ({n}, K, 3) to match points, got {_shape_text(paths.shape)}"
        )
