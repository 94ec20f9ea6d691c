"""OR pooling on feature-major activations: ``amax`` over the window dimensions vs lgn2hw's strided-view pooling.

    nice -n 10 python benchmarks/or_pool_speed.py [--shape 16,24,24] [--batch 100] [--repeat 20]

Both compute the 2 x 2 window maximum of a (C * H * W, batch) activation and split the gradient evenly
over the window's maxima; timed with the process's CPU time (median of --repeat), one thread, forward
alone and forward + backward. The first layer of the fashion-conv preset pools 16 x 24 x 24 maps.
"""

from __future__ import annotations

import argparse
import statistics
import time

import lgn2hw  # noqa: F401  first: sets OMP_WAIT_POLICY before torch starts its threads
import torch

from lgn2hw.frontend.model.pool import OrPool2d


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="16,24,24")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    c, h, w = (int(v) for v in args.shape.split(","))
    pool = OrPool2d((c, h, w), 2)
    x = (torch.rand(c * h * w, args.batch, generator=torch.Generator().manual_seed(0)) > 0.5).float().requires_grad_()

    def amax():
        return x.view(c, h // 2, 2, w // 2, 2, args.batch).amax(dim=(2, 4)).reshape(-1, args.batch)

    assert torch.equal(amax(), pool(x))
    for name, fn in (("amax", amax), ("lgn2hw OrPool2d", lambda: pool(x))):
        with torch.no_grad():
            forward = median_ms(fn, args.repeat)
        both = median_ms(lambda: fn().sum().backward(), args.repeat)
        print(f"{name:16s} forward {forward:7.2f} ms   forward + backward {both:7.2f} ms   ({c}x{h}x{w}, batch {args.batch})")


if __name__ == "__main__":
    main()
