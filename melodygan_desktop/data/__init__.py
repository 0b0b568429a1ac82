"""data package: a folder of tracks -> labelled log-mel clips (scan, clips, decoding, cache, prepared sets,
packs)."""
