"""keepalived takes VRRP adverts only from its unicast peers (check_unicast_src): a host that is
not an LB and sends adverts with the right router id, password and a higher priority cannot take
the VIP away from the LB holding it. The host firewall drops such adverts first; the test opens
it for the forging host alone, for the test's few seconds, so keepalived's own check is what it proves."""

from __future__ import annotations

import time

import harness
from harness import wait_for

VIP = harness.lab_vars()["lab_vip"]

# Runs on the forging host (not an LB): VRRPv2 adverts over a raw IP socket (protocol 112,
# TTL 255) straight to the LB holding the VIP, priority 254, the lab's router id and password.
# The script is sent as is (python3 -c '...'): its lines are not wrapped at the line limit.
FORGE = r"""
import socket, struct, sys, time
target, vip, vrid, password, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode(), float(sys.argv[5])
def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF); total += total >> 16
    return ~total & 0xFFFF
def advert():
    body = struct.pack("!BBBBBBH", 0x21, vrid, 254, 1, 1, 1, 0) + socket.inet_aton(vip) + password.ljust(8, b"\0")[:8]
    return body[:6] + struct.pack("!H", checksum(body)) + body[8:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
end = time.time() + seconds
sent = 0
while time.time() < end:
    s.sendto(advert(), (target, 0)); sent += 1; time.sleep(0.1)
print(sent)
"""  # noqa: E501


def test_adverts_from_a_host_that_is_no_peer_are_ignored():
    def settled():
        """The VIP stays on one LB for 3 s (an earlier fault may still be settling)."""
        first = harness.vip_holder()
        time.sleep(3)
        return first if first and harness.vip_holder() == first else None

    holder, _ = wait_for(settled, timeout=60)
    forger = harness.group("ai_navigator_app")[0]
    conf = harness.sh(holder, "cat /etc/keepalived/keepalived.conf").out
    assert "check_unicast_src" in conf
    vrid = int(conf.split("virtual_router_id")[1].split()[0])
    password = harness.sh(holder, "awk '/auth_pass/ {print $2}' /etc/keepalived/ai-navigator-auth.conf").out
    since = harness.sh(holder, "date '+%Y-%m-%d %H:%M:%S'").out
    chain = "inet ai_navigator input"
    harness.sh(holder, f"nft insert rule {chain} ip saddr {harness.address(forger)} ip protocol 112 "
                       "accept comment vrrp-source-test")
    try:
        began = time.monotonic()
        sent = harness.sh(forger, f"python3 -c '{FORGE}' {harness.address(holder)} {VIP} {vrid} {password} 4",
                          timeout=30).out
        holders = set()
        while time.monotonic() - began < 6:  # the forged adverts and three advert intervals after them
            holders.add(harness.vip_holder())
            time.sleep(0.1)
    finally:
        harness.sh(holder, f"nft -a list chain {chain} | awk '/vrrp-source-test/ {{print $NF}}'"
                        f" | xargs -r -n1 nft delete rule {chain} handle")
    assert "vrrp-source-test" not in harness.sh(holder, f"nft list chain {chain}").out
    journal = harness.sh(holder, f"journalctl -u keepalived --since '{since}' --no-pager -o cat").out
    harness.figure(f"forged adverts from {forger} (no peer): sent={sent}; "
                   f"VIP holders meanwhile: {sorted(map(str, holders))}")
    dropped = journal.count(f"unicast source address {harness.address(forger)} not a unicast peer")
    harness.figure(f"  keepalived on {holder} dropped {dropped} of them as 'not a unicast peer'")
    # The forger must never count: keepalived drops its adverts and no state change comes from it.
    # (A peer LB may still take the VIP meanwhile by the rules of VRRP; that is recorded, not failed.)
    assert dropped >= int(sent) // 2, journal[-2000:]
    assert f"received advert from {harness.address(forger)}" not in journal, journal[-2000:]
    assert holders <= set(harness.group("ai_navigator_lb")), holders
    if holders != {holder}:
        harness.figure(f"  the VIP moved between the peer LBs meanwhile: {sorted(map(str, holders))}")
