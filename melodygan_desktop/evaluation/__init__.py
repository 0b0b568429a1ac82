"""The measures the product uses at run time: the genre classifier on log-mels (``classifier``, and
``classifier_files`` to save and load it, with ``model_folder`` for safe folders), the Frechet distance on
its embeddings (``frechet``), the held-out score behind a run's best-so-far checkpoint (``checkpoint_score``,
with ``report_checks``), and the tempo and first beat of a take for loop export (``tempo``, on ``spectral``
and ``beats``: librosa's features in NumPy/torch).

Training those measuring models and the ``evaluate`` report live in the lab (``melodygan_lab.evaluation``),
which is not part of the desktop app. Nothing is imported here, so ``melodygan --help`` stays fast.
"""
