"""FrameClock without a browser: the sources the browser writes reach the params, and the visibility report is
attached to the document once."""

from bokeh.document import Document
from bokeh.models import CustomJS

from widgets.frame_clock import FrameClock


def test_acknowledgements_only_move_forward():
    clock = FrameClock()
    clock._ack.tags = [3]
    clock._ack.tags = [2]  # a late acknowledgement of an older frame
    assert clock.shown == 3


def test_the_hidden_source_says_whether_the_tab_is_hidden():
    clock = FrameClock()
    assert not clock.hidden
    clock._hidden.tags = [1]
    assert clock.hidden
    clock._hidden.tags = [0]
    assert not clock.hidden


def test_the_page_reports_its_visibility_once_it_is_ready():
    clock, doc = FrameClock(), Document()
    clock.watch_visibility(doc)
    callbacks = doc.callbacks.js_event_callbacks["document_ready"]
    assert len(callbacks) == 1 and isinstance(callbacks[0], CustomJS)
    assert callbacks[0].args == {"hidden": clock._hidden}
    assert "visibilitychange" in callbacks[0].code and "visibilityState" in callbacks[0].code


def test_sending_a_frame_costs_one_property_change():
    clock = FrameClock()
    changes = []
    clock._sent.on_change("tags", lambda attr, old, new: changes.append(new))
    clock.frame = 7
    assert changes == [[7]] and clock._hidden.tags == [0]
