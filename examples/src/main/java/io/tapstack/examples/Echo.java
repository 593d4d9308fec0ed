package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.TcpSocket;

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
        // no Nagle: an echo is interactive, and each reply is written as soon as it is read
        return Servers.runTcpAndUdp("echo", "RFC 862",
            "The Echo Protocol (RFC 862): sends back every byte a TCP client sends until it closes, and every UDP\n"
                + "datagram to its sender. Runs until Ctrl-C, then prints its counters. Try: nc STACK 7, nc -u STACK 7.",
            7, args, SocketOptions.defaults().nagle(false), Echo::serve,
            (socket, d) -> socket.send(d.address(), d.port(), d.data(), 0, d.data().length));
    }

    private static void serve(final TcpSocket c) throws IOException
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
