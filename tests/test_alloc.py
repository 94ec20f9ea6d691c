"""The glibc allocator tuning applies once, and the user's opt-outs are respected."""

import os
import subprocess
import sys

import pytest

CHECK = "from lgn2hw.frontend.model.alloc import tune_allocator; print(tune_allocator(), tune_allocator())"


def run(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "LGN2HW_MALLOC"))}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, check=True).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_tuning_applies_on_glibc():
    assert run({}) == ["True", "True"]


@pytest.mark.parametrize("env", [{"LGN2HW_MALLOC_TUNING": "0"}, {"MALLOC_MMAP_THRESHOLD_": "131072"},
                                 {"MALLOC_TRIM_THRESHOLD_": "131072"}])
def test_opt_outs_leave_the_allocator_alone(env):
    assert run(env) == ["False", "False"]
