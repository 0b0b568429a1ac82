"""Measuring generators: a genre classifier on log-mels, Frechet and kernel distances on its embeddings, genre
accuracy; and, on audio, musicality yardsticks and an independent genre judge.

Modules: ``classifier`` (the network), ``classifier_files`` (save/load), ``train_classifier`` (recipe and
metrics), ``classifier_pipeline`` (folder -> shipped classifier), ``model_folder`` (safe folders for both
measuring models), ``data`` (corpus splits), ``frechet``, ``kernel`` (KID), ``sampling`` (generated and
resynthesised clips), ``spectral`` and ``beats`` (librosa's features in NumPy/torch), ``musicality``,
``audio_clips`` (real clips as audio), ``judge_features``, ``judge`` (network and training), ``judge_files``,
``judge_pipeline``, ``judge_card``, ``report`` (``evaluate_model``), ``audio_report``, ``markdown``. The
commands (``evaluate``, ``classifier train``, ``judge train``) are in ``cli.evaluate`` and ``cli.judge``.
Nothing is imported here, so ``melodygan --help`` stays fast.
"""
