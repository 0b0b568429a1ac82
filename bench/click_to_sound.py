"""Click to sound: generator forward + mel -> audio for a 10-s clip, ours (``nnls-fgla``, and the default
method when that is another: the bundled vocoder) against torchaudio's stock ``InverseMelScale`` +
``GriffinLim(n_iter=32)`` on the same mel, in the same run; spectral
convergence of both on music round trips; 60-s seamless generation; every available mel-to-audio method side
by side (the four spectral distances to the original music, wins against nnls-fgla, speed), with the
vocoder's targets when a vocoder is registered (the bundled one, or ``--vocoder DIR``: a vocoder or run).

Run: ``.venv/bin/python bench/click_to_sound.py [--audio FOLDER] [--vocoder DIR] [--json out.json] [--quick]``
"""

from __future__ import annotations

import statistics
from pathlib import Path

import benchlib
import numpy as np
import torch
import torchaudio

from melodygan_desktop.audio.inversion import available_methods, default_method, invert, resolve_method
from melodygan_desktop.audio.io import read_audio
from melodygan_desktop.audio.mel import MelFrontEnd, unit_to_power, waveform_to_mel
from melodygan_desktop.audio.spectral_distance import resynthesis_scores, spectral_convergence
from melodygan_desktop.checkpoints import CheckpointMeta, LoadedModel, find_models, load_generator
from melodygan_desktop.checkpoints.vocoder_method import VOCODER_METHOD, register_vocoder_method
from melodygan_desktop.config import MEL_PRESETS, MelConfig
from melodygan_desktop.inference import generate, generate_mel, genre_weights
from melodygan_desktop.models.presets import get_preset

PRESET = "melodygan-cond"
GENRES = ("blues", "classical", "electronic", "jazz", "rock")
THREADS = 1
#: The baseline of the per-clip wins, and the vocoder's targets (issue 16).
BASELINE = "nnls-fgla"
VOCODER_REALTIME = 100.0
VOCODER_WINS = 8 / 9
DISTANCES = (("mrstft", "MR-STFT"), ("lsd_db", "LSD dB"), ("mcd_db", "MCD dB"), ("convergence", "SC linear"))


def bench_model() -> tuple[LoadedModel, str]:
    """The app's default model (the first in ``checkpoints/``) when there is one, else a freshly built
    melodygan-cond (same network and cost; its output is noise-like, which does not change the timing)."""
    for info in find_models([benchlib.ROOT / "checkpoints"]):
        return load_generator(info.path), f"trained checkpoint {info.path.name}"
    mel = MEL_PRESETS[get_preset(PRESET).mel_preset]
    torch.manual_seed(0)
    generator = get_preset(PRESET).build_generator(mel, len(GENRES)).eval()
    meta = CheckpointMeta(preset=PRESET, mel=mel, genres=GENRES, card={"name": "bench (untrained)"})
    return LoadedModel(generator=generator, meta=meta, path=Path("untrained")), "freshly built (untrained)"


class StockInversion:
    """The baseline exactly as stock torchaudio does it: ``InverseMelScale`` (least squares) then
    ``GriffinLim(n_iter=32)`` with its defaults (momentum 0.99, random start). Built once, outside timing."""

    def __init__(self, mel: MelConfig) -> None:
        self.mel = mel
        self.inverse_mel = torchaudio.transforms.InverseMelScale(
            n_stft=mel.n_fft // 2 + 1, n_mels=mel.n_mels, sample_rate=mel.sample_rate,
            f_min=mel.f_min, f_max=mel.top_hz, mel_scale="htk",
        )
        self.griffin_lim = torchaudio.transforms.GriffinLim(
            n_fft=mel.n_fft, hop_length=mel.hop_length, n_iter=32, power=2.0
        )

    def __call__(self, mel_unit: np.ndarray, seed: int = 0) -> np.ndarray:
        torch.manual_seed(seed)
        with torch.inference_mode():
            power = unit_to_power(torch.from_numpy(np.ascontiguousarray(mel_unit)), self.mel)
            return self.griffin_lim(self.inverse_mel(power)).numpy()


