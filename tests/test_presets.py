"""Presets: every named configuration builds a valid network and training config for its data set."""

import pytest
import torch

from lgn2hw.frontend.settings import net_config_from, train_config_from
from lgn2hw.frontend.presets import PRESETS, resolve
from lgn2hw.frontend.train import EncodedData

# Raw features per data set (28 x 28 images); encoded inputs = features x thresholds.
FEATURES = {"fashion-mnist": 784, "mnist": 784}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_gives_valid_configs(name):
    settings = resolve(name, {})
    features = FEATURES[settings["dataset"]]
    bits = torch.zeros(1, features * settings["thresholds"], dtype=torch.uint8)  # only the shape matters
    shape_only = EncodedData(settings["dataset"], bits, torch.zeros(1, dtype=torch.long), bits, torch.zeros(1, dtype=torch.long), 10, {})
    net = net_config_from(settings, shape_only)
    net.validate()
    train_config_from(settings).validate()
    assert PRESETS[name]["description"]


def test_fashion_large_is_the_documented_configuration():
    settings = resolve("fashion-large", {})
    assert (settings["thresholds"], settings["layers"], settings["width"], settings["epochs"]) == (7, 4, 24000, 14)
    assert settings["lr_schedule"] == "cosine" and settings["tau"] == 20.0
    # explicit options still override a preset
    overridden = resolve("fashion-large", {"epochs": 2, "lr_schedule": None})
    assert overridden["epochs"] == 2 and overridden["lr_schedule"] == "cosine"  # None: not given, the preset's stays
