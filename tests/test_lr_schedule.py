"""Learning-rate schedule: constant by default, cosine annealing to 0 over all training steps."""

import math

import pytest

from lgn2hw.errors import ConfigError
from lgn2hw.frontend.model import NetConfig
from lgn2hw.frontend.settings import train_config_from
from lgn2hw.frontend.presets import resolve
from lgn2hw.frontend.train import EncodedData, TrainConfig, train

from helpers import random_bit_data


def tiny_data(n_train=1000, n_test=100, inputs=24, classes=2) -> EncodedData:
    """The class is the XOR of two input bits."""
    return random_bit_data(n_train, n_test, inputs, classes, lambda b: (b[:, 0] ^ b[:, 1]).long())


NET = NetConfig(num_inputs=24, num_classes=2, widths=[32, 16], tau=2.0, seed=1)


def run(schedule: str, epochs: int = 4):
    cfg = TrainConfig(epochs=epochs, batch_size=100, lr=0.05, lr_schedule=schedule, seed=2, gap_samples=0)
    return train(NET, tiny_data(), cfg, progress=False)


def test_constant_schedule_keeps_the_learning_rate():
    result = run("constant")
    assert [h["lr"] for h in result.history] == [0.05] * 4


def test_cosine_schedule_anneals_to_zero_following_the_formula():
    result = run("cosine")
    steps_per_epoch, total = 10, 40
    lrs = [h["lr"] for h in result.history]
    for epoch, lr in enumerate(lrs, start=1):
        t = epoch * steps_per_epoch
        assert lr == pytest.approx(0.05 * (1 + math.cos(math.pi * t / total)) / 2, abs=1e-12)
    assert lrs[-1] == pytest.approx(0.0, abs=1e-12)
    # the schedule changes training, and Hard-ST still deploys exactly what it trained
    constant = run("constant")
    assert result.history[-1]["loss"] != constant.history[-1]["loss"]
    assert all(h["discretization_gap"] == 0.0 for h in result.history)


def test_unknown_schedule_is_rejected_before_training():
    with pytest.raises(ConfigError, match="unknown learning-rate schedule 'step'"):
        TrainConfig(lr_schedule="step").validate()


def test_settings_carry_the_schedule_and_default_to_constant():
    assert train_config_from(resolve(None, {})).lr_schedule == "constant"
    assert train_config_from(resolve(None, {"lr_schedule": "cosine"})).lr_schedule == "cosine"
