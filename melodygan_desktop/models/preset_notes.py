"""Each preset's ``notes``: what its paper specifies, and every choice it leaves open with the one made here.

Kept apart from ``presets.py`` so the recipes there read as a table.
"""

from __future__ import annotations

PAPER_000_NOTES = (
    "z: 100 standard-normal values as a 100x1x1 image; unconditional (all genres pooled).",
    "Generator: 4 transposed convs, hidden (ConvT, BN, ReLU) with [64, 32, 16] channels, last ConvT to 1 "
    "channel without BN; kernels/strides computed from the MelConfig (layers.plan_axis).",
    "Discriminator: (Conv, BN, LeakyReLU 0.2) x 3 with [64, 32, 16] channels, BN on the first block too "
    "(as the paper says), last conv spans the remaining map to 1x1x1, no activation.",
    "LSGAN with Mao et al.'s 1/2 factors, targets 1 (real) / 0 (fake); one D step then one G step per batch, "
    "fakes detached for the D step; Adam lr 1e-3 betas (0.5, 0.999) for both; batch 10.",
    "DCGAN initialisation N(0, 0.02); no EMA, no augmentation, no regularisation.",
)

PAPER_002_NOTES = (
    "5-s clips (128x216 at the paper-000 STFT settings: the paper's own STFT is not given); z = 100x1x1; "
    "unconditional (the paper trains on one genre; several genres are pooled).",
    "4x4 kernels, stride 2, padding 1 everywhere except the generator's first layer (and the discriminator's "
    "last), whose kernel is non-square to reach the mel shape from 1x1; output_padding fixes odd sizes.",
    "Channel widths (not in the paper's text): DCGAN's ngf/ndf = 64.",
    "DCGAN initialisation; LeakyReLU slope 0.2; no BN on the discriminator's first block (DCGAN).",
)

BCE_NOTE = (
    "BCE: the discriminator's sigmoid is folded into BCEWithLogits (same function, numerically stable); "
    "D loss = BCE(real, 1) + BCE(fake, 0); generator uses the non-saturating BCE(fake, 1) rather than the "
    "paper's literal 'minus the discriminator loss on fakes' (the minimax form, which saturates early). "
    "Adam lr 2e-4, betas (0.5, 0.999), batch 64."
)
WGAN_NOTE = (
    "WGAN networks: the paper's figures are not in its text; both WGAN presets use DCGAN 1's generator and "
    "its discriminator without a sigmoid as the critic. n_critic = 5 critic steps per generator step "
    "(Arjovsky et al.; the paper does not say). Batch 64."
)


