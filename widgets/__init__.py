"""Reusable Panel components for the playground: one widget per module."""

from .announcer import Announcer  # noqa: F401
from .bloch import BlochSphere  # noqa: F401
from .circuit_editor import CircuitEditor  # noqa: F401
from .circuit_diagram import CircuitDiagram  # noqa: F401
from .controls import DataControls, ModelControls, PlaybackControls, TrainingControls  # noqa: F401
from .dataset_picker import DatasetPicker  # noqa: F401
from .decision_boundary import DecisionBoundaryView  # noqa: F401
from .frame_clock import FrameClock  # noqa: F401
from .keyboard import KeyboardShortcuts  # noqa: F401
from .layers import LayerView  # noqa: F401
from .metrics import MetricsView  # noqa: F401
from .run_status import RunStatus  # noqa: F401
from .share import ShareControls  # noqa: F401
from .skip_link import SkipLink  # noqa: F401
from .url_state import UrlState  # noqa: F401
