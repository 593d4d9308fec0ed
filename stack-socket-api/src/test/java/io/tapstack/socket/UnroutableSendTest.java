package io.tapstack.socket;

import org.junit.jupiter.api.Test;

import java.net.NoRouteToHostException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A datagram or an echo request to an address no route reaches fails at once, as sendto(2) does (ENETUNREACH). */
class UnroutableSendTest
{
    @Test
    void aDatagramOffTheSubnetWithoutAGatewayFailsAtOnce() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final UdpSocket udp = s.a.bindUdp(0);
            final long start = System.nanoTime();
            final NoRouteToHostException ex = assertThrows(NoRouteToHostException.class,
                () -> udp.send("192.0.2.1", 53, new byte[] {1}));
            assertTrue(ex.getMessage().contains("192.0.2.1"), ex.getMessage());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(1).toNanos(), "at once");
            udp.send("10.0.0.2", 53, new byte[] {1}); // on the subnet: fine
        }
    }

    @Test
    void aPingOffTheSubnetWithoutAGatewayFailsAtOnce() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final long start = System.nanoTime();
            assertThrows(NoRouteToHostException.class, () -> s.a.ping().echo("192.0.2.1", Duration.ofSeconds(5)));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(1).toNanos(), "not after the timeout");
            final ExecutionException async = assertThrows(ExecutionException.class,
                () -> s.a.ping().echoAsync("192.0.2.1", 56).get());
            assertInstanceOf(NoRouteToHostException.class, async.getCause());
        }
    }
}