V2_NOTE = (
    "v2 kernels: 4 with stride 2 (padding 1) on both axes; first kernel 16x53 at 128x431. "
    "Tanh output: model range [-1, 1], real mels fed as 2*unit-1."
)
V3_NOTE = (
    "v3 'modified kernels' (not given): along time stride 3 with kernel 6 (no checkerboard) instead of "
    "stride 2 / kernel 4, so the first kernel shrinks to 16x15. ReLU output: model range [0, inf), "
    "clamped to [0, 1] for listening; real mels fed as they are."
)
DCGAN1_NOTE = (
    "Generator (ConvT, BN, ReLU) x 4 [512, 256, 128, 64] then ConvT + Tanh; "
    "discriminator [64, 128, 256, 512] + 1 logit."
)
DCGAN2_NOTE = (
    "Generator [256, 128, 64] with Dropout(0.3) after its first two blocks; discriminator "
    "[64, 128, 256] with Dropout(0.3) after its second block (placement and rate not given)."
)
CLIP_NOTE = (
    "Weight clipping to [-0.01, 0.01] after every critic step (Arjovsky et al.; the paper gives no "
    "value); the critic keeps DCGAN's BatchNorm. RMSprop at the paper's lr 2e-4 for both networks "
    "(Arjovsky et al. use 5e-5: set lr_g/lr_d to compare)."
)
GP_NOTE = (
    "Gradient penalty lambda 10 on real/fake interpolates; critic uses GroupNorm(1, C) (layer norm) "
    "instead of BatchNorm (Gulrajani et al.). Adam at the paper's lr 2e-4, betas (0.5, 0.999)."
)
COND_NOTES = (
    "One generator for every genre: a (B, n_genres) soft vector blends learnt genre embeddings, so genres "
    "can be mixed; a (B, n_genres, T_latent) vector morphs genres along time.",
    "Generator: latent (64, T_latent), one step per 8 frames; 1-D residual upsampling blocks over time "
    "(mel bins as channels) with per-position channel norm + FiLM from the genre embedding; sigmoid "
    "output into [0, 1] (no clamping needed, real mels fed as they are).",
    "Seamless: a receptive-field margin is generated and cropped so no frame sees zero padding; one pass "
    "generates any length (60 s = 2584 frames).",
    "Discriminator: input centred to [-1, 1], spectral-norm 1-D convs, LeakyReLU 0.2, global average "
    "pooling over time, projection head for the genre (Miyato & Koyama); trains on any crop length. "
    "Uncentred, the mels' common level near 0.5 swamped the critic's gradients: on one genre it scored real "
    "and generated clips alike (hinge loss 2.000) for ~900 steps from scratch and for as long as we watched "
    "when fine-tuning; centred, it separates them within ~20-200 steps. The two notes below were observed "
    "before this change.",
    "Hinge loss; R1 gamma 1.0 on reals; EMA generator beta 0.999 (what inference uses); batch 16.",
    "Two time-scale update rule (SAGAN): Adam betas (0, 0.9), lr 1e-4 for G and 4e-4 for D. With 2e-4 for "
    "both, the spectral-norm critic on the open corpus stayed at hinge loss 2.0 (real and fake scores "
    "equal) for 1300+ steps; a faster critic separates them within ~50 steps.",
    "Augmentation off by default: with DiffAugment on every critic input the critic stayed at hinge loss "
    "2.0 on the open corpus (3,100 clips) for 300+ steps even at the faster rate, while without it the "
    "same critic separated real from generated within ~40 steps. The transforms stay in models/augment.py "
    "for folders of a few minutes.",
)

LATENT_NOTES = (
    "Two stages (the Musika recipe): a mel codec (checkpoints/mel-codec, `melodygan codec train`) is trained "
    "first on reconstruction alone; the GAN then models only its latent sequence (64 values per 4 frames, "
    "93 ms), and the codec's decoder, which has only learnt to draw real spectra, keeps notes and hits "
    "sharp.",
    "The training clips are encoded once when a run starts; every step is latent to latent, so a step costs "
    "a fraction of a mel-domain GAN's and a long receptive field is affordable.",
    "Generator: coarse rate of one position per 8 latent steps (0.74 s), dilated FiLM residual trunk "
    "(dilations 1, 2, 4, 8, 1: about 45 positions, over 30 s, of context: bars, not beats), three 2x "
    "upsampling stages; a global style vector (the last column of z) is shared by every position of a take "
    "and holds tempo, key and instrumentation; tanh output in the codec's latent range.",
    "Critic: spectral-norm 1-D convs over the latent sequence, three stride-2 stages, dilated convs that "
    "span the clip, sum pooling over time (BigGAN), projection genre head. Hinge loss, lazy R1 (gamma 0.2), "
    "EMA generator 0.999, Adam 1e-4 (G) / 4e-4 (D) betas (0, 0.99), batch 32.",
    "Observed: with mean pooling and equal learning rates (2e-4), in a 150-step CPU trial the critic's "
    "scores of real and generated latents stayed within 0.01 of each other (hinge loss 2.0). With sum "
    "pooling and the faster critic, the first GPU run still sat near 2.0 for about 800 steps, then "
    "separated them (hinge loss 1.2-1.5 by step 3,000). A critic alone, against a frozen random "
    "generator, separates them within 20 steps either way: the slow start is the game, not the critic.",
    "Saved models hold the sequence generator and the whole codec (the encoder too, so a model can be "
    "fine-tuned on new music without any other file), and meta.json holds both networks' shapes.",
)

