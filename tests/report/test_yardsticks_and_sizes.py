"""The report compares runs only on one yardstick and one sample size: runs scored with other feature networks
are set apart and named, final values come from final_scores.json, and pace reads the curve at its own size."""

import json

from ganlab.report.__main__ import write_report
from tests.report.sweeps import STEPS, fid_curve, write_cells, write_run

A = {"id": "classifier-aaaaaaaaaaaaaaaa", "network": "classifier", "sha256": "a" * 64, "pinned": True}
B = {"id": "classifier-bbbbbbbbbbbbbbbb", "network": "classifier", "sha256": "b" * 64, "pinned": False}


def test_runs_on_two_yardsticks_are_never_compared_and_the_report_says_how_to_rescore(tmp_path):
    root = tmp_path / "sweep"
    write_cells(root / "a", {"trick=base": [60, 61, 62], "trick=flip": [90, 91, 92]}, yardstick=A)
    write_cells(root / "b", {"trick=flip": [30, 31, 32]}, yardstick=B)
    report = write_report(root)
    groups = report["groups"]
    assert [group["setting"]["yardstick"] for group in groups] == [A["id"], B["id"]]
    first = {row["cell"]: row["vs_baseline"]["verdict"] for row in groups[0]["scores"][0]["rows"]}
    assert first == {"trick=base": "baseline", "trick=flip": "inconclusive"}
    (alone,) = groups[1]["scores"][0]["rows"]  # B's flip runs, alone in their group: compared with nothing
    assert alone["cell"] == "trick=flip" and alone["vs_baseline"]["verdict"] == "baseline"
    text = (root / "report.md").read_text()
    assert "**The runs were measured on 2 yardsticks** (`classifier-aaaaaaaaaaaaaaaa` (SHA-256 " in text
    assert "no verdict is drawn across them" in text and "`python -m ganlab.rescore <directory>`" in text
    assert report["yardsticks"][B["id"]]["runs"] == 3


def test_one_yardstick_is_named_with_its_hash_and_unrecorded_ones_say_how_to_record_them(tmp_path):
    for name, yardstick in (("pinned", A), ("old", None)):
        write_cells(
            tmp_path / name,
            {"trick=base": [60, 61], "trick=flip": [70, 71]},
            **({"yardstick": yardstick} if yardstick else {}),
        )
        write_report(tmp_path / name)
    pinned, old = ((tmp_path / name / "report.md").read_text() for name in ("pinned", "old"))
    assert f"Yardstick: `{A['id']}` (SHA-256 {'a' * 64}, pinned: shipped with ganlab)." in pinned
    assert "Yardstick: not recorded (runs of ganlab before 2026-12-05). Whether these runs share one cannot" in old


def test_final_values_and_the_real_reference_come_from_final_scores_json(tmp_path):
    root = tmp_path / "sweep"
    for job, (trick, seed, final) in enumerate([("base", 0, 60.0), ("base", 1, 61.0), ("flip", 0, 10.0)]):
        rescored = {"iteration": STEPS[-1], "samples": 200, "real_samples": 200, "yardstick": B,
                    "scores": {"classifier_fid": final}, "real": {"real_classifier_fid": 0.25}}  # fmt: skip
        trained_on = A if job < 2 else B  # job 2 was trained on B; 0 and 1 were rescored onto it
        write_run(
            root / str(job), [f"trick={trick}"], seed, fid_curve(500.0), yardstick=trained_on, final_scores=rescored
        )
    table = write_report(root)["groups"][0]["scores"][0]
    assert [seed["value"] for row in table["rows"] for seed in row["seeds"]] == [60.0, 61.0, 10.0]  # not 500
    assert table["real_data"] == 0.25 and table["samples"] == {"curve": 100, "final": 200, "real": 200}
    text = (root / "report.md").read_text()
    assert (
        "Real data scores 0.25 (the baseline's real-data reference, two halves of 100 real samples against each "
        "other). Final values: 200 generated samples against 200 real samples; curves and pace: 100 samples" in text
    )
    assert "Pace: no pace: the runs' curves were measured on different yardsticks" in text  # A's and B's curves


def test_pace_reads_the_curve_at_its_own_size_never_the_larger_final_evaluation(tmp_path):
    def curve(final):  # the curve falls from 300 to 100; the final evaluation, of more samples, reads `final`
        return {"val/classifier_fid": [(step, 300 - 200 * step / STEPS[-1]) for step in STEPS]}

    root = tmp_path / "sweep"
    for job, seed in enumerate((0, 1, 2)):
        final = {"iteration": STEPS[-1], "samples": 200, "real_samples": 200, "yardstick": A,
                 "scores": {"classifier_fid": 20.0 + seed}, "real": {}}  # fmt: skip
        write_run(root / str(job), ["trick=base"], seed, curve(20), yardstick=A, final_scores=final)
    table = write_report(root)["groups"][0]["scores"][0]
    assert table["pace_target"] == 300 + 0.9 * (100 - 300)  # 120: from the curve's last value, not the final's 20
    assert table["rows"][0]["pace"]["median"] == STEPS[-1]


def test_runs_of_older_ganlab_without_sizes_keep_their_final_apart_from_the_curve(tmp_path):
    write_cells(tmp_path / "old", {"trick=base": [20, 21, 22]}, sizes=False)
    table = write_report(tmp_path / "old")["groups"][0]["scores"][0]
    assert [seed["value"] for seed in table["rows"][0]["seeds"]] == [20, 21, 22]
    # the curve ends at iteration 20, the last evaluation before the final one: 300 -> 113.3 (seed 0's)
    assert table["pace_target"] == json.loads(json.dumps(300 + 0.9 * ((300 + (21 - 300) * 20 / 30) - 300)))


def test_a_score_the_final_record_does_not_hold_is_read_from_metrics_csv(tmp_path):
    """The memorization audit logs val/copies at the end itself; final_scores.json holds the Evaluation's scores."""
    curve = {**fid_curve(60.0), "val/copies": [(STEPS[-1], 0.01)]}
    final = {"iteration": STEPS[-1], "samples": 200, "real_samples": 200, "yardstick": A,
             "scores": {"classifier_fid": 60.0}, "real": {}}  # fmt: skip
    write_run(tmp_path / "sweep" / "0", ["trick=base"], 0, curve, yardstick=A, final_scores=final)
    report = write_report(tmp_path / "sweep")
    copies = next(table for table in report["groups"][0]["scores"] if table["score"] == "val/copies")
    assert copies["rows"][0]["seeds"][0]["value"] == 0.01 and copies["rows"][0]["failures"] == 0
