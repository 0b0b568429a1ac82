"""Measuring generators in the lab: training the genre classifier, the genre judge on audio features, and
the ``evaluate`` report.

Modules: ``train_classifier`` (recipe and metrics), ``classifier_pipeline`` (folder -> shipped classifier),
``data`` (corpus splits), ``kernel`` (KID), ``diversity``, ``sampling`` (generated and resynthesised clips),
``musicality``, ``audio_clips`` (real clips as audio), ``judge_features``, ``judge`` (network and training),
``judge_files``, ``judge_pipeline``, ``judge_card``, ``report`` (``evaluate_model``), ``report_helpers``,
``audio_report``, ``markdown``, ``comparison`` (preset comparison table). What the app itself needs (the
classifier network and its files, the Frechet distance, the held-out score, the tempo estimate and their
spectral building blocks) is in ``melodygan_desktop.evaluation``. The commands (``evaluate``,
``classifier train``, ``judge train``) are in ``melodygan_lab.cli``. Nothing is imported here, so
``melodygan --help`` stays fast.
"""
