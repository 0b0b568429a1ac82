"""Measuring generators: a genre classifier on log-mels, Frechet distances on its embeddings, genre accuracy.

Modules: ``classifier`` (the network), ``classifier_files`` (save/load), ``train_classifier`` (recipe and
metrics), ``classifier_pipeline`` (folder -> shipped classifier), ``data`` (corpus splits), ``frechet``,
``sampling`` (generated and resynthesised clips), ``report`` (``evaluate_model``), ``markdown``, ``cli``.
Nothing is imported here, so ``melodygan --help`` stays fast.
"""