HARMONIC_NOTES = (
    "The generator plays notes rather than painting mel bins: melodygan-cond's trunk (FiLM residual blocks, "
    "8x upsampling in time) ends in a head that sets, per frame, the loudness of 84 pitches (C1-B7) in two "
    "timbres and of 16 broadband noise bands. A fixed renderer turns those into the mel: each pitch is a "
    "harmonic template (16 partials, each the exact Hann main lobe of a sinusoid projected onto the mel "
    "filterbank, with learned per-timbre partial levels), each noise band a smooth bump; powers add, then "
    "the log. Tonal energy can only sit on harmonic lines at real pitches, and the noise bands start at "
    "about 1.3 kHz, so the low and middle register is pitched (with noise bands over the whole range, a "
    "trial run's takes had a harmonic share of 0.36 at step 5,000; with them from 1.3 kHz, 0.52 at step "
    "2,000; 26 takes each).",
    "A note budget: the pitches of each timbre are played by three voices, each choosing its pitch by a "
    "softmax (of logits scaled by 16, so a voice starts on a note rather than an even comb) and its "
    "loudness by a softplus, so a frame holds a few notes rather than a drone of dozens (models saved "
    "before voices existed keep one loudness per pitch).",
    "A beat clock: the take's global style (the last column of z) and its genre set a tempo (60-180 BPM) "
    "and a phase; sines and cosines at 1/4, 1/2, 1 and 2 cycles per beat feed the head, so onsets can lock "
    "to one steady grid for the whole take.",
    "Critic, loss and optimiser as melodygan-cond: spectral-norm projection critic on centred input, hinge "
    "loss, lazy R1 (gamma 1), EMA 0.999, Adam 1e-4 (G) / 4e-4 (D) betas (0, 0.9), batch 16. Against "
    "collapse (the first runs drew one picture per genre): a minibatch standard-deviation feature in the "
    "critic (groups of 4). A diversity hinge on the generator (the preset field `diversity`) was measured "
    "and left off: it kept takes apart by switching whole frames on and off, and lost on every other "
    "measure (docs/MUSICALITY.md).",
)

GROOVE_NOTES = (
    "melodygan-cond's generator with a beat clock: a tempo of 60-180 BPM and a phase per take, from its "
    "style (the last column of z) and genre; sines, cosines and narrow pulses at 1/4, 1/2, 1 and 2 cycles "
    "per beat enter every block at its own rate through zero-initialised 1x1 layers whose output is scaled "
    "by 10 (unscaled, Adam grew them to at most 0.01 in 1,000 steps and the beat barely moved; scaled, beat "
    "regularity went from 0.19 to 0.63 in 1,000 steps). A melodygan-cond model therefore starts a run "
    "exactly as it is (`--from`).",
    "Critic: melodygan-cond's projection critic on centred input with a minibatch standard-deviation "
    "feature (groups of 4), plus two views, each with its own hinge loss (averaged): rhythm (autocorrelation "
    "of the positive spectral flux in four bands at lags up to 2 s, through a spectral-norm MLP with a genre "
    "projection) and lines (three spectral-norm 2-D convs over mel and time, mean pooled, with a genre "
    "projection). Summed into one score, the views let the beat sit at 0.24 for 1,500 steps.",
    "Loss and optimiser as melodygan-cond: hinge loss, lazy R1 (gamma 1), EMA 0.999, Adam 1e-4 (G) / "
    "4e-4 (D) betas (0, 0.9), batch 16.",
    "Settings stored in meta.json and off in new models, measured in docs/MUSICALITY.md: a take-wide style "
    "shift of the genre embedding (style_gain), dilated context blocks at the latent rate (context) and a "
    "texture view in the critic (critic_views 4). With them the takes varied more than real clips and the "
    "harmonic share fell.",
)

VOICES_NOTES = (
    "melodygan-groove's generator (trunk, beat clock, painted mel) plus two timbres of three voices at the "
    "output rate: each voice picks one of 84 pitches (C1-B7) by a softmax (logits x 16) over the trunk's "
    "logits plus its own take-wide key logits from the style and genre, and a loudness "
    "exp(loudness_gain x output) under full scale by voice_start dB (plus an optional floor, voice_floor); "
    "melodygan-harmonic's templates (16 partials, exact STFT main lobes on the mel filterbank, learned "
    "levels per timbre) draw it, added to the painted mel in power.",
    "Untrained, the trunk's pitch and loudness layers are zero: each voice holds one pitch for the whole "
    "take at the starting loudness (110 dB under full scale in new models, under the -90 dB mel floor), so a "
    "melodygan-groove model starts a run as it sounds (`--from`); a melodygan-cond model starts as "
    "melodygan-groove does from it.",
    "Critic, loss and optimiser as melodygan-groove.",
)
