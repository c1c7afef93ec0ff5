"""RunStatus: the latest numbers with stable test ids, sent as one row of numbers."""

import math
import re

from widgets.run_status import RunStatus


def _value(html, testid):
    return re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html).group(1)


def test_initial_page_shows_the_numbers_with_test_ids():
    status = RunStatus(epoch=3, n_steps=42, loss=0.1234, train_accuracy=0.9, test_accuracy=0.875)
    html = status.div.text
    assert _value(html, "epoch") == "3"
    assert _value(html, "step") == "42"
    assert _value(html, "loss") == "0.123"
    assert _value(html, "test-accuracy") == "0.875"
    assert 'aria-label="Test accuracy"' in html


def test_updates_travel_as_one_row_of_numbers():
    status = RunStatus()
    div_text = status.div.text
    status.param.update(test_accuracy=0.5, n_steps=7)
    assert status.source.data["test_accuracy"] == [0.5]
    assert status.source.data["n_steps"] == [7.0]
    assert status.div.text == div_text  # the page is not re-rendered, the browser fills the numbers in
    assert status.text("test-accuracy") == "0.500" and status.text("step") == "7"


def test_missing_values_show_a_dash():
    status = RunStatus()
    assert status.text("test-accuracy") == "—"
    status.loss = math.inf
    assert status.text("loss") == "—"
    assert math.isinf(status.source.data["loss"][0])
