"""The ways in: the compiler without PyTorch, a fresh `pip install` in a clean venv, the API pages.

Issue 15: installation assumed Debian with apt; there was no pip path for other systems and no API
reference. The compiler (netlist.json -> Verilog -> cocotb verification) imports no torch, so
`pip install lgn2hw` works where PyTorch is not wanted; training needs the ``train`` extra and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAVE_ICARUS = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
NETLIST = {"format": "lgn2hw-netlist", "version": 1, "num_inputs": 4, "num_classes": 2,
           "gates": [[1, 0, 1], [6, 2, 3], [7, 4, 5], [14, 0, 3]], "outputs": [4, 5, 6, 7]}

# Runs the CLI with `import torch` made to fail, as on a machine without PyTorch.
NO_TORCH = """
import sys
sys.modules["torch"] = None
from lgn2hw.cli import main
main(sys.argv[1:], prog_name="lgn2hw")
"""


def _no_torch(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", NO_TORCH, *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.skipif(not HAVE_ICARUS, reason="Icarus not installed")
def test_compile_and_verify_a_netlist_without_pytorch(tmp_path):
    (tmp_path / "net.json").write_text(json.dumps(NETLIST))
    compiled = _no_torch("compile", "net.json", "-o", "rtl", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    verified = _no_torch("verify", "rtl", "--random", 50, cwd=tmp_path)
    assert verified.returncode == 0 and "bit-exact" in verified.stdout, verified.stdout + verified.stderr


def test_training_without_pytorch_is_one_line_naming_the_extra(tmp_path):
    result = _no_torch("train", "--preset", "tiny", "-o", "m.pt", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: this needs PyTorch, which is not installed: pip install 'lgn2hw[train]' "
        "(compiling and verifying a netlist.json does not need it)"]
    assert not (tmp_path / "m.pt").exists()


def test_api_reference_builds_from_the_docstrings(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import api_docs
    finally:
        sys.path.pop(0)
    index = api_docs.build(tmp_path / "api")
    assert index.is_file()
    compile_page = (tmp_path / "api" / "lgn2hw" / "flows" / "compile.html").read_text()
    assert "compile_source" in compile_page and "Freeze (if a checkpoint), optimize, check and emit" in compile_page
    assert '<span class="name">Netlist</span>' in (tmp_path / "api" / "lgn2hw" / "ir" / "netlist.html").read_text()


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_ICARUS, reason="Icarus not installed")
def test_fresh_pip_install_in_a_clean_venv_compiles_and_verifies(tmp_path):
    """`pip install <checkout>` into a new venv (no extras, no PyTorch), then compile and verify with an
    Icarus that is the only tool on PATH (as if installed some other way: no Debian yosys, no data set)."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run([*pip, str(ROOT)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("iverilog", "vvp"):
        (tools / tool).symlink_to(shutil.which(tool))
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}{tools}{os.pathsep}/usr/bin/env-free", "HOME": str(tmp_path)}
    env["PATH"] += os.pathsep + str(Path(shutil.which("iverilog")).parent)  # iverilog's own helpers (ivl)
    lgn2hw = str(env_dir / "bin" / "lgn2hw")
    check = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import torch"], capture_output=True, env=env)
    assert check.returncode != 0  # really no PyTorch in this install
    (tmp_path / "net.json").write_text(json.dumps(NETLIST))
    for argv in (["compile", "net.json", "-o", "rtl"], ["verify", "rtl", "--random", "50"]):
        run = subprocess.run([lgn2hw, *argv], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads((tmp_path / "rtl" / "verify.json").read_text())["passed"]


def test_every_package_and_template_is_in_the_wheel_list():
    """pyproject.toml lists packages explicitly (templates/ and hw_tests/ are mapped in): a new
    subpackage missing from the list would be missing from every pip install."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "lgn2hw").rglob("__init__.py")}
    assert packages | {"lgn2hw.templates", "lgn2hw.hw_tests"} == set(config["packages"])
    assert config["package-data"]["lgn2hw.templates"] == ["**/*.j2"]
