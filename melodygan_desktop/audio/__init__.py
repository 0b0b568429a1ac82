"""Audio in and out: files (io), the mel front-end (mel), mel -> waveform (inversion, fgla), playback."""
