"""Python API walk-through: train a small LGN on Fashion-MNIST, compile it to Verilog, verify on Icarus.

    python examples/train_compile_verify.py [OUTDIR]

Takes about a minute on 2 CPU cores (a 2 x 2000-gate network on 20k training images).
"""

import sys
from pathlib import Path

from lgn2hw.flows.compile import compile_source
from lgn2hw.flows.verify import verify_build
from lgn2hw.frontend.model import NetConfig
from lgn2hw.frontend.train import TrainConfig, encode_dataset, train


def main(outdir: Path) -> None:
    # 1. Data: real Fashion-MNIST from the Debian package, one threshold per pixel (784 input bits).
    data = encode_dataset("fashion-mnist", thresholds=1, limit_train=20000, limit_test=1000)

    # 2. Train with Hard-ST + CAGE (the default): what is trained is exactly what is deployed.
    config = NetConfig(num_inputs=data.num_inputs, num_classes=data.num_classes, widths=[2000, 2000], tau=10.0)
    result = train(config, data, TrainConfig(epochs=1, batch_size=100), progress=False)
    last = result.history[-1]
    print(f"soft test acc {last['soft_test_acc']:.3f}, hard test acc {last['hard_test_acc']:.3f}")
    result.checkpoint.save(outdir / "model.pt")

    # 3. Compile: freeze, optimize (-O2), check Python == netlist, emit Verilog.
    compiled = compile_source(outdir / "model.pt", outdir / "rtl", opt_level=2, check_vectors=1000)
    print(compiled.summary())

    # 4. Verify the RTL on Icarus through cocotb against the Python reference.
    verified = verify_build(outdir / "rtl", vectors=1000)
    print(verified.summary())
    if not verified.passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/example"))
