"""benchmarks/run_all.py and tools/perf_report.py stay runnable: argument parsing, case
selection, error handling of the driver, the results format and the report written from a
small synthetic results dict. Nothing is compiled or timed here."""

import importlib.util
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load(name, relpath):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


run_all = _load("run_all", "benchmarks/run_all.py")
perf_report = _load("perf_report", "tools/perf_report.py")
results_format = sys.modules["_results"]  # benchmarks/_results.py, imported by both
harness = sys.modules["_harness"]


def test_arguments_select_cases_and_devices():
    args = run_all.parse_args(["--quick", "--device", "cpu", "--only", "compile|import",
                               "--json", "out.json"])
    assert args.quick and args.json == "out.json" and args.load == 1
    cases = run_all.selected_cases(args)
    assert [c.id for c in cases] == ["compile", "import"]
    assert [run_all.devices_for(c, args, has_cuda=True) for c in cases] == [["cpu"], ["host"]]
    every = run_all.parse_args([])
    assert every.device == "all" and len(run_all.selected_cases(every)) == len(run_all.CASES)
    by_id = {c.id: c for c in run_all.CASES}
    assert run_all.devices_for(by_id["saxpy"], every, has_cuda=True) == ["cpu", "cuda:0"]
    assert run_all.devices_for(by_id["saxpy"], every, has_cuda=False) == ["cpu"]
    with pytest.raises(SystemExit):
        run_all.parse_args(["--device", "tpu"])


def test_a_failing_case_reports_its_error_and_the_run_goes_on():
    def broken(device, ctx):
        yield results_format.make_row("a", "first row", device, "us", "lower", 1.0)
        raise ValueError("no such kernel")

    def missing(device, ctx):
        raise harness.Skip("needs torch")
        yield

    def fine(device, ctx):
        yield results_format.make_row("c", "fine", "cuda:0", "us", "lower", 2.0,
                                      {"NVIDIA Warp": 4.0})

    Case = harness.Case
    cases = [Case("a", "broken", ("cpu",), broken), Case("b", "skip", ("cpu",), missing),
             Case("c", "fine", ("cuda",), fine)]
    logged = []
    rows = run_all.run_cases(cases, run_all.parse_args([]), None, has_cuda=True,
                             log=lambda *a, **k: logged.append(a[0]))
    assert [r["case"] for r in rows] == ["first row", "broken", "fine"]
    assert "ValueError: no such kernel" in rows[1]["error"]
    assert rows[2]["device"] == "cuda" and rows[2]["ratios"] == {"NVIDIA Warp": 2.0}
    assert any("skipped (needs torch)" in line for line in logged)


def test_ratios_are_speed_ups_and_targets_are_judged():
    make = results_format.make_row
    launch = make("launch", "wp.launch", "cuda", "us", "lower", 4.0,
                  {"NVIDIA Warp": 12.0, "torch op": 2.0}, {"text": "<= 5 us", "max": 5.0})
    assert launch["ratios"] == {"NVIDIA Warp": 3.0, "torch op": 0.5} and launch["met"] is True
    saxpy = make("saxpy", "saxpy", "cuda", "TB/s", "higher", 3.0, {"torch": 4.0},
                 {"text": ">= 0.9x torch", "ratio_min": 0.9, "baseline": "torch"})
    assert saxpy["ratios"]["torch"] == 0.75 and saxpy["met"] is False
    no_torch = make("saxpy", "saxpy", "cuda", "TB/s", "higher", 3.0, {},
                    {"text": ">= 0.9x torch", "ratio_min": 0.9, "baseline": "torch"})
    assert no_torch["met"] is None
    slower = make("compile", "cold", "cuda", "s", "lower", 0.5, {"NVIDIA Warp": 0.4},
                  {"text": "no slower than Warp", "ratio_min": 1.0, "baseline": "NVIDIA Warp"})
    assert slower["met"] is False and results_format.target_bound(slower) == 0.4


def _synthetic_results():
    make = results_format.make_row
    rows = [
        make("launch", "wp.launch, 4 arrays", "cuda", "us", "lower", 4.2,
             {"NVIDIA Warp": 13.5, "torch op": 7.0}, {"text": "<= 5 us", "max": 5.0}),
        make("saxpy", "saxpy 2^27 float32", "cuda", "TB/s", "higher", 3.2, {"torch": 4.3},
             {"text": ">= 0.9x torch", "ratio_min": 0.9, "baseline": "torch"}),
        make("escape", "escape time", "cpu", "ms", "lower", 6.4,
             {"serial @njit": 91.0, "NVIDIA Warp": 88.0},
             {"text": ">= 10x serial @njit", "ratio_min": 10.0, "baseline": "serial @njit"},
             notes="16 threads"),
        make("import", "import numba_warp", "host", "s", "lower", 0.45, {"NVIDIA Warp": 0.6},
             {"text": "<= 0.5 s", "max": 0.5}),
        results_format.error_row("graph", "graph replay", "cuda", "RuntimeError: boom | 2"),
    ]
    machine = {"date": "2026-12-01T00:00:00+00:00", "cpu": "Test CPU", "cores": 16,
               "cores_usable": 16, "gpu": "Test GPU", "load_average": [0.5, 0.4, 0.3],
               "python": "3.11", "numba_threads": 16,
               "versions": {"numba": "0.68.1", "warp-lang": "1.19.0", "torch": None}}
    return {"format": results_format.FORMAT, "machine": machine,
            "options": {"quick": True, "device": "all", "only": None, "load": 1},
            "rows": rows}


def test_report_from_a_results_file(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_synthetic_results()))
    results = perf_report.load_results(path)
    text = perf_report.render_markdown(results, "images/p.png", source="run.json")
    assert text.index("## CUDA") < text.index("## CPU") < text.index("## Start-up")
    versions = next(line for line in text.splitlines() if line.startswith("- **Python**"))
    assert "numba 0.68.1" in versions and "torch" not in versions  # not installed: left out
    assert "Test GPU" in text
    assert "| wp.launch, 4 arrays | 4.2 us | NVIDIA Warp 13.5 us; torch op 7 us |" in text
    assert "3.21x NVIDIA Warp" in text and "<= 5 us: met" in text
    assert ">= 0.9x torch: **not met**" in text and "14.22x serial @njit" in text
    assert "RuntimeError: boom / 2" in text  # a | would break the table
    assert "**3 met, 1 not met**" in text and "![" in text
    labels = [item[0] for item in perf_report.plot_rows(results["rows"])]
    assert labels[0].startswith("wp.launch") and labels[1].endswith("vs torch")


def test_report_writes_page_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    md = tmp_path / "docs" / "performance.md"
    image = tmp_path / "docs" / "images" / "performance.png"
    perf_report.write_report(_synthetic_results(), md, image)
    assert image.read_bytes()[:4] == b"\x89PNG"
    assert "](images/performance.png)" in md.read_text()


def test_a_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"rows": []}))
    with pytest.raises(ValueError, match="not a results file"):
        perf_report.load_results(path)


def test_warp_twin_needs_the_numba_warp_import_line(tmp_path):
    twin = sys.modules["_warp_twin"]
    source = tmp_path / "kernels.py"
    source.write_text("import numpy as np\n")
    with pytest.raises(ValueError, match="import numba_warp as wp"):
        twin.load(source, "bench_test_twin")
    assert "bench_test_twin" not in sys.modules
