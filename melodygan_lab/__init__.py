"""The lab: the tools that made and measure MELodyGAN Desktop's models, kept out of the desktop app and its
bundle. ``corpus`` builds the open genre corpus (apt-get, dpkg, renderers); ``evaluation`` trains the genre
classifier and the genre judge and writes the ``evaluate`` report (accuracy, Frechet and kernel distances,
musicality, diversity); ``cli`` holds their commands.

The lab imports the product (``melodygan_desktop``: models, data, the runtime measures in
``melodygan_desktop.evaluation``), never the reverse: the product's ``melodygan`` command finds the lab's
commands through the ``melodygan.commands`` entry points declared in ``pyproject.toml``, and
``melodygan-lab`` runs them alone. Both rules are import-linter contracts.
"""
