"""DatasetPicker: a named thumbnail button per registry dataset."""

import xml.etree.ElementTree as ET

import pytest

from playground.datasets import DATASETS
from widgets.dataset_picker import DISPLAY_NAMES, DatasetPicker, dataset_thumbnail_svg


def test_one_named_button_per_dataset():
    picker = DatasetPicker()
    assert list(picker.buttons) == list(DATASETS)
    assert len({b.label for b in picker.buttons.values()}) == len(DATASETS)
    for name, button in picker.buttons.items():
        assert button.label == DISPLAY_NAMES[name]
        assert button.icon.startswith("<svg")


def test_click_selects_and_highlights():
    picker = DatasetPicker()
    picker.buttons["moons"].clicks += 1
    assert picker.value == "moons"
    types = {n: b.color for n, b in picker.buttons.items()}
    assert types["moons"] == "primary"
    assert [n for n, t in types.items() if t == "primary"] == ["moons"]


def test_two_pickers_share_no_widgets():
    a, b = DatasetPicker(), DatasetPicker()
    assert not set(map(id, a.buttons.values())) & set(map(id, b.buttons.values()))
    a.buttons["xor"].clicks += 1
    assert b.value == "circle"


@pytest.mark.parametrize("name", list(DATASETS))
def test_thumbnails_are_well_formed_svg(name):
    root = ET.fromstring(dataset_thumbnail_svg(name))
    assert root.get("aria-hidden") == "true"
    assert len(list(root)) > 50  # background plus the points


def test_thumbnail_rejects_unknown_names():
    with pytest.raises(ValueError, match="expected one of"):
        dataset_thumbnail_svg("nope")
