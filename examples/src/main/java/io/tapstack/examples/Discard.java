package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** {@code discard}: RFC 863 over TCP and UDP; logs each TCP connection's bytes and rate when it closes. */
final class Discard
{
    private static final Logger LOG = LoggerFactory.getLogger("discard");
    private static final int BUFFER_BYTES = 64 * 1024;
    /** Larger rings than the default keep a fast sender from waiting on the reader thread's turns. */
    private static final int RING_BYTES = 256 * 1024;

    private Discard()
    {
    }

    static int run(final String[] args) throws Exception
    {
        return Servers.runTcpAndUdp("discard", "RFC 863",
            "The Discard Protocol (RFC 863): reads and drops whatever TCP clients and UDP datagrams send, and logs\n"
                + "each TCP connection's bytes and rate when it closes; a sink for throughput tests. Runs until\n"
                + "Ctrl-C, then prints its counters. Try: head -c 100M /dev/zero | nc -N STACK 9",
            9, args, SocketOptions.defaults().receiveBufferBytes(RING_BYTES), Discard::serve, (socket, d) ->
            {
            });
    }

    private static void serve(final TcpSocket c) throws IOException
    {
        final byte[] buffer = new byte[BUFFER_BYTES];
        final long start = System.nanoTime();
        long bytes = 0;
        try
        {
            int n;
            while ((n = c.read(buffer, 0, buffer.length)) >= 0)
            {
                bytes += n;
            }
            LOG.info("{}", Rate.describe(peer(c) + " sent", bytes, System.nanoTime() - start));
        }
        catch (final IOException ex)
        {
            LOG.info("{} ({})", Rate.describe(peer(c) + " sent", bytes, System.nanoTime() - start), ex.getMessage());
            throw ex;
        }
    }

    static String peer(final TcpSocket c)
    {
        return Ipv4Address.toString(c.remoteAddress()) + ":" + c.remotePort();
    }
}