def music_clips(audio_dir: Path | None, mel: MelConfig, quick: bool) -> dict[str, np.ndarray]:
    """10-s excerpts (from 30 s in) of real tracks when a folder is given, plus synthetic music."""
    clips = {}
    for path in benchlib.real_music_files(audio_dir, 2 if quick else 6, min_seconds=40.0):
        clips[path.stem[:28]] = read_audio(path, mel.sample_rate, start_seconds=30.0, max_seconds=10.0)
    for seed in range(1 if quick else 3):
        clips[f"synthetic music #{seed}"] = benchlib.synth_music(10.0, mel.sample_rate, seed=seed)
    return clips


def round_trips(report: benchlib.Report, mel: MelConfig, clips: dict[str, np.ndarray]) -> dict[str, float]:
    """Spectral convergence (mel domain; lower is better) of each method on waveform -> mel -> waveform."""
    stock = StockInversion(mel)
    front_end = MelFrontEnd(mel)
    rows, scores = [], {"ours": [], "stock": [], "fast-griffin-lim": []}
    for name, audio in clips.items():
        unit = waveform_to_mel(audio, mel, front_end=front_end)
        ours = spectral_convergence(audio, invert(unit, mel), mel)
        fast = spectral_convergence(audio, invert(unit, mel, "fast-griffin-lim"), mel)
        baseline = spectral_convergence(audio, stock(unit), mel)
        linear_ours = spectral_convergence(audio, invert(unit, mel), mel, domain="linear")
        linear_stock = spectral_convergence(audio, stock(unit), mel, domain="linear")
        scores["ours"].append(ours)
        scores["stock"].append(baseline)
        scores["fast-griffin-lim"].append(fast)
        rows.append([name, round(ours, 3), round(fast, 3), round(baseline, 3), round(linear_ours, 3),
                     round(linear_stock, 3)])
        benchlib.log(f"round trip {name}: SC ours {ours:.3f} / stock {baseline:.3f}")
    report.table("Round-trip spectral convergence (10-s clips; lower is better)",
                 ["clip", "SC mel, ours (nnls-fgla)", "SC mel, fast-griffin-lim", "SC mel, stock GL-32",
                  "SC linear, ours", "SC linear, stock"], rows)
    margins = [ours - stock for ours, stock in zip(scores["ours"], scores["stock"])]
    return {key: statistics.mean(values) for key, values in scores.items()} | {
        "worst_margin": max(margins), "wins": sum(m <= 0 for m in margins), "clips": len(margins)}


def ordered_methods() -> list[str]:
    """Every available method: the built-ins from the papers' Griffin-Lim to ours, then plugged-in ones."""
    return list(dict.fromkeys(("griffin-lim", "fast-griffin-lim", BASELINE, *available_methods())))


