package io.tapstack.socket;

import io.tapstack.StackCounters.Counter;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SocketOptions.keepAlive turns RFC 1122 §4.2.3.6 probes on for one connection (SO_KEEPALIVE). */
class SocketKeepAliveTest
{
    @Test
    void aKeepAliveConnectionProbesItsIdlePeerAndStaysOpen() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks(c ->
        {
            c.tcp().keepAliveIdleNs(Duration.ofMillis(100).toNanos())
                .keepAliveIntervalNs(Duration.ofMillis(50).toNanos());
            return c;
        }, new SocketConfig(), new SocketConfig()))
        {
            final TcpServerSocket listener = s.b.listen(7);
            final TcpSocket quiet = s.a.connect(B_IP, 7, Duration.ofSeconds(5));
            final TcpSocket probing = s.a.connect(B_IP, 7, Duration.ofSeconds(5),
                SocketOptions.defaults().keepAlive(true));
            final TcpSocket serverSide = listener.accept(Duration.ofSeconds(5));
            listener.accept(Duration.ofSeconds(5));
            final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (s.a.counters().get(Counter.TCP_KEEPALIVE_PROBES) < 3 && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            assertTrue(s.a.counters().get(Counter.TCP_KEEPALIVE_PROBES) >= 3, "probes sent");
            assertEquals(0, s.b.counters().get(Counter.TCP_KEEPALIVE_PROBES), "the server's sockets did not ask");
            assertEquals(0, s.a.counters().get(Counter.TCP_KEEPALIVE_TIMEOUTS), "the peer answers every probe");
            // both connections still carry data
            probing.getOutputStream().write(7);
            quiet.getOutputStream().write(8);
            serverSide.readTimeout(Duration.ofSeconds(5));
            final int first = serverSide.getInputStream().read();
            assertTrue(first == 7 || first == 8);
        }
    }
}
