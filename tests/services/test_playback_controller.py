"""PlaybackController over a fake player: transport, position polling, loop, no-device state."""

from __future__ import annotations

from gui_fakes import FakePlayer, tone

from melodygan_desktop.services.playback import PlaybackController


def test_play_pause_stop_seek(qtbot):
    player = FakePlayer()
    controller = PlaybackController(lambda: player)
    states = []
    controller.state_changed.connect(states.append)
    controller.load(tone(1.0), 22050, tag="generate")
    assert controller.tag == "generate" and abs(controller.duration_seconds - 1.0) < 1e-6
    with qtbot.waitSignal(controller.position_changed, timeout=1000):
        assert controller.play()
    qtbot.waitUntil(lambda: controller.position_seconds > 0.05, timeout=2000)
    controller.pause()
    paused_at = controller.position_seconds
    qtbot.wait(60)
    assert controller.position_seconds == paused_at
    assert controller.toggle() is True and controller.state == "playing"
    assert controller.toggle() is False and controller.state == "paused"
    controller.seek(0.5)
    assert abs(controller.position_seconds - 0.5) < 1e-6
    controller.seek(99.0)
    assert controller.position_seconds == 1.0  # clamped to the clip
    controller.stop()
    assert controller.position_seconds == 0.0
    assert states == ["playing", "paused", "playing", "paused", "stopped"]


def test_reaching_the_end_returns_to_stopped(qtbot):
    controller = PlaybackController(lambda: FakePlayer())
    controller.load(tone(0.1), 22050)
    with qtbot.waitSignal(controller.state_changed, timeout=2000, check_params_cb=lambda s: s == "stopped"):
        controller.play()


def test_loop_keeps_playing(qtbot):
    player = FakePlayer()
    controller = PlaybackController(lambda: player)
    controller.load(tone(0.1), 22050)
    controller.set_loop(True)
    assert player.loop is True
    controller.play()
    qtbot.wait(300)
    assert controller.state == "playing"
    controller.stop()


def test_compare_keeps_the_play_position(qtbot):
    player = FakePlayer()
    controller = PlaybackController(lambda: player)
    controller.load(tone(2.0), 22050, tag="generate")
    controller.seek(1.25)
    controller.load(tone(2.0, seed=3), 22050, tag="generate", keep_position=True)
    assert abs(controller.position_seconds - 1.25) < 1e-6
    controller.load(tone(2.0), 22050, tag="generate")
    assert controller.position_seconds == 0.0


def test_no_audio_device_is_reported_and_nothing_breaks(qtbot):
    controller = PlaybackController(lambda: FakePlayer(available=False, reason="no output device found"))
    with qtbot.waitSignal(controller.availability_changed) as blocker:
        controller.load(tone(0.5), 22050)
    assert blocker.args == [False, "no output device found"]
    assert controller.play() is False and controller.state == "stopped"
    controller.seek(0.2)
    controller.stop()


def test_a_player_that_cannot_be_created_becomes_unavailable(qtbot):
    def broken():
        raise OSError("PortAudio library not found")

    controller = PlaybackController(broken)
    assert controller.available is False
    assert "PortAudio" in controller.unavailable_reason
    controller.load(tone(0.5), 22050)
    assert controller.play() is False
    assert abs(controller.duration_seconds - 0.5) < 1e-6


def test_the_device_opens_on_a_helper_thread(qtbot):
    import threading

    opened_on = []

    def factory():
        opened_on.append(threading.current_thread().name)
        return FakePlayer()

    controller = PlaybackController(factory)
    with qtbot.waitSignal(controller.availability_changed, timeout=5000) as blocker:
        controller.open_in_background().join(5)
    assert blocker.args == [True, ""] and opened_on == ["audio-open"]
    controller.load(tone(0.5), 22050)
    assert controller.play() and opened_on == ["audio-open"]  # the GUI thread reused that player


def test_a_player_needed_before_the_helper_is_done_is_kept(qtbot):
    import threading

    release = threading.Event()
    players = []

    def slow_factory():
        if threading.current_thread().name == "audio-open":
            release.wait(5)
        players.append(FakePlayer())
        return players[-1]

    controller = PlaybackController(slow_factory)
    thread = controller.open_in_background()
    controller.load(tone(0.5), 22050)  # the GUI thread opens its own meanwhile
    first = controller.player
    release.set()
    thread.join(5)
    qtbot.wait(50)  # let the helper's hand-over arrive
    assert controller.player is first and len(players) == 2 and players[1].closed