def method_comparison(
    report: benchlib.Report, mel: MelConfig, clips: dict[str, np.ndarray], quick: bool
) -> None:
    """Each method on each clip (waveform -> mel -> waveform), the four distances to the original (means) and
    per-clip wins against nnls-fgla on MR-STFT and MCD; speed on one 10-s mel, interleaved in one run."""
    methods = ordered_methods()
    for method in methods:
        _used, note = resolve_method(method, mel)
        if note:
            report.note(note)
    front_end = MelFrontEnd(mel)
    scores = {m: {key: [] for key, _ in DISTANCES} for m in methods}
    per_clip = []
    for name, audio in clips.items():
        # Cut to what the clip's mel turns back into, so the original and each method's audio line up.
        original = audio[: mel.samples_for_frames(mel.frames_for_samples(len(audio)))]
        unit = waveform_to_mel(original, mel, front_end=front_end)
        row = [name]
        for method in methods:
            clip_scores = resynthesis_scores(original, invert(unit, mel, method), mel)
            for key, _ in DISTANCES:
                scores[method][key].append(float(getattr(clip_scores, key)[0]))
            row.append(f"{scores[method]['mrstft'][-1]:.3f} / {scores[method]['mcd_db'][-1]:.2f}")
        per_clip.append(row)
        benchlib.log(f"methods on {name}: " + ", ".join(f"{m} {c}" for m, c in zip(methods, row[1:])))
    report.table("Per clip, MR-STFT / MCD dB to the original (lower is better)",
                 ["clip", *methods], per_clip)
    method_mel = waveform_to_mel(next(iter(clips.values())), mel, front_end=front_end)
    speed = benchlib.interleaved({m: (lambda m=m: invert(method_mel, mel, m)) for m in methods},
                                 2 if quick else 5)
    seconds = mel.samples_for_frames(method_mel.shape[1]) / mel.sample_rate
    base = {key: np.array(scores[BASELINE][key]) for key in ("mrstft", "mcd_db")}
    rows, wins = [], {}
    for method in methods:
        mine = {key: np.array(values) for key, values in scores[method].items()}
        wins[method] = {key: int((mine[key] < base[key]).sum()) for key in base}
        realtime = seconds / speed[method].best_cpu
        rows.append([method, speed[method].best_cpu * 1e3, realtime,
                     *[round(float(mine[key].mean()), 3) for key, _ in DISTANCES],
                     f"{wins[method]['mrstft']} / {wins[method]['mcd_db']} of {len(clips)}"])
        report.figure(f"method_{method}_realtime", realtime, "x",
                      f"{method}: x realtime, 10-s mel (best CPU)")
        report.figure(f"method_{method}_mrstft", float(mine["mrstft"].mean()), "", f"{method}: mean MR-STFT")
        report.figure(f"method_{method}_mcd_db", float(mine["mcd_db"].mean()), "dB", f"{method}: mean MCD")
    report.table(f"Mel-to-audio methods side by side ({len(clips)} music clips; speed: {seconds:.1f}-s mel, "
                 f"{THREADS} thread, interleaved)",
                 ["method", "best CPU ms", "x RT", *[label for _, label in DISTANCES],
                  f"wins vs {BASELINE} (MR-STFT / MCD)"], rows)
    if VOCODER_METHOD in methods:
        realtime = seconds / speed[VOCODER_METHOD].best_cpu
        need = int(np.ceil(VOCODER_WINS * len(clips) - 1e-9))
        won = wins[VOCODER_METHOD]
        report.target("vocoder", f">= {VOCODER_REALTIME:.0f}x realtime on 1 thread; closer than {BASELINE} "
                      f"on >= 8 of 9 clips on MR-STFT and MCD (here >= {need} of {len(clips)})",
                      f"{realtime:.0f}x; MR-STFT wins {won['mrstft']}, MCD wins {won['mcd_db']} of "
                      f"{len(clips)}",
                      realtime >= VOCODER_REALTIME and min(won.values()) >= need)


