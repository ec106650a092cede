"""A sweep directory is data: a damaged file in one run is one line naming the run and what is wrong, that run is
left out, and the rest of the report is written; never a traceback."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganlab.report.__main__ import main, write_report
from ganlab.report.runs import find_runs
from tests.report.sweeps import write_cells

FILES = (".hydra/config.yaml", ".hydra/overrides.yaml", "status.json", "metrics.csv", "final_scores.json")


def sweep(root):
    finals = {"trick=base": [60, 61, 62], "trick=flip": [70, 71, 72]}
    write_cells(root, finals)
    for job, value in enumerate(value for values in finals.values() for value in values):
        record = {"iteration": 30, "samples": 200, "real_samples": 200, "yardstick": {"id": "classifier-a"},
                  "scores": {"classifier_fid": value}, "real": {"real_classifier_fid": 0.5}}  # fmt: skip
        (root / str(job) / "final_scores.json").write_text(json.dumps(record))
    return root


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


# what a full disk, a kill, an editor or another tool leaves behind, per file
DAMAGE = {
    "truncated": truncated,
    "empty": lambda data: b"",
    "latin-1": lambda data: data + "\nnaïve: é".encode("latin-1"),
    "binary": lambda data: b"\x00\xff\xfe" + bytes(range(256)),
}
WRONG_TYPES = {
    ".hydra/config.yaml": ["- just\n- a list\n", "seed: one\n", "seed: 1\nmetric: 3\n",
                           "seed: 1\nreport: {margin: [1]}\n", "seed: 1\nreport: {primary_score: 3}\n",
                           "seed: [unclosed\n"],
    ".hydra/overrides.yaml": ["trick: base\n", "- 3\n"],
    "status.json": ["[1, 2]", '{"updated": "now"}', '{"status": "finished"}', '{"status": "completed", "better": '
                    '{"val/classifier_fid": "smaller"}}', '{"status": "completed", "iteration": "30"}',
                    '{"status": "completed", "findings": [{"finding": "x"}]}', "{'status': 'completed'}"],
    "final_scores.json": ["[]", '{"iteration": 30}', '{"iteration": 30, "samples": 2, "real_samples": 2, "yardstick": '
                          '{"id": 1}, "scores": {}, "real": {}}', '{"iteration": 30, "samples": 2, "real_samples": 2, '
                          '"yardstick": {"id": "a"}, "scores": {"fid": "low"}, "real": {}}'],
    "metrics.csv": ["epoch,train/d_loss\n0,1\n", "epoch,step,val/x\n0,ten,1\n", "epoch,step,val/x\n0,10,high\n",
                    "epoch,step,val/x\n0,10,1,2,3\n", "epoch,step\n0,-3\n", 'epoch,step,val/x\n0,10,"1\n'],
}  # fmt: skip
CASES = [(name, kind, damage) for name in FILES for kind, damage in DAMAGE.items()] + [
    (name, f"wrong: {text!r}", lambda data, text=text: text.encode()) for name, texts in WRONG_TYPES.items()
    for text in texts
]  # fmt: skip


@pytest.mark.parametrize(("name", "kind", "damage"), CASES, ids=[f"{name} {kind}" for name, kind, _ in CASES])
def test_a_damaged_file_sets_its_run_apart_with_the_file_named(tmp_path, name, kind, damage):
    root = sweep(tmp_path / "sweep")
    path = root / "1" / name
    path.write_bytes(damage(path.read_bytes()))
    runs, unreadable = find_runs(root)
    if unreadable:  # some damage leaves a file that still reads as ganlab writes it (half an overrides list)
        ((run, why),) = [(item.path.name, item.why) for item in unreadable]
        assert run == "1" and why.startswith(f"{name}: ")
        assert len(runs) == 5
    else:
        assert len(runs) == 6


@pytest.mark.parametrize("name", FILES)
def test_the_report_is_written_around_a_run_it_cannot_read(tmp_path, capsys, name):
    root = sweep(tmp_path / "sweep")
    (root / "4" / name).write_bytes(b"\x00\xff garbage")
    assert main([str(root), "--title", "damaged"]) == 0
    report = json.loads((root / "report.json").read_text())
    assert [run["path"] for run in report["unreadable"]] == ["4"]
    assert "could not be read and is left out of every count**: `4`:" in (root / "report.md").read_text()
    assert f"not readable, left out: 4: {name}: " in capsys.readouterr().out
    flip = report["groups"][0]["scores"][0]["rows"][1]
    assert flip["cell"] == "trick=flip" and flip["counted"] == 2  # seeds 0 and 2 of flip; seed 1 was run 4


def test_a_sweep_with_no_readable_run_is_one_line(tmp_path, capsys):
    root = write_cells(tmp_path / "sweep", {"trick=base": [60]})
    (root / "0" / "status.json").write_text("{")
    assert main([str(root)]) == 2
    assert capsys.readouterr().err.startswith(f"ganlab.report: {root}: no run below it can be read: 0: status.json: "
                                              "not JSON")  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(FILES), data=st.binary(max_size=200), keep=st.integers(0, 400))
def test_no_bytes_in_any_file_make_the_readers_raise(tmp_path_factory, name, data, keep):
    root = sweep(tmp_path_factory.mktemp("fuzz"))
    path = root / "2" / name
    path.write_bytes(path.read_bytes()[:keep] + data)
    runs, unreadable = find_runs(root)  # an exception here fails the test
    assert len(runs) + len(unreadable) == 6


def test_write_report_keeps_the_unreadable_runs_in_report_json(tmp_path):
    root = sweep(tmp_path / "sweep")
    (root / "0" / "metrics.csv").write_text("epoch,step,val/classifier_fid\n0,10,nope\n")
    report = write_report(root)
    assert report["unreadable"] == [
        {"path": "0", "why": "metrics.csv: line 2: val/classifier_fid = 'nope', not a number"}
    ]
