package io.tapstack.forward.dhcp;

import io.tapstack.forward.dhcp.DhcpCounters.Counter;
import io.tapstack.forward.dhcp.DhcpPeer.Reply;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import static io.tapstack.forward.dhcp.DhcpMessage.DHCPACK;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPDECLINE;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPDISCOVER;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPINFORM;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPNAK;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPOFFER;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPRELEASE;
import static io.tapstack.forward.dhcp.DhcpMessage.DHCPREQUEST;
import static io.tapstack.forward.dhcp.DhcpPeer.MAC_A;
import static io.tapstack.forward.dhcp.DhcpPeer.MAC_B;
import static io.tapstack.forward.dhcp.DhcpPeer.POOL_FIRST;
import static io.tapstack.forward.dhcp.DhcpPeer.SECOND;
import static io.tapstack.forward.dhcp.DhcpPeer.SERVER;
import static io.tapstack.forward.dhcp.DhcpPeer.msg;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One rule of RFC 2131/2132 per test, a scripted client against the server on a single stack, in manual time. */
class DhcpServerTest
{
    private static final int OTHER_SERVER = Ipv4Address.parse("10.0.0.3");

    @Test
    void rfc2131_4_3_1_offersAPoolAddressWithEveryConfiguredOption()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPDISCOVER, MAC_A).xid(0xCAFE));
        final Reply offer = p.reply(DHCPOFFER);
        assertEquals(DhcpMessage.OP_BOOTREPLY, offer.op());
        assertEquals(0xCAFE, offer.xid());
        assertEquals(MAC_A, offer.chaddr());
        assertEquals(POOL_FIRST, offer.yiaddr());
        assertEquals(0, offer.ciaddr());
        assertEquals(SERVER, offer.ipSource());
        assertEquals(DhcpServer.SERVER_PORT, offer.sourcePort());
        assertEquals(DhcpServer.CLIENT_PORT, offer.destinationPort());
        assertEquals(SERVER, offer.intOption(DhcpMessage.OPTION_SERVER_IDENTIFIER));
        assertEquals(Ipv4Address.mask(24), offer.intOption(DhcpMessage.OPTION_SUBNET_MASK));
        assertEquals(SERVER, offer.intOption(DhcpMessage.OPTION_ROUTER));
        assertEquals(SERVER, offer.intOption(DhcpMessage.OPTION_DNS_SERVERS));
        assertEquals(1400, offer.shortOption(DhcpMessage.OPTION_INTERFACE_MTU));
        assertEquals(600, offer.intOption(DhcpMessage.OPTION_LEASE_TIME));
        assertEquals(300, offer.intOption(DhcpMessage.OPTION_RENEWAL_TIME)); // RFC 2131 §4.4.5: T1 = 0.5 lease
        assertEquals(525, offer.intOption(DhcpMessage.OPTION_REBINDING_TIME)); // T2 = 0.875 lease
        assertTrue(offer.length() >= DhcpMessage.MIN_BOOTP_LENGTH);
        assertEquals(1, p.server.counters().get(Counter.DHCP_OFFER_TX));
    }

    @Test
    void rfc2131_4_1_withoutTheBroadcastFlagTheReplyIsUnicastToChaddrAndYiaddr()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        final Reply offer = p.reply(DHCPOFFER);
        assertEquals(MAC_A, offer.ethDestination());
        assertEquals(offer.yiaddr(), offer.ipDestination());
    }

    @Test
    void rfc2131_4_1_withTheBroadcastFlagTheReplyIsBroadcast()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPDISCOVER, MAC_A).broadcastFlag());
        final Reply offer = p.reply(DHCPOFFER);
        assertEquals(MacAddress.BROADCAST, offer.ethDestination());
        assertEquals(Ipv4Address.BROADCAST, offer.ipDestination());
        assertEquals(DhcpMessage.FLAG_BROADCAST, offer.flags());
    }

    @Test
    void rfc2131_4_1_aReplyToAClientWithCiaddrGoesToCiaddr()
    {
        final DhcpPeer p = new DhcpPeer();
        final int address = p.lease(MAC_A);
        p.s.stack.arp().learn(address, MAC_A, p.now()); // the configured client answered ARP
        p.unicast(msg(DHCPREQUEST, MAC_A).ciaddr(address).broadcastFlag(), address);
        final Reply ack = p.reply(DHCPACK);
        assertEquals(address, ack.ipDestination()); // ciaddr wins over the BROADCAST flag
        assertEquals(MAC_A, ack.ethDestination());
        assertEquals(address, ack.ciaddr());
    }

    @Test
    void rfc2131_4_1_aNakIsAlwaysBroadcast()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPREQUEST, MAC_A).requested(Ipv4Address.parse("192.168.1.5")));
        final Reply nak = p.reply(DHCPNAK);
        assertEquals(MacAddress.BROADCAST, nak.ethDestination());
        assertEquals(Ipv4Address.BROADCAST, nak.ipDestination());
        assertEquals(0, nak.yiaddr());
        assertFalse(nak.has(DhcpMessage.OPTION_LEASE_TIME)); // RFC 2131 table 3: a NAK carries no lease
        assertEquals(SERVER, nak.intOption(DhcpMessage.OPTION_SERVER_IDENTIFIER));
    }

    @Test
    void rfc2131_4_3_1_offersTheRequestedAddressWhenItIsFree()
    {
        final DhcpPeer p = new DhcpPeer();
        final int wanted = Ipv4Address.parse("10.0.0.105");
        p.broadcast(msg(DHCPDISCOVER, MAC_A).requested(wanted));
        assertEquals(wanted, p.reply(DHCPOFFER).yiaddr());
    }

    @Test
    void rfc2131_4_3_1_anOfferIsHeldForItsClientAndNotOfferedToAnother()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        final int offeredToA = p.reply(DHCPOFFER).yiaddr();
        p.broadcast(msg(DHCPDISCOVER, MAC_B).requested(offeredToA));
        assertNotEquals(offeredToA, p.reply(DHCPOFFER).yiaddr());
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        assertEquals(offeredToA, p.reply(DHCPOFFER).yiaddr()); // the same offer again
    }

    @Test
    void rfc2131_4_3_1_anOfferNotTakenUpIsFreeAfterTheHold()
    {
        final DhcpPeer p = new DhcpPeer(c -> c.pool("10.0.0.100", "10.0.0.100").offerHoldNs(30 * SECOND));
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        p.reply(DHCPOFFER);
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        p.expectNothing(); // the one address is held for A
        assertEquals(1, p.server.counters().get(Counter.DHCP_POOL_EXHAUSTED));
        p.advance(30 * SECOND);
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        assertEquals(POOL_FIRST, p.reply(DHCPOFFER).yiaddr());
    }

    @Test
    void rfc2131_4_3_1_aReturningClientIsOfferedItsPreviousAddress()
    {
        final DhcpPeer p = new DhcpPeer();
        p.lease(MAC_B);
        final int address = p.lease(MAC_A);
        p.broadcast(msg(DHCPRELEASE, MAC_A).ciaddr(address).serverId(SERVER));
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        assertEquals(address, p.reply(DHCPOFFER).yiaddr());
    }

    @Test
    void rfc2131_4_3_2_selectingTheOfferBindsTheLease()
    {
        final DhcpPeer p = new DhcpPeer();
        final int address = p.lease(MAC_A);
        assertEquals(address, p.server.addressOf(MAC_A, p.now()));
        assertEquals(1, p.server.counters().get(Counter.DHCP_LEASES_BOUND));
    }

    @Test
    void rfc2131_4_3_2_selectingAnotherServerWithdrawsOurOfferSilently()
    {
        final DhcpPeer p = new DhcpPeer(c -> c.pool("10.0.0.100", "10.0.0.100"));
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        final int offered = p.reply(DHCPOFFER).yiaddr();
        p.broadcast(msg(DHCPREQUEST, MAC_A).requested(Ipv4Address.parse("10.0.0.200")).serverId(OTHER_SERVER));
        p.expectNothing();
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        assertEquals(offered, p.reply(DHCPOFFER).yiaddr()); // free for B at once
    }

    @Test
    void rfc2131_4_3_2_selectingAnAddressLeasedToAnotherIsRefused()
    {
        final DhcpPeer p = new DhcpPeer();
        final int ofA = p.lease(MAC_A);
        p.broadcast(msg(DHCPREQUEST, MAC_B).requested(ofA).serverId(SERVER));
        p.reply(DHCPNAK);
        assertEquals(ofA, p.server.addressOf(MAC_A, p.now()));
    }

    @Test
    void rfc2131_4_3_2_initRebootWithItsOwnAddressIsAcknowledged()
    {
        final DhcpPeer p = new DhcpPeer();
        final int address = p.lease(MAC_A);
        p.broadcast(msg(DHCPREQUEST, MAC_A).requested(address));
        assertEquals(address, p.reply(DHCPACK).yiaddr());
    }

    @Test
    void rfc2131_4_3_2_initRebootWithAnotherAddressIsRefused()
    {
        final DhcpPeer p = new DhcpPeer();
        final int address = p.lease(MAC_A);
        p.broadcast(msg(DHCPREQUEST, MAC_A).requested(address + 1));
        p.reply(DHCPNAK);
    }

    @Test
    void rfc2131_4_3_2_initRebootOnAWrongNetworkIsRefused()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPREQUEST, MAC_A).requested(Ipv4Address.parse("172.16.0.9")));
        p.reply(DHCPNAK);
    }

    @Test
    void rfc2131_4_3_2_initRebootFromAClientWithoutARecordIsNotAnswered()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPREQUEST, MAC_A).requested(Ipv4Address.parse("10.0.0.104")));
        p.expectNothing();
        assertEquals(1, p.server.counters().get(Counter.DHCP_SILENT_NO_RECORD));
    }

    @Test
    void rfc2131_4_3_2_renewingExtendsTheLeaseFromNow()
    {
        final DhcpPeer p = new DhcpPeer();
        final int address = p.lease(MAC_A);
        p.advance(500 * SECOND);
        p.s.stack.arp().learn(address, MAC_A, p.now());
        p.unicast(msg(DHCPREQUEST, MAC_A).ciaddr(address), address);
        final Reply ack = p.reply(DHCPACK);
        assertEquals(address, ack.yiaddr());
        assertEquals(600, ack.intOption(DhcpMessage.OPTION_LEASE_TIME));
        p.advance(500 * SECOND); // 1000 s after the first ACK: past it, not past the renewal's
        assertEquals(address, p.server.addressOf(MAC_A, p.now()));
    }

    @Test
    void rfc2131_4_3_2_rebindingAnAddressHeldByAnotherIsRefused()
    {
        final DhcpPeer p = new DhcpPeer();
        final int ofA = p.lease(MAC_A);
        p.broadcast(msg(DHCPREQUEST, MAC_B).ciaddr(ofA));
        p.reply(DHCPNAK);
    }

    @Test
    void rfc2131_4_4_5_anUnrenewedLeaseExpiresAndItsAddressGoesToAnother()
    {
        final DhcpPeer p = new DhcpPeer(c -> c.pool("10.0.0.100", "10.0.0.100"));
        p.lease(MAC_A);
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        p.expectNothing();
        p.advance(599 * SECOND);
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        p.expectNothing();
        p.advance(SECOND);
        assertEquals(0, p.server.addressOf(MAC_A, p.now()));
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        assertEquals(POOL_FIRST, p.reply(DHCPOFFER).yiaddr());
    }

    @Test
    void rfc2132_9_2_aClientAskingForAShorterLeaseGetsIt()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(msg(DHCPDISCOVER, MAC_A).lease(120));
        final Reply offer = p.reply(DHCPOFFER);
        assertEquals(120, offer.intOption(DhcpMessage.OPTION_LEASE_TIME));
        assertEquals(60, offer.intOption(DhcpMessage.OPTION_RENEWAL_TIME));
        assertEquals(105, offer.intOption(DhcpMessage.OPTION_REBINDING_TIME));
        p.broadcast(msg(DHCPDISCOVER, MAC_B).lease(100_000));
        assertEquals(600, p.reply(DHCPOFFER).intOption(DhcpMessage.OPTION_LEASE_TIME));
    }

    @Test
    void rfc2131_4_3_3_aDeclinedAddressStaysOutOfThePoolForTheHold()
    {
        final DhcpPeer p = new DhcpPeer(c -> c.pool("10.0.0.100", "10.0.0.101").declineHoldNs(600 * SECOND));
        final int address = p.lease(MAC_A);
        p.broadcast(msg(DHCPDECLINE, MAC_A).requested(address).serverId(SERVER));
        p.expectNothing();
        assertEquals(1, p.server.counters().get(Counter.DHCP_ADDRESSES_DECLINED));
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        final int next = p.reply(DHCPOFFER).yiaddr();
        assertNotEquals(address, next);
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        p.expectNothing(); // one address offered to A, the other declined
        p.advance(600 * SECOND);
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        assertEquals(address, p.reply(DHCPOFFER).yiaddr());
    }

    @Test
    void rfc2131_4_3_4_aReleasedAddressIsFreeForAnother()
    {
        final DhcpPeer p = new DhcpPeer(c -> c.pool("10.0.0.100", "10.0.0.100"));
        final int address = p.lease(MAC_A);
        p.broadcast(msg(DHCPRELEASE, MAC_B).ciaddr(address).serverId(SERVER)); // not B's to release
        p.expectNothing();
        assertEquals(address, p.server.addressOf(MAC_A, p.now()));
        p.unicast(msg(DHCPRELEASE, MAC_A).ciaddr(address).serverId(SERVER), address);
        p.expectNothing();
        assertEquals(0, p.server.addressOf(MAC_A, p.now()));
        p.broadcast(msg(DHCPDISCOVER, MAC_B));
        assertEquals(address, p.reply(DHCPOFFER).yiaddr());
    }

    @Test
    void rfc2131_4_3_5_informGetsTheOptionsWithoutALeaseOrAnAddress()
    {
        final DhcpPeer p = new DhcpPeer();
        final int address = Ipv4Address.parse("10.0.0.50"); // configured by hand
        p.s.stack.arp().learn(address, MAC_A, p.now());
        p.unicast(msg(DHCPINFORM, MAC_A).ciaddr(address), address);
        final Reply ack = p.reply(DHCPACK);
        assertEquals(0, ack.yiaddr());
        assertEquals(address, ack.ipDestination());
        assertFalse(ack.has(DhcpMessage.OPTION_LEASE_TIME));
        assertFalse(ack.has(DhcpMessage.OPTION_RENEWAL_TIME));
        assertEquals(SERVER, ack.intOption(DhcpMessage.OPTION_ROUTER));
        assertEquals(0, p.server.leasesInUse(p.now()));
    }

    @Test
    void rfc2132_3_8_listsEveryConfiguredDnsServerInOrder()
    {
        final int a = Ipv4Address.parse("10.0.0.53");
        final int b = Ipv4Address.parse("10.0.0.54");
        final DhcpPeer p = new DhcpPeer(c -> c.dnsServers(a, b).router(0).mtu(0));
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        final Reply offer = p.reply(DHCPOFFER);
        assertArrayEquals(new byte[] {10, 0, 0, 53, 10, 0, 0, 54}, offer.options().get(DhcpMessage.OPTION_DNS_SERVERS));
        assertFalse(offer.has(DhcpMessage.OPTION_ROUTER));
        assertFalse(offer.has(DhcpMessage.OPTION_INTERFACE_MTU));
    }

    @Test
    void badInputIsCountedAndDroppedWithoutAReply()
    {
        final DhcpPeer p = new DhcpPeer();
        p.broadcast(MAC_A, new byte[100]);
        final byte[] noCookie = msg(DHCPDISCOVER, MAC_A).bytes();
        noCookie[DhcpMessage.COOKIE_OFFSET] = 1;
        p.broadcast(MAC_A, noCookie);
        final byte[] overrun = msg(DHCPDISCOVER, MAC_A).bytes();
        overrun[DhcpMessage.OPTIONS_OFFSET + 3] = 12; // after 53/1/1: an option whose length runs past the end
        overrun[DhcpMessage.OPTIONS_OFFSET + 4] = (byte)200;
        p.broadcast(MAC_A, overrun);
        final byte[] bootp = msg(DHCPDISCOVER, MAC_A).bytes();
        bootp[DhcpMessage.OPTIONS_OFFSET] = 0; // the message type option becomes padding
        bootp[DhcpMessage.OPTIONS_OFFSET + 1] = 0;
        bootp[DhcpMessage.OPTIONS_OFFSET + 2] = 0;
        p.broadcast(MAC_A, bootp);
        final byte[] token = msg(DHCPDISCOVER, MAC_A).bytes();
        token[DhcpMessage.HTYPE_OFFSET] = 6;
        p.broadcast(MAC_A, token);
        p.broadcast(msg(DHCPOFFER, MAC_A));
        p.broadcast(msg(DHCPDISCOVER, MAC_A).op(DhcpMessage.OP_BOOTREPLY));
        p.broadcast(msg(DHCPDISCOVER, MAC_A).giaddr(Ipv4Address.parse("10.9.0.1")));
        p.broadcast(msg(DHCPREQUEST, MAC_A).serverId(SERVER)); // SELECTING without the requested address
        p.broadcast(msg(DHCPINFORM, MAC_A));
        p.broadcast(msg(99, MAC_A));
        p.expectNothing();
        final DhcpCounters c = p.server.counters();
        assertEquals(11, c.get(Counter.DHCP_RX));
        assertEquals(1, c.get(Counter.DHCP_DROP_TOO_SHORT));
        assertEquals(1, c.get(Counter.DHCP_DROP_BAD_COOKIE));
        assertEquals(1, c.get(Counter.DHCP_DROP_BAD_OPTIONS));
        assertEquals(1, c.get(Counter.DHCP_DROP_NO_MESSAGE_TYPE));
        assertEquals(1, c.get(Counter.DHCP_DROP_BAD_HARDWARE));
        assertEquals(2, c.get(Counter.DHCP_DROP_UNEXPECTED_TYPE));
        assertEquals(1, c.get(Counter.DHCP_DROP_NOT_A_REQUEST));
        assertEquals(1, c.get(Counter.DHCP_DROP_RELAYED));
        assertEquals(2, c.get(Counter.DHCP_DROP_MALFORMED_REQUEST));
        p.broadcast(msg(DHCPDISCOVER, MAC_A));
        p.reply(DHCPOFFER); // and the server still serves
    }

    @Test
    void theConfigurationIsCheckedAgainstTheStacksSubnet()
    {
        final SingleStack s = new SingleStack();
        assertThrows(IllegalArgumentException.class,
            () -> DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.1.10", "10.0.1.20")));
        assertThrows(IllegalArgumentException.class,
            () -> DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.0.1", "10.0.0.20"))); // holds .2
        assertThrows(IllegalArgumentException.class,
            () -> DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.0.20", "10.0.0.10")));
        assertThrows(IllegalArgumentException.class,
            () -> DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.0.10", "10.0.0.20").maxPoolSize(5)));
        assertThrows(IllegalArgumentException.class,
            () -> DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.0.10", "10.0.0.20").mtu(40)));
        DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.0.10", "10.0.0.20"));
        assertThrows(IllegalStateException.class,
            () -> DhcpServer.install(s.stack, new DhcpConfig().pool("10.0.0.10", "10.0.0.20"))); // port 67 taken
    }
}
