"""The preset comparison table: one row per run folder and its evaluation report, ranked by distance."""

from __future__ import annotations

import json

from melodygan_lab.evaluation.comparison import comparison_markdown, row_from_run


def fake_report(preset: str, step: int, fd: float | None, accuracy: float | None, clip: float = 10.0) -> dict:
    return {
        "model": {"preset": preset, "step": step},
        "settings": {"mel": {"clip_seconds": clip}},
        "overall": {
            "fd_generated": fd, "fd_floor": 30.0, "generated_accuracy": accuracy, "real_accuracy": 0.9,
        },
    }


def write_metrics(run, rows) -> None:
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_rows_take_the_cpu_time_at_the_evaluated_step_and_rank_by_distance(tmp_path):
    write_metrics(tmp_path / "a", [{"step": 50, "cpu_seconds": 300.0}, {"step": 100, "cpu_seconds": 600.0},
                                   {"step": 150, "cpu_seconds": 900.0}])
    write_metrics(tmp_path / "b", [{"step": 10, "d/loss": 1.0}])  # an old run without recorded CPU time
    a = row_from_run(tmp_path / "a", fake_report("melodygan-v3", 100, 250.0, 0.5))
    b = row_from_run(tmp_path / "b", fake_report("techno-wgan-clip", 10, 900.0, 0.0, clip=5.0))
    assert a.cpu_minutes == 10.0 and a.paper == "000" and b.paper == "002" and b.cpu_minutes is None
    table = comparison_markdown([b, a]).splitlines()
    assert table[0].startswith("| rank | preset | paper | clip | steps | CPU min | FD generated")
    assert table[2] == "| 1 | melodygan-v3 | 000 | 10 s | 100 | 10.0 | 250.0 | 30.0 | 50.0 % | 90.0 % |"
    assert table[3].startswith("| 2 | techno-wgan-clip | 002 | 5 s | 10 | n/a | 900.0 |")


def test_cpu_time_comes_from_the_checkpoint_when_it_recorded_one(tmp_path):
    import torch

    # Logged every 5 steps, evaluated at step 9: the log's last row (step 5) would understate the CPU time.
    write_metrics(tmp_path / "run", [{"step": 5, "cpu_seconds": 545.0}])
    step_dir = tmp_path / "run" / "step_00000009"
    step_dir.mkdir()
    (step_dir / "meta.json").write_text("{}")
    torch.save({"step": 9, "spent_seconds": {"wall": 990.0, "cpu": 900.0}}, step_dir / "training.pt")
    report = fake_report("techno-wgan-gp", 9, 270.0, 1.0, clip=5.0)
    report["model"]["path"] = str(step_dir)
    assert row_from_run(tmp_path / "run", report).cpu_minutes == 15.0
    (step_dir / "training.pt").unlink()  # no resume state: back to the log
    assert row_from_run(tmp_path / "run", report).cpu_minutes == 545.0 / 60
