"""Trainable Logic Gate Networks: layers, estimators, CAGE."""

from .cage import CageSchedule
from .estimators import ESTIMATORS, STRAIGHT_THROUGH
from .network import CONNECTIONS, LogicLayer, LogicNet, NetConfig

__all__ = ["CageSchedule", "CONNECTIONS", "ESTIMATORS", "STRAIGHT_THROUGH", "LogicLayer", "LogicNet", "NetConfig"]
