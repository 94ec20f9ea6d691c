"""Every script in examples/ runs and does what it says."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FASHION = Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")


@pytest.mark.skipif(not FASHION.exists(), reason="Debian package dataset-fashion-mnist is not installed")
def test_train_compile_verify_example(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "train_compile_verify.py"), str(tmp_path / "ex")],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "bit-exact: 1000/1000 vectors" in proc.stdout
    assert (tmp_path / "ex" / "rtl" / "lgn_top.v").is_file()
    acc = float(proc.stdout.split("hard test acc ")[1].split()[0])
    assert acc > 0.6
