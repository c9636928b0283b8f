"""Stored addresses keep only their network: the shortcut for plain IPv4 text gives exactly
what parsing the address gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from afterword.privacy.ip import _network, anonymize_ip

_OCTETS = st.sampled_from(["0", "00", "7", "07", "99", "100", "199", "249", "250", "255",
                           "256", "300", "999", "1000", "٣", "²", ""])


@given(st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str),
                 st.lists(_OCTETS, min_size=3, max_size=5).map(".".join),
                 st.text(alphabet="0123456789.: %", max_size=20), st.text(max_size=40)))
def test_an_address_is_anonymised_as_its_parse_says(raw):
    net = _network(raw)
    assert anonymize_ip(raw) == ("" if net is None else str(net.network_address))


def test_anonymised_addresses_keep_the_network_only():
    assert anonymize_ip("203.0.113.77") == "203.0.113.0"
    assert anonymize_ip("2001:db8:1:2::5") == "2001:db8:1::"
    assert anonymize_ip(" 203.0.113.77 ") == "203.0.113.0"
    assert anonymize_ip("::ffff:203.0.113.77") == "203.0.113.0"
    assert anonymize_ip("203.0.113.077") == ""  # leading zeros: refused, as ipaddress does
    assert anonymize_ip("junk") == ""
