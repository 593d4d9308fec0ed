package io.tapstack.forward.control;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code -p HOST_ADDR:HOST_PORT:GUEST_PORT[/udp]} read and written back. */
class PortForwardTest
{
    @Test
    void readsTheThreeFormsOfTheCommandLine() throws Exception
    {
        final PortForward full = PortForward.parse("10.0.0.5:8080:80/udp");
        assertEquals(PortForward.Protocol.UDP, full.protocol());
        assertEquals(InetAddress.getByName("10.0.0.5"), full.hostAddress());
        assertEquals(8080, full.hostPort());
        assertEquals(80, full.guestPort());

        final PortForward tcp = PortForward.parse("127.0.0.1:2222:22");
        assertEquals(PortForward.Protocol.TCP, tcp.protocol(), "TCP unless /udp");

        final PortForward loopback = PortForward.parse("8080:80/TCP");
        assertEquals(InetAddress.getByName(PortForward.DEFAULT_HOST_ADDRESS), loopback.hostAddress(),
            "no address: the host's loopback only, nothing exposed beyond the host");
        assertEquals("127.0.0.1:8080:80/tcp", loopback.spec());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "80", "1:2:3:4", "a:80", "127.0.0.1:0:80", "127.0.0.1:80:65536", "80:80/sctp",
        "localhost:80:80", "256.0.0.1:80:80", "1.2.3:80:80", "::1:80:80", "127.0.0.1:-1:80", "127.0.0.1:80:",
        "127.0.0.1:080080:80"})
    void refusesWhatIsNotAForward(final String spec)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> PortForward.parse(spec));
        assertFalse(ex.getMessage().isEmpty());
    }

    @Test
    void oneHostSocketIsOneForward()
    {
        final PortForward a = PortForward.parse("8080:80");
        assertTrue(a.sameHostSocket(PortForward.parse("127.0.0.1:8080:81")), "another guest port, same socket");
        assertFalse(a.sameHostSocket(PortForward.parse("8080:80/udp")), "UDP has a socket of its own");
        assertFalse(a.sameHostSocket(PortForward.parse("127.0.0.2:8080:80")));
    }

    @Property
    void writesWhatItReads(@ForAll @IntRange(min = 0, max = 255) final int a, @ForAll @IntRange(max = 255) final int b,
        @ForAll @IntRange(min = 1, max = 65535) final int hostPort,
        @ForAll @IntRange(min = 1, max = 65535) final int guestPort, @ForAll final boolean udp)
    {
        final String spec = a + "." + b + ".0.1:" + hostPort + ":" + guestPort + (udp ? "/udp" : "/tcp");
        final PortForward forward = PortForward.parse(spec);
        assertEquals(spec, forward.spec());
        assertEquals(forward, PortForward.parse(forward.spec()));
    }
}
