package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.TapStack;
import io.tapstack.socket.TcpConnection;
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
        final StackCommand command = new StackCommand("discard", StackOptions.declare(Servers.declare(new Options(
            "discard",
            "The Discard Protocol (RFC 863): reads and drops whatever TCP clients and UDP datagrams send, and logs\n"
                + "each TCP connection's bytes and rate when it closes; a sink for throughput tests. Runs until\n"
                + "Ctrl-C, then prints its counters. Try: head -c 100M /dev/zero | nc -N STACK 9"), 9)));
        final int parsed = command.parse(args);
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final TapStack stack = command.start();
        if (stack == null)
        {
            return 1;
        }
        final int port = command.options().getInt("port");
        final TcpServer tcp;
        final UdpServer udp;
        try
        {
            tcp = new TcpServer("discard", stack.sockets().listen(port, 128,
                SocketOptions.defaults().receiveBufferBytes(RING_BYTES)),
                command.options().getInt("max-clients"), Discard::serve, null).start();
            udp = new UdpServer("discard", stack.sockets().bindUdp(port), (socket, d) ->
            {
            }).start();
        }
        catch (final IOException ex)
        {
            System.err.println("discard: " + ex.getMessage());
            command.stop(null);
            return 1;
        }
        LOG.info("discard (RFC 863) listening on {} TCP {} and UDP {}; Ctrl-C to stop",
            Ipv4Address.toString(stack.sockets().address()), port, port);
        return command.serveUntilStopped(() -> tcp.summary() + udp.summary(), tcp, udp);
    }

    private static void serve(final TcpConnection c) throws IOException
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

    static String peer(final TcpConnection c)
    {
        return Ipv4Address.toString(c.remoteAddress()) + ":" + c.remotePort();
    }
}
