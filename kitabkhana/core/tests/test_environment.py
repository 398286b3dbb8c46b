"""What the environment configures: the reading rooms' address blocks are checked when the server starts."""

from __future__ import annotations

import pytest

from config.env import read_environment


def test_reading_room_networks_are_read_and_a_mistyped_block_is_named():
    env = read_environment({"KITABKHANA_READING_ROOM_NETWORKS": "10.20.0.0/16, 192.0.2.7/24"})
    assert env.reading_room_networks == ("10.20.0.0/16", "192.0.2.0/24")
    assert read_environment({}).reading_room_networks == ()
    with pytest.raises(ValueError, match="'10.20.0.0/33' is not an address block"):
        read_environment({"KITABKHANA_READING_ROOM_NETWORKS": "10.20.0.0/16,10.20.0.0/33"})
