package io.tapstack.examples;

import io.tapstack.socket.SocketOptions;
import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** Options the server commands share beyond {@link StackOptions}. */
final class Servers
{
    /** Connections served at once before new ones are turned away. */
    static final String DEFAULT_MAX_CLIENTS = "256";
    /** At most this many at once: each is a thread. */
    static final int MAX_CLIENTS = 10_000;

    private Servers()
    {
    }

    /**
     * The whole of a small TCP-and-UDP server command (echo, discard, chargen): parses the options, starts the
     * stack on its TAP, serves both protocols on {@code --port} until Ctrl-C, then prints a summary and the
     * counters.
     *
     * @return the process exit status
     */
    static int runTcpAndUdp(final String name, final String protocol, final String description, final int defaultPort,
        final String[] args, final SocketOptions tcpOptions, final TcpServer.Handler tcp, final UdpServer.Handler udp)
        throws Exception
    {
        final StackCommand command = new StackCommand(name,
            StackOptions.declare(declare(new Options(name, description), defaultPort)));
        final int parsed = command.parse(args, Servers::check);
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final TapStack stack = command.startServer();
        if (stack == null)
        {
            return command.failure();
        }
        final int port = port(command.options());
        final TcpServer tcpServer;
        final UdpServer udpServer;
        try
        {
            tcpServer = new TcpServer(name, stack.sockets().listen(port, tcpOptions),
                maxClients(command.options()), tcp, null).start();
            udpServer = new UdpServer(name, stack.sockets().bindUdp(port), udp).start();
        }
        catch (final IOException ex)
        {
            System.err.println(name + ": " + ex.getMessage());
            command.stop(null);
            return 1;
        }
        LoggerFactory.getLogger(name).info("{} ({}) listening on {} TCP {} and UDP {}; Ctrl-C to stop", name,
            protocol, Ipv4Address.toString(stack.sockets().address()), port, port);
        return command.serveUntilStopped(() -> tcpServer.summary() + udpServer.summary(), tcpServer, udpServer);
    }

    static Options declare(final Options options, final int defaultPort)
    {
        return options
            .option("port", "N", "port to serve on, 1..65535", Integer.toString(defaultPort))
            .option("max-clients", "N", "TCP connections served at once (a thread each, 1.." + MAX_CLIENTS
                + "); more are turned away", DEFAULT_MAX_CLIENTS);
    }

    /** The options {@link #declare} adds, checked before the stack starts. */
    static void check(final Options options)
    {
        port(options);
        maxClients(options);
    }

    static int port(final Options options)
    {
        return options.getInt("port", 1, 65_535, "a port 1..65535");
    }

    static int maxClients(final Options options)
    {
        return options.getInt("max-clients", 1, MAX_CLIENTS, "1.." + MAX_CLIENTS);
    }
}
