"""Planning a verification (lgn2hw.check.cosim.plan): shards, drive order, files and env, without a simulator."""

from __future__ import annotations

import itertools

import numpy as np

from lgn2hw.check.cosim.plan import MAX_AUTO_JOBS, MIN_SHARD_VECTORS, CosimOptions, default_jobs, plan_cosim, reference
from lgn2hw.resources import hw_tests_contract
from lgn2hw.toolchain.icarus import Icarus
from lgn2hw.toolchain.verilator import VerilatorInstall
from test_emit import random_netlist


def test_default_jobs_keep_small_runs_in_one_process():
    assert default_jobs(10) == 1 and default_jobs(MIN_SHARD_VECTORS * 2 - 1) == 1
    assert 1 <= default_jobs(10**7) <= MAX_AUTO_JOBS


def _plan(tmp_path, jobs=3, latency=0, install=None, **options):
    netlist = random_netlist(21, num_inputs=8, widths=(20, 20, 18), num_classes=3)
    bits = np.array(list(itertools.product((0, 1), repeat=8)), dtype=np.uint8)
    ref = reference(netlist, bits)
    install = install or Icarus("iverilog", "vvp")  # planning looks nothing up
    opts = CosimOptions(jobs=jobs, **options)
    return netlist, ref, plan_cosim(netlist, [tmp_path / "lgn_top.v"], ref, opts, install, tmp_path / "work", latency=latency)


def test_plan_cuts_the_drive_order_into_disjoint_shards_and_touches_nothing(tmp_path):
    contract = hw_tests_contract()
    _, ref, job = _plan(tmp_path)
    assert not (tmp_path / "work").exists()  # a plan is pure: no directory, no file
    assert job.sharded and [len(s.rows) for s in job.shards] == [85, 86, 85]
    assert np.concatenate([s.rows for s in job.shards]).tolist() == job.order.tolist()
    assert sorted(job.order.tolist()) == list(range(256))
    assert job.test_module == contract.COMBINATIONAL_TESTBENCH
    for k, shard in enumerate(job.shards):
        assert shard.directory == tmp_path / "work" / f"shard{k}"
        assert shard.label.startswith(f"shard {k + 1} of 3 (vectors ")
        assert shard.env[contract.ENV_VECTORS] == str(shard.directory / contract.VECTORS_FILE)
        assert shard.env[contract.ENV_RESULT] == str(shard.directory / contract.RESULT_FILE)
        assert shard.env[contract.ENV_SEED] == str(1 + k) and shard.env[contract.ENV_NUM_INPUTS] == "8"
        spec = job.child_spec(("test",), shard)
        assert spec["test"]["env"] == shard.env and spec["test"]["cwd"] == str(shard.directory)
        assert spec["stages"] == ["test"] and not spec["ports_only"]


def test_plan_of_a_waveform_run_is_one_shard_in_the_work_dir(tmp_path):
    contract = hw_tests_contract()
    _, _, job = _plan(tmp_path, latency=2, waves_file=tmp_path / "w.fst", reorder=False)
    (shard,) = job.shards
    assert shard.directory == tmp_path / "work" and shard.label == "the simulation"
    assert job.order.tolist() == list(range(256)) and job.test_module == contract.PIPELINED_TESTBENCH
    assert job.waves == tmp_path / "work" / "waves.fst"
    assert shard.test_options == {"plusargs": [f"+dumpfile_path={job.waves}"]}
    assert job.child_spec(("build", "test"), shard)["test"]["plusargs"] == shard.test_options["plusargs"]


def test_plan_for_verilator_makes_only_the_ports_public(tmp_path):
    install = VerilatorInstall("/opt/v/bin/verilator", (5, 48), "test", make_args=("A=1",))
    netlist, _, job = _plan(tmp_path, install=install, simulator="verilator", module_name="lgn_top")
    assert job.sources[0] == str(tmp_path / "work" / "ports.vlt") and job.make_args == ("A=1",)
    assert 'public_flat_rw -module "lgn_top" -var "in_bits"' in job.control
    assert job.build_args == () and netlist.num_gates < 1000  # small designs are not split
    assert install.build_args(1000) == ["--output-split-cfuncs", "200"]
