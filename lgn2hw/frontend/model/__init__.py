"""Trainable Logic Gate Networks: layers, estimators, CAGE."""

from .cage import CageSchedule
from .convnet import ConvLogicNet, ConvNetConfig, build_model
from .estimators import ESTIMATORS, STRAIGHT_THROUGH
from .network import CONNECTIONS, LogicLayer, LogicNet, NetConfig

__all__ = [
    "CageSchedule", "CONNECTIONS", "ESTIMATORS", "STRAIGHT_THROUGH", "LogicLayer", "LogicNet", "NetConfig",
    "ConvLogicNet", "ConvNetConfig", "build_model",
]
