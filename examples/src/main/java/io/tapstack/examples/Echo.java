package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.TapStack;
import io.tapstack.socket.TcpConnection;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** {@code echo}: RFC 862 over TCP and UDP, for many clients at once, until Ctrl-C. */
final class Echo
{
    private static final int BUFFER_BYTES = 16 * 1024;

    private Echo()
    {
    }

    static int run(final String[] args) throws Exception
    {
        final StackCommand command = new StackCommand("echo", StackOptions.declare(Servers.declare(new Options("echo",
            "The Echo Protocol (RFC 862): sends back every byte a TCP client sends until it closes, and every UDP\n"
                + "datagram to its sender. Runs until Ctrl-C, then prints its counters. Try: nc STACK 7, nc -u STACK 7."), 7)));
        final int parsed = command.parse(args);
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final Logger log = LoggerFactory.getLogger("echo");
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
            // no Nagle: an echo is interactive, and each reply is written as soon as it is read
            tcp = new TcpServer("echo", stack.sockets().listen(port, 128, SocketOptions.defaults().nagle(false)),
                command.options().getInt("max-clients"), Echo::serve, null).start();
            udp = new UdpServer("echo", stack.sockets().bindUdp(port),
                (socket, d) -> socket.send(d.address(), d.port(), d.data(), 0, d.data().length)).start();
        }
        catch (final IOException ex)
        {
            System.err.println("echo: " + ex.getMessage());
            command.stop(null);
            return 1;
        }
        log.info("echo (RFC 862) listening on {} TCP {} and UDP {}; Ctrl-C to stop",
            Ipv4Address.toString(stack.sockets().address()), port, port);
        return command.serveUntilStopped(() -> tcp.summary() + udp.summary(), tcp, udp);
    }

    private static void serve(final TcpConnection c) throws IOException
    {
        final byte[] buffer = new byte[BUFFER_BYTES];
        int n;
        while ((n = c.read(buffer, 0, buffer.length)) >= 0)
        {
            c.write(buffer, 0, n);
        }
        // the client's FIN: what we wrote still goes out, then ours (close waits for nothing)
    }
}
