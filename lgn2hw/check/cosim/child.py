"""The simulation child process: build and/or test with cocotb's runner, as its JSON spec says.

run.py starts ``python -m lgn2hw.check.cosim.child SPEC`` in a process group of its own (so that a
timeout kills the simulator too, and pytest's environment does not reach the runner). The child
reports how far it got in a status file beside the spec (``status_path``); the parent reads it and
the testbench's result files. Kept light to import (no numpy): every shard starts one.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def status_path(spec_path: Path) -> Path:
    """Where the child started with ``spec_path`` reports how far it got."""
    return spec_path.with_name("runner_status.json")


def main(argv: list[str] | None = None) -> None:
    """Build and/or test as described by the JSON spec named in argv[1] (CosimJob.child_spec)."""
    spec_path = Path((argv or sys.argv)[1])
    spec = json.loads(spec_path.read_text())
    status_file = status_path(spec_path)
    sys.path.insert(0, spec["test_dir"])  # the runner passes sys.path on as the simulator's PYTHONPATH
    cache = spec.get("verilator_cache")
    if spec["simulator"] == "verilator":
        from ...toolchain.verilator import cocotb_runner

        runner = cocotb_runner(cache, spec.get("make_args", []), bool(spec.get("ports_only")))
    else:
        from cocotb_tools.runner import get_runner

        runner = get_runner(spec["simulator"])
    stages = spec.get("stages", ["build", "test"])
    status: dict = {"stage": "build"}
    if "build" in stages:
        t0 = time.perf_counter()
        try:
            runner.build(
                sources=spec["sources"],
                hdl_toplevel=spec["toplevel"],
                build_dir=spec["build_dir"],
                always=True,
                timescale=("1ns", "1ps"),
                waves=bool(spec.get("waves")),
                build_args=spec.get("build_args", []),
            )
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported to the parent, which raises ToolError
            print(f"lgn2hw: build failed: {exc!r}", flush=True)
            status_file.write_text(json.dumps(status))
            sys.exit(2)
        status = {"stage": "test", "build_seconds": time.perf_counter() - t0}
        if cache:
            from ...toolchain.verilator import store_runtime

            store_runtime(Path(spec["build_dir"]), Path(cache))
    status["stage"] = "test"
    status_file.write_text(json.dumps(status))
    if "test" in stages:
        test = spec["test"]
        try:
            runner.test(
                test_module=test["test_module"],
                hdl_toplevel=spec["toplevel"],
                hdl_toplevel_lang="verilog",  # a test-only child has no build() that would tell it
                build_dir=spec["build_dir"],
                test_dir=test["cwd"],
                results_xml=test["results_xml"],
                extra_env=test["env"],
                waves=bool(spec.get("waves")),
                test_args=test.get("test_args", []),
                plusargs=test.get("plusargs", []),
            )
        except SystemExit as exc:  # the runner exits non-zero when the simulator did; the parent checks files
            print(f"lgn2hw: simulator exited with {exc.code}", flush=True)
            status["exit"] = exc.code
    status["done"] = True
    status_file.write_text(json.dumps(status))


if __name__ == "__main__":
    main()
