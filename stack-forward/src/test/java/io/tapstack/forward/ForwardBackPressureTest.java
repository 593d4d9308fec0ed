package io.tapstack.forward;

import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

import static io.tapstack.forward.GuestRig.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-pressure end to end: a host peer that stops reading closes the guest's send window; a guest that stops reading
 * stops the engine's reads from the host socket, so the host's writes block. Nothing grows without bound.
 */
class ForwardBackPressureTest
{
    @Test
    void aHostThatStopsReadingClosesTheGuestsWindow() throws IOException
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY)))
        {
            final Socket[] accepted = new Socket[1];
            final Thread acceptor = new Thread(() ->
            {
                try
                {
                    accepted[0] = server.accept(); // and never read
                }
                catch (final IOException ex)
                {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            final byte[] chunk = new byte[65536];
            final TcpHandler writer = new TcpHandler()
            {
                @Override
                public void onConnected(final TcpConnection c)
                {
                    onWritable(c);
                }

                @Override
                public void onWritable(final TcpConnection c)
                {
                    while (c.write(chunk, 0, chunk.length) > 0)
                    {
                        // as fast as the connection takes it
                    }
                }
            };
            final TcpConnection c = rig.guest.tcp().connect(GATEWAY, server.getLocalPort(), writer, rig.now());
            // RFC 9293 §3.8.6: the gateway announces a zero window once the host socket and the relay are full
            assertTrue(rig.runUntil(() -> c.sndWnd() == 0 && c.writable() == 0, 30_000),
                () -> "window " + c.sndWnd() + ", to host " + rig.engine.counters().get(Counter.TCP_BYTES_TO_HOST));
            final long toHost = rig.engine.counters().get(Counter.TCP_BYTES_TO_HOST);
            rig.runUntil(() -> false, 500);
            assertEquals(toHost, rig.engine.counters().get(Counter.TCP_BYTES_TO_HOST), "nothing more moves");
            assertEquals(0, c.sndWnd(), "the window stays closed");
            if (accepted[0] != null)
            {
                accepted[0].close();
            }
        }
    }

    @Test
    void aGuestThatStopsReadingBlocksTheHostsWrites() throws IOException
    {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).tcpRelayBufferBytes(16384)))
        {
            final AtomicLong written = new AtomicLong();
            final Thread source = new Thread(() ->
            {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream())
                {
                    final byte[] block = new byte[8192];
                    while (true)
                    {
                        out.write(block); // blocks once every buffer on the way is full
                        written.addAndGet(block.length);
                    }
                }
                catch (final IOException ex)
                {
                    // the test ended
                }
            });
            source.setDaemon(true);
            source.start();
            final TcpConnection c = rig.guest.tcp().connect(GATEWAY, server.getLocalPort(), new TcpHandler()
            {
            }, rig.now()); // a guest that never reads
            assertTrue(rig.runUntil(() -> c.readable() > 0, 10_000));
            long before;
            long after = -1;
            for (int round = 0; round < 20; round++)
            {
                before = written.get();
                rig.runUntil(() -> false, 300);
                after = written.get();
                if (before == after)
                {
                    break;
                }
            }
            rig.runUntil(() -> false, 300);
            assertEquals(after, written.get(), "the host's writes are blocked");
            // what the guest holds unread plus what waits in the gateway's send buffer (which may still grow with
            // cwnd, up to its bound) and the relay: bounded, however long the host tries
            final long toGuest = rig.engine.counters().get(Counter.TCP_BYTES_TO_GUEST);
            assertTrue(toGuest < 16L << 20, "bytes to the guest: " + toGuest);
            assertTrue(c.readable() <= 4 << 20, "the guest holds " + c.readable());
        }
    }
}
