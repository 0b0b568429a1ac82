"""MELodyGAN Desktop: genre-conditioned mel-spectrogram GANs, a Qt-free core, a CLI and a desktop app."""

__version__ = "0.1.0"