def main() -> None:
    parser = benchlib.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--vocoder", type=Path,
                        help="a vocoder folder or run to measure as 'vocoder' (default: the bundled one)")
    args = parser.parse_args()
    threads = benchlib.set_threads(THREADS)
    report = benchlib.Report("click_to_sound", "Click to sound", threads,
                             "interleaved rounds; best-of-N process CPU time (1 thread), wall shown too")
    if args.vocoder is not None and not register_vocoder_method(args.vocoder):
        parser.error(f"{args.vocoder}: not a vocoder folder or vocoder run")
    if args.vocoder is None:
        register_vocoder_method()  # the bundled vocoder, when installed
    model, origin = bench_model()
    mel = model.meta.mel
    report.note(f"model: {model.meta.preset}, {origin}; mel {mel.n_mels} x {mel.frames} frames for 10 s")
    weights, _ = genre_weights(model, GENRES[0])
    frames = mel.frames_for_seconds(10.0)
    stock = StockInversion(mel)
    repeats = 3 if args.quick else 7
    candidates = {
        "generator forward": lambda: generate_mel(model, weights, 1, frames),
        "ours: G + nnls-fgla": lambda: invert(generate_mel(model, weights, 1, frames), mel),
        "stock: G + InverseMelScale + GriffinLim(32)": lambda: stock(generate_mel(model, weights, 1, frames)),
        "ours: generate() end to end": lambda: generate(model, GENRES[0], seed=1, seconds=10.0),
    }
    default = default_method()
    if default != "nnls-fgla":
        candidates[f"ours: G + {default} (the default)"] = lambda: invert(
            generate_mel(model, weights, 1, frames), mel, default)
    report.note(f"generate() uses the default mel-to-audio method: {default}")
    timings = benchlib.interleaved(candidates, repeats)
    rows = [[name, t.best_cpu * 1e3, t.median_cpu * 1e3, t.best_wall * 1e3, t.median_wall * 1e3,
             10.0 / t.best_cpu] for name, t in timings.items()]
    columns = ["pipeline", "best CPU", "median CPU", "best wall", "median wall", "x realtime (best CPU)"]
    report.table("10-s clip, 1 thread (ms)", columns, rows)
    ours, baseline = timings["ours: G + nnls-fgla"], timings["stock: G + InverseMelScale + GriffinLim(32)"]
    generator = timings["generator forward"]
    speedup = baseline.best_cpu / ours.best_cpu
    inversion_speedup = (baseline.best_cpu - generator.best_cpu) / (ours.best_cpu - generator.best_cpu)
    report.figure("ours_ms", ours.best_cpu * 1e3, "ms", "ours, G + mel-to-audio, 10 s (best CPU)")
    report.figure("stock_ms", baseline.best_cpu * 1e3, "ms", "stock, G + InverseMelScale + GriffinLim(32)")
    report.figure("speedup", speedup, "x", "speed-up, whole click (best CPU)")
    report.figure("speedup_wall", baseline.best_wall / ours.best_wall, "x", "speed-up (best wall)")
    report.figure("speedup_median", baseline.median_cpu / ours.median_cpu, "x", "speed-up (median CPU)")
    report.figure("inversion_speedup", inversion_speedup, "x", "speed-up, mel-to-audio alone")
    realtime = 10.0 / timings["ours: generate() end to end"].best_cpu
    report.figure("realtime", realtime, "x", "realtime factor, generate() 10 s on 1 thread (best CPU)")
    report.figure("realtime_wall", 10.0 / timings["ours: generate() end to end"].best_wall, "x",
                  "realtime factor (best wall, loaded machine)")

    clips = music_clips(args.audio, mel, args.quick)
    quality = round_trips(report, mel, clips)
    report.figure("sc_ours", quality["ours"], "", "mean SC, ours")
    report.figure("sc_stock", quality["stock"], "", "mean SC, stock")
    report.target("click speed", ">= 10x the stock pipeline at equal or lower SC (mean over the clips)",
                  f"{speedup:.1f}x (best CPU), mel-to-audio alone {inversion_speedup:.1f}x; mean SC "
                  f"{quality['ours']:.3f} vs {quality['stock']:.3f}; ours lower on {quality['wins']} of "
                  f"{quality['clips']} clips (worst clip {quality['worst_margin']:+.3f})",
                  speedup >= 10 and quality["ours"] <= quality["stock"])
    report.target("realtime", ">= 50x realtime on 1 thread", f"{realtime:.0f}x", realtime >= 50)

    long_frames = mel.frames_for_seconds(60.0)
    long = benchlib.interleaved({
        "ours: generate() 60 s": lambda: generate(model, GENRES[0], seed=2, seconds=60.0),
        "stock: G + GL-32, 60 s": lambda: stock(generate_mel(model, weights, 2, long_frames)),
    }, 2 if args.quick else 3, warmup=0)
    report.table("60-s seamless generation, 1 thread (s)", ["pipeline", "best CPU s", "best wall s", "x RT"],
                 [[name, t.best_cpu, t.best_wall, 60.0 / t.best_cpu] for name, t in long.items()])
    report.figure("generate_60s", long["ours: generate() 60 s"].best_cpu, "s", "60-s generation (best CPU)")

    method_comparison(report, mel, clips, args.quick)
    report.finish(args.json)


if __name__ == "__main__":
    main()
